"""Programme rules as data (exclusivity pairs, same-purpose groups, desil eligibility, standard amounts), the
versions of the rule set, and frozen analysis snapshots.

A rule is never deleted, only deactivated; every change writes a new `AidRuleVersion` holding the whole
rule set as it then stood, so a figure computed under version N can be explained later.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, UUID
from sqlalchemy.orm import Mapped, mapped_column

from server.extensions import db
from server.types import utcnow_default

RULE_KINDS = ("exclusive", "same_purpose", "eligibility", "standard_amount")
AMOUNT_PER = ("month", "quarter", "year", "once")


class AidRule(db.Model):
    """One rule. `programs`: exclusive = [A, B] (A is not for recipients of B), same_purpose = the group (2+),
    eligibility and standard_amount = [the programme]."""

    __tablename__ = "aid_rules"

    id: Mapped[int] = mapped_column(sa.Integer, sa.Identity(), primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(16))
    programs: Mapped[list[str]] = mapped_column(ARRAY(sa.String(32)))
    label: Mapped[str | None] = mapped_column(sa.String(200))
    desil_max: Mapped[int | None] = mapped_column(sa.SmallInteger)
    amount: Mapped[Decimal | None] = mapped_column(sa.Numeric(14, 2))
    amount_per: Mapped[str | None] = mapped_column(sa.String(8))
    valid_from: Mapped[date | None] = mapped_column(sa.Date)
    valid_until: Mapped[date | None] = mapped_column(sa.Date)
    legal_basis: Mapped[str] = mapped_column(sa.Text)
    active: Mapped[bool] = mapped_column(sa.Boolean, default=True, server_default=sa.true())
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), server_default=utcnow_default())
    updated_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), server_default=utcnow_default())

    __table_args__ = (
        sa.CheckConstraint(
            "kind IN ('exclusive', 'same_purpose', 'eligibility', 'standard_amount')", name="kind_value"
        ),
        sa.CheckConstraint(
            "(kind = 'exclusive' AND cardinality(programs) = 2)"
            " OR (kind = 'same_purpose' AND cardinality(programs) >= 2)"
            " OR (kind IN ('eligibility', 'standard_amount') AND cardinality(programs) = 1)",
            name="programs_count",
        ),
        sa.CheckConstraint("kind <> 'eligibility' OR desil_max BETWEEN 1 AND 10", name="eligibility_desil"),
        sa.CheckConstraint(
            "kind <> 'standard_amount' OR (amount >= 0 AND amount_per IN ('month', 'quarter', 'year', 'once'))",
            name="standard_amount_value",
        ),
        sa.CheckConstraint(
            "valid_until IS NULL OR valid_from IS NULL OR valid_until >= valid_from", name="valid_order"
        ),
    )


class AidRuleVersion(db.Model):
    """The rule set after one change (or the seed): the whole set as JSON, who changed it and why."""

    __tablename__ = "aid_rule_versions"

    # Consecutive (max + 1 under the rule-set lock), unlike an identity, which a rolled-back change would skip.
    version: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=False)
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    summary: Mapped[str] = mapped_column(sa.Text)
    rules: Mapped[list] = mapped_column(JSONB)
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), server_default=utcnow_default())


class AnalyticsSnapshot(db.Model):
    """A summary frozen as shown (figures, period, area, rule-set version, as-of time)."""

    __tablename__ = "analytics_snapshots"

    id: Mapped[int] = mapped_column(sa.Integer, sa.Identity(), primary_key=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    region_code: Mapped[str] = mapped_column(sa.String(13))
    period_start: Mapped[date] = mapped_column(sa.Date)
    period_end: Mapped[date] = mapped_column(sa.Date)
    rule_set_version: Mapped[int] = mapped_column(sa.ForeignKey("aid_rule_versions.version"))
    as_of: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
    figures: Mapped[dict] = mapped_column(JSONB)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), server_default=utcnow_default())


class AnalyticsRun(db.Model):
    """The findings of one period as computed at `computed_at` from data whose state is `fingerprint`, under
    rule-set version `rule_set_version`; recomputed by the refresh job when either has moved on."""

    __tablename__ = "analytics_runs"

    id: Mapped[int] = mapped_column(sa.Integer, sa.Identity(), primary_key=True)
    period_start: Mapped[date] = mapped_column(sa.Date)
    period_end: Mapped[date] = mapped_column(sa.Date)
    rule_set_version: Mapped[int] = mapped_column(sa.Integer)
    fingerprint: Mapped[str] = mapped_column(sa.Text)
    computed_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
    compute_ms: Mapped[int] = mapped_column(sa.Integer)
    last_used_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))

    __table_args__ = (sa.UniqueConstraint("period_start", "period_end", name="uq_analytics_runs_period"),)


class AnalyticsFinding(db.Model):
    """One finding of a run: a household (or an agency-list row without one) of one kind, with the receipts
    and Rupiah in the period behind it. Read filtered by the caller's area; never shown without its run."""

    __tablename__ = "analytics_findings"

    id: Mapped[int] = mapped_column(sa.BigInteger, sa.Identity(), primary_key=True)
    run_id: Mapped[int] = mapped_column(sa.ForeignKey("analytics_runs.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(sa.String(24))
    side: Mapped[str] = mapped_column(sa.String(10))
    rule_id: Mapped[int | None] = mapped_column(sa.Integer)
    programs: Mapped[list[str]] = mapped_column(ARRAY(sa.String(32)))
    household_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    region_code: Mapped[str | None] = mapped_column(sa.String(13))
    rt: Mapped[str | None] = mapped_column(sa.String(3))
    rw: Mapped[str | None] = mapped_column(sa.String(3))
    receipts: Mapped[int] = mapped_column(sa.Integer)
    rupiah: Mapped[Decimal | None] = mapped_column(sa.Numeric(16, 2))
    estimated: Mapped[bool] = mapped_column(sa.Boolean)
    unknown_amount: Mapped[bool] = mapped_column(sa.Boolean)

    __table_args__ = (
        sa.Index("ix_analytics_findings_run_id_kind_region_code", "run_id", "kind", "region_code"),
        sa.Index("ix_analytics_findings_run_id_region_code", "run_id", "region_code"),
    )


class AnalyticsCell(db.Model):
    """A run's findings counted per RT (kelurahan, RW, RT), kind, side, rule and programme: a household lies in
    one RT, so its distinct counts add up to kelurahan, kecamatan and city. `program` NULL is the kind's total
    line (households counted once whatever their programmes). Summaries read these, not the findings."""

    __tablename__ = "analytics_cells"

    id: Mapped[int] = mapped_column(sa.BigInteger, sa.Identity(), primary_key=True)
    run_id: Mapped[int] = mapped_column(sa.ForeignKey("analytics_runs.id", ondelete="CASCADE"))
    # 'kelurahan' cells (rw, rt NULL) serve city, kecamatan and kelurahan summaries; 'rt' cells the RW/RT one.
    level: Mapped[str] = mapped_column(sa.String(10), default="rt", server_default="rt")
    region_code: Mapped[str | None] = mapped_column(sa.String(13))
    rw: Mapped[str | None] = mapped_column(sa.String(3))
    rt: Mapped[str | None] = mapped_column(sa.String(3))
    kind: Mapped[str] = mapped_column(sa.String(24))
    side: Mapped[str] = mapped_column(sa.String(10))
    rule_id: Mapped[int | None] = mapped_column(sa.Integer)
    programs: Mapped[list[str]] = mapped_column(ARRAY(sa.String(32)))
    program: Mapped[str | None] = mapped_column(sa.String(32))
    households: Mapped[int] = mapped_column(sa.Integer)
    receipts: Mapped[int] = mapped_column(sa.Integer)
    rupiah: Mapped[Decimal] = mapped_column(sa.Numeric(18, 2))
    rupiah_estimated: Mapped[Decimal] = mapped_column(sa.Numeric(18, 2))
    unknown_amount: Mapped[int] = mapped_column(sa.Integer)

    __table_args__ = (sa.Index("ix_analytics_cells_run_id_level_region_code", "run_id", "level", "region_code"),)
