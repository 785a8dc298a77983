"""Review use cases, callable without HTTP (plain functions taking an actor and parameters): the queue and its
facets, a visit's review detail, decisions (`decide`, one visit; `bulk_decide`, many), claims, and the
superseding of visits sent back for a revisit when the new visit arrives.

`decide` is the one place a decision is taken, whoever takes it: a reviewer (routes), a bulk decision, or a
campaign's review policy (auto-approval; pass `actor=None, via=ReviewVia.POLICY`). What approval does per
outcome is the table `catalog.APPROVAL_EFFECTS`; data corrections are applied at once, eligibility
changes proposed for the musyawarah; both land in the registry change history (server/history/).
Services flush only; the request (or the job runner) commits.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from server.audit.service import record
from server.auth.access import Actor
from server.errors import (
    NOT_FOUND,
    REVIEW_CLAIMED,
    AppError,
)
from server.extensions import db
from server.history import service as history
from server.review import catalog, queries
from server.review.decisions import bulk_decide, decide, decide_many, supersede_revisits  # noqa: F401
from server.types import (
    HouseholdSource,
    Outcome,
    Presence,
    ReviewStatus,
)
from server.visits.models import Visit

DECIDABLE = (ReviewStatus.PENDING.value, ReviewStatus.REVISIT.value)
STATUS_AFTER = {"approve": ReviewStatus.APPROVED, "reject": ReviewStatus.REJECTED, "revisit": ReviewStatus.REVISIT}
CLAIM_MINUTES = 15


def _value(value: Any) -> Any:
    return value.value if hasattr(value, "value") else value


# --- the queue --------------------------------------------------------------------------------------------


def queue(actor: Actor, params: dict[str, Any]) -> tuple[list[dict[str, Any]], str | None]:
    """A page of the review queue in the actor's area and the cursor of the next page (audited)."""
    params = dict(params)
    limit = params.pop("limit", 50)
    keyset = queries.ORDERS[params.get("sort") or "priority"]
    after = keyset.after(params.get("cursor"))
    rows = queries.queue_page(actor=actor, params=params, after=after, limit=limit)
    next_cursor = keyset.cursor_of(rows[-1]) if len(rows) == limit else None
    for row in rows:
        row["claimed"] = bool(
            row["claimed_until"] and row["claimed_until"] > datetime.now(UTC) and row["claimed_by_id"] != actor.user_id
        )
    record("review.queue", object_type="visit", changes={"rows": len(rows), **_filter_words(params)})
    return rows, next_cursor


def facets(actor: Actor, params: dict[str, Any]) -> dict[str, dict[str, int]]:
    """Counts per status, outcome, kelurahan, enumerator and flag under the current filter."""
    return queries.queue_facets(actor=actor, params=params)


def _filter_words(params: dict[str, Any]) -> dict[str, Any]:
    return {key: str(value) for key, value in params.items() if key != "cursor" and value not in (None, [], False)}


# --- the detail -------------------------------------------------------------------------------------------


def review_detail(actor: Actor, visit_id: uuid.UUID) -> dict[str, Any]:
    """Everything a reviewer weighs: the visit, the household now / at the visit's base version / as found,
    field by field, the declared photos and their state, earlier visits, decisions and the change history."""
    visit = queries.get_visit_in_scope(actor=actor, visit_id=visit_id)
    if visit is None:
        raise AppError(NOT_FOUND)
    now = history.household_now(visit.household_id)
    base = history.household_at_version(visit.household_id, visit.base_version) if visit.base_version else None
    photos = queries.photos_of(visit_id=visit_id)
    for photo in photos:
        photo["state"] = "uploaded" if photo["uploaded_at"] else "missing"
    point = queries.visit_point(visit_id=visit_id)
    detail = {
        "visit": {
            **{
                column.key: getattr(visit, column.key) for column in Visit.__table__.columns if column.key != "location"
            },
            "location": None
            if point is None
            else {"lon": point[0], "lat": point[1], "accuracy_m": visit.location_accuracy_m},
        },
        "household_now": now,
        "household_at_base": base,
        "comparison": _comparison(visit, now, base),
        "photos": photos,
        "earlier_visits": queries.earlier_visits(household_id=visit.household_id, excluding=visit.id),
        "reviews": queries.reviews_of(visit_id=visit_id),
        "changes": history.history_of(visit.household_id, limit=200),
        "pending_changes": history.pending_of(visit.household_id),
        "target_candidates": [],
    }
    household = queries.household_in_scope(actor=None, household_id=visit.household_id)
    if _value(visit.outcome) in (Outcome.DUPLICATE, Outcome.MERGED) or household.source == HouseholdSource.FIELD:
        detail["target_candidates"] = queries.target_candidates(
            actor=actor, household_id=visit.household_id, visit_id=visit.id
        )
    record("visit.review_read", object_type="visit", object_id=visit_id)
    return detail


def visit_head_name(actor: Actor, visit_id: uuid.UUID) -> str | None:
    """The visited household's head as the registry names it now, None outside the actor's area (a label for a
    page that names a visit, not a read of the visit: not audited)."""
    return queries.visit_head_name(actor=actor, visit_id=visit_id)


def _comparison(visit: Visit, now: dict | None, base: dict | None) -> list[dict[str, Any]]:
    """Field by field: the registry now, at the visit's base version, and what the field found."""
    rows: list[dict[str, Any]] = []
    if now is None:
        return rows
    answers = visit.answers or {}
    base_household = (base or {}).get("household", {})
    effect = catalog.APPROVAL_EFFECTS.get(Outcome(_value(visit.outcome)))
    point = queries.visit_point(visit_id=visit.id)
    found_household = {
        **{key: value for key, value in (answers.get("moved_to") or {}).items() if key != "note" and value},
        "registry_status": effect.registry_status.value if effect and effect.registry_status else None,
        "merged_into_id": answers.get("duplicate_of"),
        "location": None if point is None else {"lon": round(point[0], 7), "lat": round(point[1], 7)},
    }
    for field, value in now["household"].items():
        rows.append(
            {
                "member_id": None,
                "field": field,
                "now": value,
                "at_base": base_household.get(field),
                "found": found_household.get(field),
            }
        )
    house = queries.latest_house_conditions(ids=[visit.household_id]).get(visit.household_id)
    rows.append(
        {
            "member_id": None,
            "field": "house_condition",
            "now": house,
            "at_base": None,
            "found": answers.get("house_condition"),
        }
    )
    base_members = (base or {}).get("members", {})
    reported = {str(m.get("member_id")): m for m in (visit.answers or {}).get("members", []) if m.get("member_id")}
    for member_id, fields in now["members"].items():
        found = reported.get(member_id, {})
        for field, value in fields.items():
            seen = found.get("presence") if field == "presence_status" else found.get(field)
            rows.append(
                {
                    "member_id": member_id,
                    "field": field,
                    "now": value,
                    "at_base": base_members.get(member_id, {}).get(field),
                    "found": seen,
                }
            )
    for new in (visit.answers or {}).get("members", []):
        if new.get("presence") == Presence.NEW:
            rows.append({"member_id": None, "field": "member", "now": None, "at_base": None, "found": new})
    return rows


# --- decisions (server/review/decisions.py; re-exported: the routes, the push and the policy call them here) -----

BULK_INLINE_MAX = 200

# --- claims -------------------------------------------------------------------------------------------------


def claim(actor: Actor, visit_id: uuid.UUID, *, minutes: int = CLAIM_MINUTES, release: bool = False) -> dict:
    """Claim a visit for `minutes` (others see it claimed and may filter it out), or release the claim."""
    visit = queries.lock_visit(actor=actor, visit_id=visit_id)
    if visit is None:
        raise AppError(NOT_FOUND)
    now = datetime.now(UTC)
    held_by_other = visit.claimed_until and visit.claimed_until > now and visit.claimed_by_id != actor.user_id
    if release:
        if not held_by_other:
            visit.claimed_by_id = visit.claimed_until = None
    else:
        if held_by_other:
            raise AppError(
                REVIEW_CLAIMED,
                details={"claimed_by_id": visit.claimed_by_id, "claimed_until": visit.claimed_until.isoformat()},
            )
        visit.claimed_by_id = actor.user_id
        visit.claimed_until = now + timedelta(minutes=minutes)
    db.session.flush()
    record("visit.claim", object_type="visit", object_id=visit_id, changes={"release": release})
    return {"id": visit.id, "claimed_by_id": visit.claimed_by_id, "claimed_until": visit.claimed_until}


def change_history(actor: Actor, household_id: uuid.UUID, at_version: int | None = None) -> dict[str, Any]:
    """A household's registry change history (newest first) and, optionally, the household at a version."""
    household = queries.household_in_scope(actor=actor, household_id=household_id)
    if household is None:
        raise AppError(NOT_FOUND)
    result = {
        "household_id": household_id,
        "version": household.version,
        "changes": history.history_of(household_id, limit=1000),
        "at_version": history.household_at_version(household_id, at_version) if at_version else None,
    }
    record("household.history_read", object_type="household", object_id=household_id)
    return result
