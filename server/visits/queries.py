"""SQL for visits: reading them within the caller's reach (staff: households in their area; an
enumerator: their own visits), and the set-based lookups and inserts of the sync push."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB, insert

from server.aid.models import AidProgram, AidReceipt
from server.auth.access import Actor, in_region, in_scope
from server.campaigns.models import Assignment, Campaign
from server.campaigns.queries import live_assignments
from server.extensions import db
from server.households.models import Household, Member
from server.photos.models import Photo, UploadSession
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
    """Version, region, registered point (lon, lat) and aid on record (`aid`: [[code, start, end], ...],
    receipts listed or disbursed, of the family or any member) of each household, and the active campaign
    that assigns it to this user (if any). One statement for the batch (the flags' facts come with it)."""
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
    on_record = AidReceipt.status.in_(["listed", "disbursed"])
    entry = sa.func.jsonb_build_array(AidProgram.code, AidReceipt.period_start, AidReceipt.period_end)
    family_aid = (
        sa.select(sa.func.jsonb_agg(entry))
        .select_from(AidReceipt)
        .join(AidProgram, AidProgram.id == AidReceipt.program_id)
        .where(AidReceipt.household_id == Household.id, on_record)
        .correlate(Household)
        .scalar_subquery()
    )
    member_aid = (
        sa.select(sa.func.jsonb_agg(entry))
        .select_from(Member)
        .join(AidReceipt, AidReceipt.member_id == Member.id)
        .join(AidProgram, AidProgram.id == AidReceipt.program_id)
        .where(Member.household_id == Household.id, on_record)
        .correlate(Household)
        .scalar_subquery()
    )
    empty = sa.cast(sa.literal("[]"), JSONB)
    rows = db.session.execute(
        sa.select(
            Household.id,
            Household.version,
            Household.region_code,
            Household.source,
            live.label("campaign_id"),
            sa.func.ST_X(Household.location).label("lon"),
            sa.func.ST_Y(Household.location).label("lat"),
            (sa.func.coalesce(family_aid, empty).op("||")(sa.func.coalesce(member_aid, empty))).label("aid"),
        ).where(Household.id.in_(ids))
    )
    return {row.id: row for row in rows}


def campaign_settings(*, ids: list[int]) -> dict[int, dict]:
    if not ids:
        return {}
    return dict(db.session.execute(sa.select(Campaign.id, Campaign.settings).where(Campaign.id.in_(ids))).all())


def niks_held_elsewhere(*, reported: list[tuple[uuid.UUID, str]]) -> set[tuple[uuid.UUID, str]]:
    """Of (household, NIK) pairs reported as new members, those whose NIK another (not merged) household's
    member (not removed) holds."""
    if not reported:
        return set()
    rows = db.session.execute(
        sa.text(
            """
            SELECT DISTINCT r.household_id, r.nik
              FROM unnest(CAST(:households AS uuid[]), CAST(:niks AS text[])) AS r(household_id, nik)
              JOIN members m ON m.nik = r.nik AND m.household_id <> r.household_id
              JOIN households h ON h.id = m.household_id
             WHERE m.presence_status <> 'removed' AND h.registry_status <> 'merged'
            """
        ),
        {"households": [pair[0] for pair in reported], "niks": [pair[1] for pair in reported]},
    ).all()
    return {(row[0], row[1]) for row in rows}


def photos_with_bytes(*, ids: list[uuid.UUID]) -> set[uuid.UUID]:
    """Of these photo ids, those whose bytes are already here (stored, or a finished upload waiting)."""
    if not ids:
        return set()
    stored = sa.select(Photo.id).where(Photo.id.in_(ids), Photo.uploaded_at.is_not(None))
    waiting = sa.select(UploadSession.photo_id).where(
        UploadSession.photo_id.in_(ids), UploadSession.completed_at.is_not(None)
    )
    return set(db.session.execute(sa.union(stored, waiting)).scalars())


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


# --- photo flags -----------------------------------------------------------------------------------------


def visits_for_photo_flags(*, ids: list[uuid.UUID]) -> list[Any]:
    """What the photo flags compare against: each visit's flags, day, fix, campaign settings and status."""
    if not ids:
        return []
    return list(
        db.session.execute(
            sa.select(
                Visit.id,
                Visit.flags,
                Visit.priority,
                Visit.device_time,
                Visit.device_utc_offset_min,
                Visit.review_status,
                Visit.campaign_id,
                sa.func.ST_X(Visit.location).label("lon"),
                sa.func.ST_Y(Visit.location).label("lat"),
                Campaign.settings,
            )
            .outerjoin(Campaign, Campaign.id == Visit.campaign_id)
            .where(Visit.id.in_(ids))
        )
    )


def photo_facts(*, visit_ids: list[uuid.UUID]) -> list[Any]:
    """Every photo the visits declared: whether its bytes came, and when and where it was taken (the app's
    record first, EXIF second)."""
    if not visit_ids:
        return []
    return list(
        db.session.execute(
            sa.select(
                Photo.visit_id,
                Photo.uploaded_at,
                sa.func.coalesce(Photo.captured_at, Photo.exif_taken_at).label("taken_at"),
                sa.func.ST_X(sa.func.coalesce(Photo.capture_location, Photo.exif_location)).label("lon"),
                sa.func.ST_Y(sa.func.coalesce(Photo.capture_location, Photo.exif_location)).label("lat"),
            ).where(Photo.visit_id.in_(visit_ids))
        )
    )


def set_flags(*, rows: list[dict[str, Any]]) -> None:
    """rows: {id, flags, priority}."""
    if rows:
        db.session.execute(
            sa.update(Visit.__table__)
            .where(Visit.__table__.c.id == sa.bindparam("visit_id"))
            .values(flags=sa.bindparam("new_flags", type_=JSONB), priority=sa.bindparam("new_priority")),
            [{"visit_id": r["id"], "new_flags": r["flags"], "new_priority": r["priority"]} for r in rows],
        )
