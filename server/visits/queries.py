"""SQL for reading visits within the caller's reach: staff see visits of households in their area,
an enumerator only their own visits."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from server.auth.access import Actor, in_scope
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
        query = query.where(sa.or_(Household.region_code == region, Household.region_code.like(f"{region}.%")))
    if household_id:
        query = query.where(Visit.household_id == household_id)
    return [_row(row) for row in db.session.execute(query)]
