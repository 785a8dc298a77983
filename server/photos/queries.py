"""SQL for the photos domain: the only place that reads or writes photo rows by query."""

from __future__ import annotations

import uuid
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert

from server.extensions import db
from server.photos.models import Photo


def photos_by_ids(*, ids: list[uuid.UUID]) -> dict[uuid.UUID, Photo]:
    if not ids:
        return {}
    rows = db.session.scalars(sa.select(Photo).where(Photo.id.in_(ids))).all()
    return {p.id: p for p in rows}


def add_declared_photos(*, rows: list[dict[str, Any]]) -> None:
    if rows:
        db.session.execute(insert(Photo).values(rows).on_conflict_do_nothing(index_elements=[Photo.id]))


def missing_photo_ids_by_visit(*, visit_ids: list[uuid.UUID]) -> dict[uuid.UUID, list[uuid.UUID]]:
    missing: dict[uuid.UUID, list[uuid.UUID]] = {visit_id: [] for visit_id in visit_ids}
    if not visit_ids:
        return missing
    rows = db.session.execute(
        sa.select(Photo.visit_id, Photo.id)
        .where(Photo.visit_id.in_(visit_ids), Photo.uploaded_at.is_(None))
        .order_by(Photo.visit_id, Photo.id)
    )
    for visit_id, photo_id in rows:
        missing[visit_id].append(photo_id)
    return missing
