"""Field visits as pushed by the phones, and the review decisions taken on them.

A visit's id is the client-generated UUID, so a replayed push finds the stored row; `content_hash`
lets the server tell a harmless replay (same content) from a conflicting one. A visit is frozen once
stored: corrections are new visits naming the one they supersede.
"""

from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.orm import Mapped, mapped_column

from server.extensions import db
from server.types import Outcome, ReviewDecision, ReviewStatus, ReviewVia, code_enum, point, utcnow_default


class Visit(db.Model):
    __tablename__ = "visits"

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    household_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("households.id", ondelete="CASCADE"))
    campaign_id: Mapped[int | None] = mapped_column(sa.ForeignKey("campaigns.id"))
    enumerator_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    device_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("devices.id", ondelete="SET NULL"))
    supersedes_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("visits.id"))
    base_version: Mapped[int | None] = mapped_column(sa.Integer)
    device_time: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
    # The phone's UTC offset when it recorded device_time (minutes), so the local reading can be shown again.
    device_utc_offset_min: Mapped[int | None] = mapped_column(sa.SmallInteger)
    received_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), server_default=utcnow_default())
    clock_skew_s: Mapped[float | None] = mapped_column(sa.Float)
    location = mapped_column(point(), nullable=True)
    location_accuracy_m: Mapped[float | None] = mapped_column(sa.Float)
    location_fixed_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    no_fix_reason: Mapped[str | None] = mapped_column(sa.String(200))
    outcome: Mapped[Outcome] = mapped_column(code_enum(Outcome, "outcome", 14))
    consent: Mapped[bool] = mapped_column(sa.Boolean)
    # Member changes, house condition, aid reported by the family: the form's answers as submitted.
    answers: Mapped[dict] = mapped_column(JSONB, default=dict)
    notes: Mapped[str | None] = mapped_column(sa.Text)
    content_hash: Mapped[str] = mapped_column(sa.String(64))
    flags: Mapped[list] = mapped_column(JSONB, default=list, server_default=sa.text("'[]'::jsonb"))
    # The review queue's priority score (higher first), computed from the flags' weights at push.
    priority: Mapped[int] = mapped_column(sa.Integer, default=0, server_default="0")
    review_status: Mapped[ReviewStatus] = mapped_column(
        code_enum(ReviewStatus, "review_status", 10), default=ReviewStatus.PENDING
    )
    reviewed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    reviewed_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    review_comment: Mapped[str | None] = mapped_column(sa.Text)
    review_reason_code: Mapped[str | None] = mapped_column(sa.String(40))
    # Optimistic concurrency of review decisions (the review API's ETag): bumped by every decision.
    review_version: Mapped[int] = mapped_column(sa.Integer, default=1, server_default="1")
    # A reviewer's claim on the visit in the queue (others see it claimed until it expires).
    claimed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    claimed_until: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))

    __table_args__ = (
        sa.CheckConstraint("(location IS NULL) = (location_accuracy_m IS NULL)", name="location_has_accuracy"),
        sa.CheckConstraint("location IS NOT NULL OR no_fix_reason IS NOT NULL", name="fix_or_reason"),
        sa.CheckConstraint("device_utc_offset_min BETWEEN -720 AND 840", name="device_utc_offset_range"),
        sa.Index("ix_visits_household_id_device_time", "household_id", "device_time"),
        sa.Index("ix_visits_enumerator_id_received_at", "enumerator_id", "received_at"),
        sa.Index("ix_visits_review_status_received_at", "review_status", "received_at"),
        sa.Index("ix_visits_review_status_priority_received_at", "review_status", "priority", "received_at"),
        sa.Index("ix_visits_location", "location", postgresql_using="gist"),
        sa.Index("ix_visits_supersedes_id", "supersedes_id"),
        sa.Index("ix_visits_reviewed_at", "reviewed_at"),  # analytics: has any decision been taken since?
        # Each household's latest visit that counts (the Beranda's findings), read index-only.
        sa.Index(
            "ix_visits_household_latest",
            "household_id",
            sa.text("device_time DESC"),
            postgresql_include=["outcome"],
            postgresql_where=sa.text("review_status <> 'superseded'"),
        ),
    )


class VisitReview(db.Model):
    """Every review decision, kept as history (the visit row holds only the latest)."""

    __tablename__ = "visit_reviews"

    id: Mapped[int] = mapped_column(sa.BigInteger, sa.Identity(), primary_key=True)
    visit_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("visits.id", ondelete="CASCADE"), index=True)
    # None for a decision nobody took by hand (superseded by a later decision).
    reviewer_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    decision: Mapped[ReviewDecision] = mapped_column(code_enum(ReviewDecision, "review_decision", 10))
    reason_code: Mapped[str | None] = mapped_column(sa.String(40))
    via: Mapped[ReviewVia] = mapped_column(
        code_enum(ReviewVia, "review_via", 10), default=ReviewVia.REVIEWER, server_default="reviewer"
    )
    comment: Mapped[str | None] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), server_default=utcnow_default())


class VisitTally(db.Model):
    """Signed counts of visits per review-queue facet key, kept by triggers on `visits` (migration 0027): the
    sum of `n` per key is the number of visits with that key now. Writers only append rows (no counter row is
    ever updated in place, so concurrent writers never wait on one another); `compact_visit_tally()` folds
    them into one row per key."""

    __tablename__ = "visit_tally"

    id: Mapped[int] = mapped_column(sa.BigInteger, sa.Identity(), primary_key=True)
    # The household's kelurahan (a household moving moves its visits' counts).
    region_code: Mapped[str] = mapped_column(sa.String(13))
    enumerator_id: Mapped[int] = mapped_column(sa.Integer)
    # 0 for a visit outside any campaign.
    campaign_id: Mapped[int] = mapped_column(sa.Integer)
    review_status: Mapped[str] = mapped_column(sa.String(10))
    outcome: Mapped[str] = mapped_column(sa.String(14))
    flags: Mapped[list] = mapped_column(JSONB)
    n: Mapped[int] = mapped_column(sa.Integer)
    # Written by `compact_visit_tally()` (one row per key) rather than by a trigger.
    folded: Mapped[bool] = mapped_column(sa.Boolean, server_default=sa.false())
