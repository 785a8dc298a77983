"""Campaign use cases: verification rounds, and assigning households to enumerators one by one, by
kelurahan or by RT/RW, reassigning and unassigning (the former phone gets a tombstone and drops the
household at its next pull). Everything is scoped to the caller's area and audited; services only flush.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from server.audit.service import record
from server.auth.access import Actor, region_in_scope, within
from server.auth.models import User
from server.campaigns import queries
from server.campaigns.models import Campaign
from server.errors import NOT_FOUND, AppError, validation_error
from server.extensions import db
from server.types import Role


def list_campaigns() -> list[Campaign]:
    return queries.list_campaigns()


def require_campaign(campaign_id: int) -> Campaign:
    campaign = queries.get_campaign(campaign_id=campaign_id)
    if campaign is None:
        raise AppError(NOT_FOUND, details={"campaign": campaign_id})
    return campaign


def create_campaign(data: dict[str, Any], actor: Actor) -> Campaign:
    campaign = queries.add_campaign(created_by_id=actor.user_id, **data)
    record("campaign.create", object_type="campaign", object_id=campaign.id, changes={"name": (None, campaign.name)})
    return campaign


def update_campaign(campaign_id: int, data: dict[str, Any]) -> Campaign:
    campaign = require_campaign(campaign_id)
    start = data.get("period_start", campaign.period_start)
    end = data.get("period_end", campaign.period_end)
    if end < start:
        raise validation_error({"period_end": ["Harus sesudah period_start / must not be before period_start"]})
    changes = {}
    for field, value in data.items():
        if getattr(campaign, field) != value:
            changes[field] = (getattr(campaign, field), value)
            setattr(campaign, field, value)
    if changes:
        record("campaign.update", object_type="campaign", object_id=campaign.id, changes=changes)
    return campaign


def assign(campaign_id: int, selection: dict[str, Any], actor: Actor) -> dict[str, int]:
    """Give the selected households to one enumerator; taking them from another enumerator is a reassignment."""
    campaign = require_campaign(campaign_id)
    enumerator = _require_enumerator(selection["enumerator_id"])
    households = _selected(selection, actor)
    outside = [h.id for h in households if not within(h.region_code, enumerator.region_codes)]
    if outside:
        raise validation_error(
            {"enumerator_id": [f"Wilayah petugas tidak mencakup {len(outside)} rumah tangga / outside their area"]}
        )
    ids = [h.id for h in households]
    current = queries.enumerators_of(campaign_id=campaign.id, household_ids=ids)
    unchanged = [hid for hid in ids if current.get(hid) == enumerator.id]
    taken = [hid for hid in ids if hid in current and current[hid] != enumerator.id]
    new = [hid for hid in ids if current.get(hid) != enumerator.id]
    queries.end_assignments(campaign_id=campaign.id, household_ids=taken, at=datetime.now(UTC))
    queries.add_assignments(campaign_id=campaign.id, household_ids=new, enumerator_id=enumerator.id, by=actor.user_id)
    counts = {"assigned": len(new), "reassigned": len(taken), "unchanged": len(unchanged), "unassigned": 0}
    record(
        "assignment.assign",
        object_type="campaign",
        object_id=campaign.id,
        changes={"enumerator_id": enumerator.id, **_mode(selection), **counts},
    )
    return counts


def preview_assign(campaign_id: int, selection: dict[str, Any], actor: Actor) -> dict[str, int]:
    """What `assign` would do, without doing it (the staff page shows these counts before confirming)."""
    campaign = require_campaign(campaign_id)
    enumerator = _require_enumerator(selection["enumerator_id"])
    ids = [h.id for h in _selected(selection, actor)]
    current = queries.enumerators_of(campaign_id=campaign.id, household_ids=ids)
    unchanged = sum(1 for hid in ids if current.get(hid) == enumerator.id)
    taken = sum(1 for hid in ids if hid in current and current[hid] != enumerator.id)
    return {"selected": len(ids), "assigned": len(ids) - unchanged, "reassigned": taken, "unchanged": unchanged}


def unassign(campaign_id: int, selection: dict[str, Any], actor: Actor) -> dict[str, int]:
    campaign = require_campaign(campaign_id)
    ids = [h.id for h in _selected(selection, actor)]
    live = queries.enumerators_of(campaign_id=campaign.id, household_ids=ids)
    queries.end_assignments(campaign_id=campaign.id, household_ids=list(live), at=datetime.now(UTC))
    counts = {"assigned": 0, "reassigned": 0, "unchanged": len(ids) - len(live), "unassigned": len(live)}
    record("assignment.unassign", object_type="campaign", object_id=campaign.id, changes={**_mode(selection), **counts})
    return counts


def progress(campaign_id: int, actor: Actor) -> dict[str, Any]:
    return queries.progress(campaign_id=require_campaign(campaign_id).id, actor=actor)


def _selected(selection: dict[str, Any], actor: Actor) -> list[Any]:
    """The chosen households in the caller's area; ids the caller cannot see answer 404 (never 403)."""
    kelurahan = selection.get("kelurahan")
    if kelurahan and (not queries.region_exists(code=kelurahan) or not region_in_scope(actor, kelurahan)):
        raise AppError(NOT_FOUND, details={"kelurahan": kelurahan})
    households = queries.select_households(
        actor=actor,
        household_ids=selection.get("household_ids"),
        kelurahan=kelurahan,
        rt=selection.get("rt"),
        rw=selection.get("rw"),
    )
    if selection.get("household_ids"):
        found = {h.id for h in households}
        missing = [str(hid) for hid in selection["household_ids"] if hid not in found]
        if missing:
            raise AppError(NOT_FOUND, details={"household_ids": missing})
    return households


def _require_enumerator(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None or user.role != Role.ENUMERATOR or not user.active:
        raise validation_error({"enumerator_id": ["Bukan petugas aktif / not an active enumerator"]})
    return user


def _mode(selection: dict[str, Any]) -> dict[str, Any]:
    if selection.get("household_ids"):
        return {"households": len(selection["household_ids"])}
    return {key: selection[key] for key in ("kelurahan", "rt", "rw") if selection.get(key)}
