"""Verification rounds (campaigns) and the assignment of households to enumerators within them.

An assignment row is never deleted: unassigning stamps `unassigned_at`, so sync can send the phone a
tombstone. At most one live assignment per household and campaign (partial unique index).
"""

from __future__ import annotations

import uuid
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from server.extensions import db
from server.types import TombstoneReason, code_enum, utcnow_default


class Campaign(db.Model):
    __tablename__ = "campaigns"

    id: Mapped[int] = mapped_column(sa.Integer, sa.Identity(), primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    period_start: Mapped[date] = mapped_column(sa.Date)
    period_end: Mapped[date] = mapped_column(sa.Date)
    active: Mapped[bool] = mapped_column(sa.Boolean, default=True, server_default=sa.true())
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), server_default=utcnow_default())
    # Overrides of the quality-flag catalogue and the review policy (server/visits/flags.py).
    settings: Mapped[dict] = mapped_column(JSONB, default=dict, server_default=sa.text("'{}'::jsonb"))

    __table_args__ = (sa.CheckConstraint("period_end >= period_start", name="period_order"),)


class Assignment(db.Model):
    __tablename__ = "assignments"

    id: Mapped[int] = mapped_column(sa.BigInteger, sa.Identity(), primary_key=True)
    campaign_id: Mapped[int] = mapped_column(sa.ForeignKey("campaigns.id"))
    household_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("households.id", ondelete="CASCADE"))
    enumerator_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    assigned_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    assigned_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), server_default=utcnow_default())
    unassigned_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    change_seq: Mapped[int] = mapped_column(sa.BigInteger, server_default="0")
    change_xid: Mapped[int] = mapped_column(sa.BigInteger, server_default="0")

    __table_args__ = (
        sa.Index(
            "uq_assignments_live_campaign_household",
            "campaign_id",
            "household_id",
            unique=True,
            postgresql_where=sa.text("unassigned_at IS NULL"),
        ),
        sa.Index("ix_assignments_enumerator_id_change_seq", "enumerator_id", "change_seq"),
        sa.Index("ix_assignments_household_id", "household_id"),
    )


class Tombstone(db.Model):
    """A household a phone must drop: unassigned from this user, merged into another, or removed."""

    __tablename__ = "sync_tombstones"

    id: Mapped[int] = mapped_column(sa.BigInteger, sa.Identity(), primary_key=True)
    household_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("households.id", ondelete="CASCADE"))
    # NULL: every phone holding the household drops it (merge, removal); otherwise only this user's.
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    reason: Mapped[TombstoneReason] = mapped_column(code_enum(TombstoneReason, "tombstone_reason", 12))
    merged_into_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("households.id"))
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), server_default=utcnow_default())
    change_seq: Mapped[int] = mapped_column(sa.BigInteger, server_default="0")
    change_xid: Mapped[int] = mapped_column(sa.BigInteger, server_default="0")

    __table_args__ = (
        sa.Index("ix_sync_tombstones_change_seq", "change_seq"),
        sa.Index("ix_sync_tombstones_user_id", "user_id"),
    )
