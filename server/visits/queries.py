"""SQL for visits: reading them within the caller's reach (staff: households in their area; an
enumerator: their own visits), and the set-based lookups and inserts of the sync push."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert

from server.aid.models import AidProgram
from server.auth.access import Actor, in_region, in_scope
from server.campaigns.models import Assignment
from server.campaigns.queries import live_assignments
from server.extensions import db
from server.households.models import Household
from server.types import Role
from server.visits.models import Visit


def visible_condition(actor: Actor) -> sa.ColumnElement[bool]:
    if actor.role == Role.ENUMERATOR:
        return Visit.enumerator_id == actor.user_id
    return in_scope(actor, Household.region_code)


def _columns() -> list:
    return [
        Visit,
        Household.region_code.label("region_code"),
        sa.func.ST_X(Visit.location).label("lon"),
        sa.func.ST_Y(Visit.location).label("lat"),
    ]


def _row(row) -> dict[str, Any]:
    visit = row.Visit
    values = {column.key: getattr(visit, column.key) for column in Visit.__table__.columns if column.key != "location"}
    values["region_code"] = row.region_code
    values["location"] = (
        None if row.lon is None else {"lon": row.lon, "lat": row.lat, "accuracy_m": visit.location_accuracy_m}
    )
    return values


def get_visit(*, actor: Actor, visit_id: uuid.UUID) -> dict[str, Any] | None:
    query = (
        sa.select(*_columns())
        .join(Household, Household.id == Visit.household_id)
        .where(Visit.id == visit_id, visible_condition(actor))
    )
    row = db.session.execute(query).first()
    return _row(row) if row else None


def list_visits(
    *,
    actor: Actor,
    after: tuple[datetime, uuid.UUID] | None,
    limit: int,
    review_status: str | None = None,
    region: str | None = None,
    household_id: uuid.UUID | None = None,
) -> list[dict[str, Any]]:
    """Newest received first, keyset on (received_at, id)."""
    query = (
        sa.select(*_columns())
        .join(Household, Household.id == Visit.household_id)
        .where(visible_condition(actor))
        .order_by(Visit.received_at.desc(), Visit.id.desc())
        .limit(limit)
    )
    if after is not None:
        query = query.where(sa.tuple_(Visit.received_at, Visit.id) < sa.tuple_(*after))
    if review_status:
        query = query.where(Visit.review_status == review_status)
    if region:
        query = query.where(in_region(Household.region_code, region))
    if household_id:
        query = query.where(Visit.household_id == household_id)
    return [_row(row) for row in db.session.execute(query)]


# --- the sync push ------------------------------------------------------------------------------------


def stored_visits(*, ids: list[uuid.UUID]) -> dict[uuid.UUID, Any]:
    """Visits already stored under these client ids (a replayed or conflicting push)."""
    if not ids:
        return {}
    rows = db.session.execute(
        sa.select(
            Visit.id, Visit.household_id, Visit.enumerator_id, Visit.content_hash, Visit.received_at, Visit.flags
        ).where(Visit.id.in_(ids))
    )
    return {row.id: row for row in rows}


def households_for_push(*, ids: list[uuid.UUID], user_id: int) -> dict[uuid.UUID, Any]:
    """Version and region of each household, and the active campaign that assigns it to this user (if any)."""
    if not ids:
        return {}
    live = (
        live_assignments(enumerator_id=user_id)
        .with_only_columns(Assignment.campaign_id)
        .where(Assignment.household_id == Household.id)
        .order_by(Assignment.campaign_id.desc())
        .limit(1)
        .correlate(Household)
        .scalar_subquery()
    )
    rows = db.session.execute(
        sa.select(
            Household.id, Household.version, Household.region_code, Household.source, live.label("campaign_id")
        ).where(Household.id.in_(ids))
    )
    return {row.id: row for row in rows}


def earlier_visits(*, household_ids: list[uuid.UUID]) -> dict[uuid.UUID, list[Any]]:
    """Visits already stored for these households (to flag a second visit of the same household)."""
    if not household_ids:
        return {}
    rows = db.session.execute(
        sa.select(Visit.id, Visit.household_id, Visit.campaign_id, Visit.enumerator_id).where(
            Visit.household_id.in_(household_ids)
        )
    )
    found: dict[uuid.UUID, list[Any]] = {}
    for row in rows:
        found.setdefault(row.household_id, []).append(row)
    return found


def program_codes() -> set[str]:
    return set(db.session.execute(sa.select(AidProgram.code)).scalars())


def insert_visits(*, rows: list[dict[str, Any]]) -> set[uuid.UUID]:
    """Insert visits; returns the ids actually inserted (a concurrent twin may have won the others)."""
    if not rows:
        return set()
    # Parameters as a list (not .values(rows)): SQLAlchemy batches them into multi-row INSERTs from one
    # cached compiled statement instead of compiling a new statement per batch.
    statement = insert(Visit.__table__).on_conflict_do_nothing(index_elements=["id"]).returning(Visit.__table__.c.id)
    return set(db.session.execute(statement, rows).scalars())


def add_proposed_households(*, rows: list[dict[str, Any]]) -> None:
    if rows:
        db.session.execute(insert(Household.__table__).on_conflict_do_nothing(index_elements=["id"]), rows)


def mark_visited(*, household_ids: list[uuid.UUID]) -> None:
    """Households awaiting a visit now have one (this also sends them, with their last visit, to the phones)."""
    if household_ids:
        db.session.execute(
            sa.update(Household)
            .where(Household.id.in_(household_ids), Household.verification_status.in_(["unverified", "revisit"]))
            .values(verification_status="visited", updated_at=sa.func.now())
            .execution_options(synchronize_session=False)
        )
