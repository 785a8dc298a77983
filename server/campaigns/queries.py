"""SQL for campaigns and assignments: set-based selection, (re)assignment with tombstones, progress."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from server.auth.access import Actor, in_scope
from server.auth.models import User
from server.campaigns.models import Assignment, Campaign, Tombstone
from server.extensions import db
from server.households.models import Household
from server.regions.models import Region
from server.types import RegistryStatus, TombstoneReason
from server.visits.models import Visit

# Households no phone should be sent to any more.
CLOSED = (RegistryStatus.MERGED.value, RegistryStatus.REMOVED.value)

# THE rule of what is on an enumerator's phone, with one owner: a live assignment is one not ended, in an
# active campaign. Reads, edits, the pull and the push all ask it here (the SQL text for the pull's raw
# queries, the expressions for the ORM ones).
LIVE_ASSIGNMENTS_SQL = """
    SELECT a.* FROM assignments a JOIN campaigns c ON c.id = a.campaign_id AND c.active
     WHERE a.unassigned_at IS NULL
"""


def live_assignments(*, enumerator_id: int | sa.ColumnElement) -> sa.Select:
    """The live assignments of an enumerator (correlate it to use it inside another query)."""
    return (
        sa.select(Assignment)
        .join(Campaign, Campaign.id == Assignment.campaign_id)
        .where(Assignment.enumerator_id == enumerator_id, Assignment.unassigned_at.is_(None), Campaign.active)
    )


def is_live_assigned(household_id: sa.ColumnElement, *, enumerator_id: int) -> sa.ColumnElement[bool]:
    """SQL condition: the household is on this enumerator's phone."""
    return live_assignments(enumerator_id=enumerator_id).where(Assignment.household_id == household_id).exists()


def is_assigned(household_id: sa.ColumnElement) -> sa.ColumnElement[bool]:
    """SQL condition: the household is on some enumerator's phone (a live assignment in an active round).
    The active rounds are read once (an array), so each household's test is one index lookup and a household
    list can walk its order and stop at a full page (`assigned=true` 27-40 -> 1.4-2 ms on the demo city;
    with a join to campaigns inside, PostgreSQL hashed every household and sorted)."""
    active = sa.func.array(sa.select(Campaign.id).where(Campaign.active).scalar_subquery())
    return (
        sa.select(Assignment.household_id)
        .where(
            Assignment.household_id == household_id,
            Assignment.unassigned_at.is_(None),
            Assignment.campaign_id == sa.any_(active),
        )
        .exists()
    )


def list_campaigns() -> list[Campaign]:
    return list(db.session.execute(sa.select(Campaign).order_by(Campaign.period_start.desc(), Campaign.id)).scalars())


def get_campaign(*, campaign_id: int) -> Campaign | None:
    return db.session.get(Campaign, campaign_id)


def add_campaign(**values) -> Campaign:
    campaign = Campaign(**values)
    db.session.add(campaign)
    db.session.flush()
    return campaign


def select_households(
    *,
    actor: Actor,
    household_ids: list[uuid.UUID] | None = None,
    kelurahan: str | None = None,
    rt: str | None = None,
    rw: str | None = None,
) -> list[Any]:
    """(id, region_code) of the chosen households that lie in the actor's area and are still open."""
    query = sa.select(Household.id, Household.region_code).where(
        in_scope(actor, Household.region_code), Household.registry_status.not_in(CLOSED)
    )
    if household_ids:
        query = query.where(Household.id.in_(household_ids))
    else:
        query = query.where(Household.region_code == kelurahan)
        if rt:
            query = query.where(Household.rt == rt)
        if rw:
            query = query.where(Household.rw == rw)
    return db.session.execute(query).all()


def enumerators_of(*, campaign_id: int, household_ids: list[uuid.UUID]) -> dict[uuid.UUID, int]:
    """household id → enumerator id of its assignment (not ended) in this campaign."""
    if not household_ids:
        return {}
    rows = db.session.execute(
        sa.select(Assignment.household_id, Assignment.enumerator_id).where(
            Assignment.campaign_id == campaign_id,
            Assignment.unassigned_at.is_(None),
            Assignment.household_id.in_(household_ids),
        )
    )
    return dict(rows.all())


def end_all_assignments(*, household_id: uuid.UUID, at: datetime) -> int:
    """End every assignment of a household that leaves the registry (merged), in every campaign."""
    return db.session.execute(
        sa.update(Assignment)
        .where(Assignment.household_id == household_id, Assignment.unassigned_at.is_(None))
        .values(unassigned_at=at)
        .execution_options(synchronize_session=False)
    ).rowcount


def end_assignments(*, campaign_id: int, household_ids: list[uuid.UUID], at: datetime) -> None:
    """End the live assignments and tell each former enumerator's phone to drop the household."""
    if not household_ids:
        return
    ended = db.session.execute(
        sa.update(Assignment)
        .where(
            Assignment.campaign_id == campaign_id,
            Assignment.unassigned_at.is_(None),
            Assignment.household_id.in_(household_ids),
        )
        .values(unassigned_at=at)
        .returning(Assignment.household_id, Assignment.enumerator_id)
    ).all()
    db.session.add_all(
        Tombstone(household_id=household_id, user_id=user_id, reason=TombstoneReason.UNASSIGNED)
        for household_id, user_id in ended
    )
    db.session.flush()


def add_assignments(*, campaign_id: int, household_ids: list[uuid.UUID], enumerator_id: int, by: int) -> None:
    if household_ids:
        db.session.execute(
            sa.insert(Assignment),
            [
                {"campaign_id": campaign_id, "household_id": hid, "enumerator_id": enumerator_id, "assigned_by_id": by}
                for hid in household_ids
            ],
        )


def progress(*, campaign_id: int, actor: Actor) -> dict[str, list[dict[str, Any]]]:
    """Assigned, visited (a visit in this campaign), approved and revisit counts per enumerator and kelurahan."""
    visited = sa.exists().where(Visit.household_id == Household.id, Visit.campaign_id == Assignment.campaign_id)
    result = {}
    for name, key, label in (
        ("by_enumerator", User.username, User.full_name),
        ("by_kelurahan", Region.code, Region.name),
    ):
        query = (
            sa.select(
                key.label("key"),
                label.label("name"),
                sa.func.count().label("assigned"),
                sa.func.count().filter(visited).label("visited"),
                sa.func.count().filter(Household.verification_status == "approved").label("approved"),
                sa.func.count().filter(Household.verification_status == "revisit").label("revisit"),
            )
            .select_from(Assignment)
            .join(Household, Household.id == Assignment.household_id)
            .join(User, User.id == Assignment.enumerator_id)
            .join(Region, Region.code == Household.region_code)
            .where(
                Assignment.campaign_id == campaign_id,
                Assignment.unassigned_at.is_(None),
                in_scope(actor, Household.region_code),
            )
            .group_by(key, label)
            .order_by(key)
        )
        result[name] = [dict(row) for row in db.session.execute(query).mappings()]
    return result


def region_exists(*, code: str) -> bool:
    return db.session.execute(sa.select(sa.exists().where(Region.code == code))).scalar_one()
