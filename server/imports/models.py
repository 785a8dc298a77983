"""Record of every data import (registry extract or agency recipient list): who, when, which file, counts."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from server.extensions import db
from server.types import utcnow_default


class DataImport(db.Model):
    __tablename__ = "data_imports"

    id: Mapped[int] = mapped_column(sa.Integer, sa.Identity(), primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(24))  # "registry" or "aid:<program code>"
    filename: Mapped[str] = mapped_column(sa.String(255))
    sha256: Mapped[str] = mapped_column(sa.String(64), index=True)
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    dry_run: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    counts: Mapped[dict] = mapped_column(JSONB, default=dict)
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), server_default=utcnow_default())
