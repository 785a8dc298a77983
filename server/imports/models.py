"""Record of every data import (registry extract or agency recipient list): who, when, which file, counts;
the rows it rejected and why; and the fuzzy aid matches waiting for a supervisor's decision."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

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


class ImportRejection(db.Model):
    """One reason a row of an import was not applied (row number, column, reason); no cell values (PII)."""

    __tablename__ = "data_import_rejections"

    id: Mapped[int] = mapped_column(sa.BigInteger, sa.Identity(), primary_key=True)
    import_id: Mapped[int] = mapped_column(sa.ForeignKey("data_imports.id", ondelete="CASCADE"))
    row_number: Mapped[int] = mapped_column(sa.Integer)
    column: Mapped[str | None] = mapped_column(sa.String(64))
    # The file's household key, so a supervisor can find the household again; not personal data by itself.
    record_key: Mapped[str | None] = mapped_column(sa.String(64))
    code: Mapped[str] = mapped_column(sa.String(48))
    reason: Mapped[str] = mapped_column(sa.Text)

    __table_args__ = (sa.Index("ix_data_import_rejections_import_id_row_number", "import_id", "row_number"),)


class AidMatchProposal(db.Model):
    """An agency-list row matched to no household/member exactly: name-similar candidates wait for a supervisor.

    Nothing is applied until a supervisor confirms one candidate (which creates the receipt) or rejects all.
    """

    __tablename__ = "aid_match_proposals"

    id: Mapped[int] = mapped_column(sa.BigInteger, sa.Identity(), primary_key=True)
    import_id: Mapped[int] = mapped_column(sa.ForeignKey("data_imports.id", ondelete="CASCADE"))
    program_id: Mapped[int] = mapped_column(sa.ForeignKey("aid_programs.id"))
    row_number: Mapped[int] = mapped_column(sa.Integer)
    listed_number: Mapped[str | None] = mapped_column(sa.String(16))
    listed_name: Mapped[str] = mapped_column(sa.String(200))
    region_code: Mapped[str | None] = mapped_column(sa.String(13))
    period_start: Mapped[date] = mapped_column(sa.Date)
    period_end: Mapped[date] = mapped_column(sa.Date)
    amount: Mapped[Decimal | None] = mapped_column(sa.Numeric(14, 2))
    receipt_status: Mapped[str] = mapped_column(sa.String(14))
    # [{"household_id", "member_id", "name", "region_code", "score"}], best first.
    candidates: Mapped[list] = mapped_column(JSONB, default=list)
    state: Mapped[str] = mapped_column(sa.String(10), default="pending", server_default="pending")
    decided_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    receipt_id: Mapped[int | None] = mapped_column(sa.ForeignKey("aid_receipts.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), server_default=utcnow_default())

    __table_args__ = (
        sa.CheckConstraint("state IN ('pending', 'confirmed', 'rejected')", name="state_value"),
        sa.CheckConstraint("period_end >= period_start", name="period_order"),
        sa.Index("ix_aid_match_proposals_state_region_code", "state", "region_code"),
        sa.Index("ix_aid_match_proposals_import_id", "import_id"),
    )
