"""A personal access token: only its SHA-256 is stored; the secret is shown once, at creation."""

from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.orm import Mapped, mapped_column

from server.extensions import db
from server.types import utcnow_default


class AccessToken(db.Model):
    __tablename__ = "access_tokens"

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(sa.String(100))
    # sha256 hex of the whole secret; the secret has 256 random bits, so a plain hash cannot be reversed.
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    # The secret's first characters, to tell tokens apart in a list ("vrv_pat_3fQa").
    prefix: Mapped[str] = mapped_column(sa.String(16))
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), server_default=utcnow_default())
    expires_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
    last_used_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
