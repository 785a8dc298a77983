"""Photos declared by visits: the row exists once a visit names it; `uploaded_at` says if the bytes came."""

from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.orm import Mapped, mapped_column

from server.extensions import db
from server.types import PhotoKind, code_enum, point, utcnow_default


class Photo(db.Model):
    __tablename__ = "photos"

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    visit_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("visits.id", ondelete="CASCADE"), index=True)
    kind: Mapped[PhotoKind] = mapped_column(code_enum(PhotoKind, "photo_kind", 14))
    sha256: Mapped[str] = mapped_column(sa.String(64), index=True)
    size_bytes: Mapped[int | None] = mapped_column(sa.BigInteger)
    media_type: Mapped[str | None] = mapped_column(sa.String(32))
    width: Mapped[int | None] = mapped_column(sa.Integer)
    height: Mapped[int | None] = mapped_column(sa.Integer)
    storage_key: Mapped[str | None] = mapped_column(sa.String(200))
    thumbnail_key: Mapped[str | None] = mapped_column(sa.String(200))
    exif_taken_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    exif_location = mapped_column(point(), nullable=True)
    # The app's own record of the capture (EXIF is often missing or stripped on real phones): when the photo
    # was taken on the phone's clock, and the phone's GPS fix at that moment, as declared with the visit.
    captured_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    capture_location = mapped_column(point(), nullable=True)
    capture_accuracy_m: Mapped[float | None] = mapped_column(sa.Float)
    uploaded_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), server_default=utcnow_default())

    __table_args__ = (sa.CheckConstraint("sha256 ~ '^[0-9a-f]{64}$'", name="sha256_hex"),)


class UploadSession(db.Model):
    """One tus upload: its declared length and hash, how far the bytes have come, and, once complete and
    checked, what was stored. A photo may finish uploading before the visit that names it arrives; the
    visit's declaration then picks up the stored result from here."""

    __tablename__ = "photo_uploads"

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    photo_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), index=True)
    visit_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    kind: Mapped[str | None] = mapped_column(sa.String(14))
    sha256: Mapped[str] = mapped_column(sa.String(64))
    length: Mapped[int] = mapped_column(sa.BigInteger)
    offset: Mapped[int] = mapped_column(sa.BigInteger, default=0, server_default="0")
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), server_default=utcnow_default())
    completed_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    media_type: Mapped[str | None] = mapped_column(sa.String(32))
    width: Mapped[int | None] = mapped_column(sa.Integer)
    height: Mapped[int | None] = mapped_column(sa.Integer)
    storage_key: Mapped[str | None] = mapped_column(sa.String(200))
    thumbnail_key: Mapped[str | None] = mapped_column(sa.String(200))
    exif_taken_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    exif_location = mapped_column(point(), nullable=True)

    __table_args__ = (
        sa.CheckConstraint("sha256 ~ '^[0-9a-f]{64}$'", name="sha256_hex"),
        sa.CheckConstraint('"offset" BETWEEN 0 AND length', name="offset_within_length"),
    )
