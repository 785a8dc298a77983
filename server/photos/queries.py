"""SQL for the photos domain: the only place that reads or writes photo rows by query."""

from __future__ import annotations

import uuid
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert

from server.extensions import db
from server.households.models import Household
from server.photos.models import Photo, UploadSession
from server.sql_lists import one_of
from server.visits.models import Visit


def photos_by_ids(*, ids: list[uuid.UUID]) -> dict[uuid.UUID, Photo]:
    if not ids:
        return {}
    rows = db.session.scalars(sa.select(Photo).where(Photo.id.in_(ids))).all()
    return {p.id: p for p in rows}


def add_declared_photos(*, rows: list[dict[str, Any]]) -> None:
    if rows:
        db.session.execute(insert(Photo.__table__).on_conflict_do_nothing(index_elements=["id"]), rows)


# Rows of `service.photo_rows` given as one JSON array (`:photos`), for the sync push's own write statement
# (server/visits/queries.py appends its WHERE and ON CONFLICT).
DECLARED_FROM_JSON = """
    INSERT INTO photos (id, visit_id, kind, sha256, captured_at, capture_location, capture_accuracy_m)
    SELECT d.id, d.visit_id, d.kind, d.sha256, d.captured_at, d.capture_location, d.capture_accuracy_m
      FROM json_populate_recordset(NULL::photos, CAST(:photos AS json)) AS d
"""


def missing_photo_ids_by_visit(*, visit_ids: list[uuid.UUID]) -> dict[uuid.UUID, list[uuid.UUID]]:
    missing: dict[uuid.UUID, list[uuid.UUID]] = {visit_id: [] for visit_id in visit_ids}
    if not visit_ids:
        return missing
    for visit_id, photo_id in db.session.execute(missing_photos_query(visit_ids=visit_ids)):
        missing[visit_id].append(photo_id)
    return missing


def missing_photos_query(*, visit_ids: list[uuid.UUID] | sa.ColumnElement) -> sa.Select:
    """(visit id, photo id) of the visits' declared photos without bytes, in that order (also run inside the
    sync push's lookups)."""
    return (
        sa.select(Photo.visit_id, Photo.id)
        .where(one_of(Photo.visit_id, visit_ids), Photo.uploaded_at.is_(None))
        .order_by(Photo.visit_id, Photo.id)
    )


def get_upload(*, upload_id: uuid.UUID, lock: bool = False) -> UploadSession | None:
    query = sa.select(UploadSession).where(UploadSession.id == upload_id)
    if lock:
        # One chunk at a time per upload: a retried PATCH racing the original waits, then sees the new offset.
        query = query.with_for_update()
    return db.session.execute(query).scalar_one_or_none()


def completed_uploads(*, photo_ids: list[uuid.UUID]) -> list[UploadSession]:
    if not photo_ids:
        return []
    query = sa.select(UploadSession).where(
        UploadSession.photo_id.in_(photo_ids), UploadSession.completed_at.is_not(None)
    )
    return list(db.session.execute(query).scalars())


def visit_enumerator(*, visit_id: uuid.UUID) -> int | None:
    return db.session.execute(sa.select(Visit.enumerator_id).where(Visit.id == visit_id)).scalar_one_or_none()


def photo_for_reading(*, photo_id: uuid.UUID) -> Any:
    """The photo with what decides who may see it: the visit's enumerator and the household's region."""
    return db.session.execute(
        sa.select(Photo, Visit.enumerator_id, Household.region_code)
        .join(Visit, Visit.id == Photo.visit_id)
        .join(Household, Household.id == Visit.household_id)
        .where(Photo.id == photo_id)
    ).first()


def unfinished_uploads_before(*, moment) -> list[UploadSession]:
    query = sa.select(UploadSession).where(UploadSession.completed_at.is_(None), UploadSession.created_at < moment)
    return list(db.session.execute(query).scalars())
