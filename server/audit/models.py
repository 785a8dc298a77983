"""The append-only audit log (UU 27/2022 PDP): who saw and changed what, from where, when.

Append-only is enforced in the database (a trigger refuses UPDATE and DELETE), not only by the app.
"""

from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import INET, JSONB, UUID
from sqlalchemy.orm import Mapped, mapped_column

from server.extensions import db
from server.types import utcnow_default


class AuditEntry(db.Model):
    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(sa.BigInteger, sa.Identity(), primary_key=True)
    at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), server_default=utcnow_default())
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    actor_username: Mapped[str | None] = mapped_column(sa.String(64))
    device_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    client_addr: Mapped[str | None] = mapped_column(INET)
    action: Mapped[str] = mapped_column(sa.String(48))
    object_type: Mapped[str | None] = mapped_column(sa.String(32))
    object_id: Mapped[str | None] = mapped_column(sa.String(64))
    # {"field": {"before": …, "after": …}} with NIK/No. KK masked before they get here.
    changes: Mapped[dict | None] = mapped_column(JSONB)

    __table_args__ = (
        sa.Index("ix_audit_log_actor_id_at", "actor_id", "at"),
        sa.Index("ix_audit_log_object_type_object_id", "object_type", "object_id"),
        sa.Index("ix_audit_log_at", "at"),
    )
