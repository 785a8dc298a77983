"""SQL for the photos domain: the only place that reads or writes photo rows by query."""

from __future__ import annotations

import uuid

import sqlalchemy as sa

from server.extensions import db
from server.photos.models import Photo


def photos_by_ids(*, ids: list[uuid.UUID]) -> dict[uuid.UUID, Photo]:
    if not ids:
        return {}
    rows = db.session.scalars(sa.select(Photo).where(Photo.id.in_(ids))).all()
    return {p.id: p for p in rows}


def missing_photo_ids(*, visit_id: uuid.UUID) -> list[uuid.UUID]:
    return list(
        db.session.scalars(
            sa.select(Photo.id).where(Photo.visit_id == visit_id, Photo.uploaded_at.is_(None)).order_by(Photo.id)
        )
    )
