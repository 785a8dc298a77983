"""SQL of the registry change history: append changes, read a household's history, snapshot a household
as the registry holds it now (the starting point of a reconstruction), and the settled changes an older
registry file would undo."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert

from server.extensions import db
from server.history.models import RegistryChange

# The fields the history follows (the registry's own data, not the workflow's).
HOUSEHOLD_FIELDS = (
    "registry_id",
    "kk_number",
    "head_name",
    "address",
    "rt",
    "rw",
    "region_code",
    "decile",
    "location",
    "registry_status",
    "merged_into_id",
)
MEMBER_FIELDS = ("nik", "name", "sex", "birth_date", "birth_place", "relationship_code", "presence_status")
# SQL jsonb of a household's / member's followed fields (location as {lon, lat} rounded to 7 digits).
HOUSEHOLD_JSON = """jsonb_build_object(
    'registry_id', h.registry_id, 'kk_number', h.kk_number, 'head_name', h.head_name, 'address', h.address,
    'rt', h.rt, 'rw', h.rw, 'region_code', h.region_code, 'decile', h.decile,
    'location', CASE WHEN h.location IS NULL THEN NULL ELSE jsonb_build_object(
        'lon', round(ST_X(h.location)::numeric, 7)::float8, 'lat', round(ST_Y(h.location)::numeric, 7)::float8) END,
    'registry_status', h.registry_status, 'merged_into_id', h.merged_into_id)"""
MEMBER_JSON = """jsonb_build_object(
    'nik', m.nik, 'name', m.name, 'sex', m.sex, 'birth_date', m.birth_date, 'birth_place', m.birth_place,
    'relationship_code', m.relationship_code, 'presence_status', m.presence_status)"""


def add_changes(*, rows: list[dict[str, Any]], returning: bool = False) -> list[int]:
    """Append rows; their ids (in the rows' order) only when asked (bulk writers need not pay for them)."""
    if not rows:
        return []
    if not returning:
        db.session.execute(insert(RegistryChange.__table__), rows)
        return []
    statement = insert(RegistryChange.__table__).returning(RegistryChange.__table__.c.id, sort_by_parameter_order=True)
    return list(db.session.execute(statement, rows).scalars())


def changes_of(*, household_id: uuid.UUID, limit: int | None = None) -> list[RegistryChange]:
    query = (
        sa.select(RegistryChange).where(RegistryChange.household_id == household_id).order_by(RegistryChange.id.desc())
    )
    if limit:
        query = query.limit(limit)
    return list(db.session.execute(query).scalars())


def proposed_of(*, household_id: uuid.UUID) -> list[RegistryChange]:
    return list(
        db.session.execute(
            sa.select(RegistryChange)
            .where(RegistryChange.household_id == household_id, RegistryChange.state == "proposed")
            .order_by(RegistryChange.id)
        ).scalars()
    )


def changes_after_version(*, household_id: uuid.UUID, version: int) -> list[RegistryChange]:
    """Changes that took effect after `version`, newest first (the order to undo them in)."""
    return list(
        db.session.execute(
            sa.select(RegistryChange)
            .where(
                RegistryChange.household_id == household_id,
                RegistryChange.state.in_(["applied", "accepted", "reverted"]),
                RegistryChange.household_version > version,
            )
            .order_by(RegistryChange.household_version.desc(), RegistryChange.id.desc())
        ).scalars()
    )


def snapshot(*, household_id: uuid.UUID) -> dict[str, Any] | None:
    """The household's followed fields now, with its members' ({member id: fields}), as JSON values."""
    row = db.session.execute(
        sa.text(
            f"""
            SELECT h.version, {HOUSEHOLD_JSON} AS household,
                   (SELECT coalesce(jsonb_object_agg(m.id::text, {MEMBER_JSON}), '{{}}'::jsonb)
                      FROM members m WHERE m.household_id = h.id) AS members
              FROM households h WHERE h.id = :id
            """
        ),
        {"id": household_id},
    ).first()
    if row is None:
        return None
    return {"version": row.version, "household": row.household, "members": row.members}


def set_source_id(*, source_kind: str, old: str, new: str) -> None:
    db.session.execute(
        sa.update(RegistryChange)
        .where(RegistryChange.source_kind == source_kind, RegistryChange.source_id == old)
        .values(source_id=new)
        .execution_options(synchronize_session=False)
    )


def settle_proposed(
    *, ids: list[int], state: str, actor_id: int | None, at: datetime, reason: str | None = None
) -> int:
    """Proposed changes accepted or overturned (the musyawarah's decision)."""
    if not ids:
        return 0
    return db.session.execute(
        sa.update(RegistryChange)
        .where(RegistryChange.id.in_(ids), RegistryChange.state == "proposed")
        .values(state=state, decided_by_id=actor_id, decided_at=at, reason=reason)
        .execution_options(synchronize_session=False)
    ).rowcount
