"""A musyawarah round per kelurahan and campaign, and the rows of its lists.

A round moves open (visits and reviews going on) → ready (lists generated) → held (every row decided by the
forum) → locked (the signed berita acara uploaded). An admin may unlock a locked round with a reason (back to
held). Each row (`MusyawarahItem`) is one finding the forum decides on: a household confirmed (tetap), data
corrections (perbaikan), a proposed removal (hapus), member changes (anggota), a household proposed in the
field (usulan_baru), an inclusion error (inklusi) or an eligible household without aid (tanpa_bantuan).
`change_ids` are the registry_changes rows the decision settles; `evidence` what the forum is shown.
Each lock by a signed berita acara is kept (`MusyawarahLock`, version 1, 2 … after unlocks).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, UUID
from sqlalchemy.orm import Mapped, mapped_column

from server.extensions import db
from server.types import utcnow_default

STATES = ("open", "ready", "held", "locked")
SECTIONS = ("tetap", "perbaikan", "hapus", "anggota", "usulan_baru", "inklusi", "tanpa_bantuan")
DECISIONS = ("setuju", "tidak_setuju")


class MusyawarahRound(db.Model):
    __tablename__ = "musyawarah_rounds"

    id: Mapped[int] = mapped_column(sa.Integer, sa.Identity(), primary_key=True)
    campaign_id: Mapped[int] = mapped_column(sa.ForeignKey("campaigns.id"))
    region_code: Mapped[str] = mapped_column(sa.ForeignKey("regions.code"))
    state: Mapped[str] = mapped_column(sa.String(8), server_default="open", default="open")
    version: Mapped[int] = mapped_column(sa.Integer, server_default="1", default=1)
    counts: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default=sa.text("'{}'::jsonb"), default=dict)
    package_job_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    lists_key: Mapped[str | None] = mapped_column(sa.String(300))
    berita_key: Mapped[str | None] = mapped_column(sa.String(300))
    generated_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    held_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    locked_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    locked_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    scan_key: Mapped[str | None] = mapped_column(sa.String(300))
    scan_name: Mapped[str | None] = mapped_column(sa.String(200))
    scan_media_type: Mapped[str | None] = mapped_column(sa.String(60))
    scan_sha256: Mapped[str | None] = mapped_column(sa.String(64))
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), server_default=utcnow_default())
    updated_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), server_default=utcnow_default())

    __table_args__ = (
        sa.CheckConstraint("state IN ('open', 'ready', 'held', 'locked')", name="state"),
        sa.UniqueConstraint("campaign_id", "region_code"),
        sa.Index("ix_musyawarah_rounds_region_code_state", "region_code", "state"),
    )


class MusyawarahItem(db.Model):
    __tablename__ = "musyawarah_items"

    id: Mapped[int] = mapped_column(sa.BigInteger, sa.Identity(), primary_key=True)
    round_id: Mapped[int] = mapped_column(sa.ForeignKey("musyawarah_rounds.id", ondelete="CASCADE"))
    section: Mapped[str] = mapped_column(sa.String(16))
    household_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("households.id", ondelete="CASCADE"))
    member_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    visit_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    change_ids: Mapped[list[int]] = mapped_column(ARRAY(sa.BigInteger), server_default="{}", default=list)
    rw: Mapped[str | None] = mapped_column(sa.String(3))
    rt: Mapped[str | None] = mapped_column(sa.String(3))
    evidence: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default=sa.text("'{}'::jsonb"), default=dict)
    decision: Mapped[str | None] = mapped_column(sa.String(12))
    remarks: Mapped[str | None] = mapped_column(sa.Text)
    decided_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))

    __table_args__ = (
        sa.CheckConstraint("decision IS NULL OR decision IN ('setuju', 'tidak_setuju')", name="decision"),
        sa.Index("ix_musyawarah_items_round_id_section", "round_id", "section"),
        sa.Index("ix_musyawarah_items_household_id", "household_id"),
    )


class MusyawarahLock(db.Model):
    """One locking of a round by a signed berita acara (version 1, then 2 … after each admin unlock): the
    scan, the pre-filled berita acara it signs, the decisions' counts it records, and its unlock if any."""

    __tablename__ = "musyawarah_locks"

    id: Mapped[int] = mapped_column(sa.Integer, sa.Identity(), primary_key=True)
    round_id: Mapped[int] = mapped_column(sa.ForeignKey("musyawarah_rounds.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(sa.Integer)
    berita_key: Mapped[str | None] = mapped_column(sa.String(300))
    counts: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default=sa.text("'{}'::jsonb"), default=dict)
    scan_key: Mapped[str] = mapped_column(sa.String(300))
    scan_name: Mapped[str | None] = mapped_column(sa.String(200))
    scan_media_type: Mapped[str | None] = mapped_column(sa.String(60))
    scan_sha256: Mapped[str] = mapped_column(sa.String(64))
    locked_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
    locked_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    unlocked_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    unlocked_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    unlock_reason: Mapped[str | None] = mapped_column(sa.Text)

    __table_args__ = (sa.UniqueConstraint("round_id", "number"),)
