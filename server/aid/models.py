"""Aid programs (PKH, BPNT/Sembako, PBI-JK, …) and the receipts that tie a program to a family or person.

A receipt from an agency's list keeps the recipient as the agency listed them (NIK, No. KK, name, row of
the file), also when the list's key matched nobody in the registry (`listed_match = 'none'`: the auditor's
"not in the registry"). `occurrence` numbers the rows of one file paying the same recipient in the same
period: a second row is a second payment (the auditor's "paid more than once"), not a re-import.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from server.extensions import db
from server.types import (
    ProgramForm,
    ProgramLevel,
    ProgramPeriod,
    ProgramUnit,
    ReceiptSource,
    ReceiptStatus,
    code_enum,
    utcnow_default,
)


class AidProgram(db.Model):
    __tablename__ = "aid_programs"

    id: Mapped[int] = mapped_column(sa.Integer, sa.Identity(), primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(32), unique=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    level: Mapped[ProgramLevel] = mapped_column(code_enum(ProgramLevel, "program_level", 10))
    unit: Mapped[ProgramUnit] = mapped_column(code_enum(ProgramUnit, "program_unit", 8))
    form: Mapped[ProgramForm] = mapped_column(code_enum(ProgramForm, "program_form", 10))
    # Programs of the same category in the same period count as stacking ("bantuan menumpuk").
    category: Mapped[str] = mapped_column(sa.String(32))
    period: Mapped[ProgramPeriod] = mapped_column(code_enum(ProgramPeriod, "program_period", 10))
    active_from: Mapped[date | None] = mapped_column(sa.Date)
    active_until: Mapped[date | None] = mapped_column(sa.Date)
    description: Mapped[str | None] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), server_default=utcnow_default())


class AidReceipt(db.Model):
    __tablename__ = "aid_receipts"

    id: Mapped[int] = mapped_column(sa.BigInteger, sa.Identity(), primary_key=True)
    program_id: Mapped[int] = mapped_column(sa.ForeignKey("aid_programs.id"))
    household_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("households.id", ondelete="CASCADE"))
    member_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("members.id", ondelete="CASCADE"))
    period_start: Mapped[date] = mapped_column(sa.Date)
    period_end: Mapped[date] = mapped_column(sa.Date)
    amount: Mapped[Decimal | None] = mapped_column(sa.Numeric(14, 2))
    source: Mapped[ReceiptSource] = mapped_column(code_enum(ReceiptSource, "receipt_source", 14))
    status: Mapped[ReceiptStatus] = mapped_column(code_enum(ReceiptStatus, "receipt_status", 14))
    import_id: Mapped[int | None] = mapped_column(sa.ForeignKey("data_imports.id"))
    # The recipient as the agency's list named them (kept whatever the match): NIK (when valid), whether a
    # NIK was given but invalid, No. KK, name, kelurahan code and the row of the file.
    listed_nik: Mapped[str | None] = mapped_column(sa.String(16))
    listed_nik_valid: Mapped[bool | None] = mapped_column(sa.Boolean)
    listed_kk: Mapped[str | None] = mapped_column(sa.String(16))
    listed_name: Mapped[str | None] = mapped_column(sa.String(200))
    listed_region_code: Mapped[str | None] = mapped_column(sa.String(13))
    listed_row: Mapped[int | None] = mapped_column(sa.Integer)
    # exact (key matched one record), confirmed (a supervisor chose a candidate), ambiguous (key matched
    # several), none (key matched nobody); NULL for receipts not from an agency list.
    listed_match: Mapped[str | None] = mapped_column(sa.String(10))
    # 1 for the first row of a file paying this recipient in this period, 2 for the second, …
    occurrence: Mapped[int] = mapped_column(sa.SmallInteger, default=1, server_default="1")
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), server_default=utcnow_default())

    __table_args__ = (
        sa.CheckConstraint(
            "household_id IS NOT NULL OR member_id IS NOT NULL OR listed_match IN ('none', 'ambiguous')",
            name="has_recipient",
        ),
        sa.CheckConstraint(
            "listed_match IS NULL OR listed_match IN ('exact', 'confirmed', 'ambiguous', 'none')",
            name="listed_match_value",
        ),
        sa.CheckConstraint("occurrence >= 1", name="occurrence_positive"),
        sa.CheckConstraint("period_end >= period_start", name="period_order"),
        sa.Index("ix_aid_receipts_household_id_period_start", "household_id", "period_start"),
        sa.Index("ix_aid_receipts_member_id", "member_id"),
        sa.Index("ix_aid_receipts_program_id_period_start", "program_id", "period_start"),
        sa.Index("ix_aid_receipts_listed_nik", "listed_nik"),
        sa.Index("ix_aid_receipts_period_start_period_end", "period_start", "period_end"),
    )
