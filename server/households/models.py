"""Households (one family card in the registry) and their members.

`version` is the optimistic-concurrency counter the API exposes as an ETag; `change_seq` and
`change_xid` are stamped by a database trigger on every insert/update so sync can find what changed
without trusting any clock (see the migration for the trigger).
"""

from __future__ import annotations

import uuid
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB, UUID, ExcludeConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from server.extensions import db
from server.types import (
    HouseholdSource,
    Presence,
    RegistryStatus,
    Sex,
    VerificationStatus,
    code_enum,
    point,
    utcnow_default,
)


class Household(db.Model):
    __tablename__ = "households"

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)
    registry_id: Mapped[str | None] = mapped_column(sa.String(32), unique=True)
    kk_number: Mapped[str | None] = mapped_column(sa.String(16), index=True)
    head_name: Mapped[str] = mapped_column(sa.String(200))
    address: Mapped[str | None] = mapped_column(sa.Text)
    rt: Mapped[str | None] = mapped_column(sa.String(3))
    rw: Mapped[str | None] = mapped_column(sa.String(3))
    region_code: Mapped[str] = mapped_column(sa.ForeignKey("regions.code"))
    decile: Mapped[int | None] = mapped_column(sa.SmallInteger)
    location = mapped_column(point(), nullable=True)
    location_accuracy_m: Mapped[float | None] = mapped_column(sa.Float)
    registry_status: Mapped[RegistryStatus] = mapped_column(
        code_enum(RegistryStatus, "registry_status", 12), default=RegistryStatus.ACTIVE
    )
    verification_status: Mapped[VerificationStatus] = mapped_column(
        code_enum(VerificationStatus, "verification_status", 12), default=VerificationStatus.UNVERIFIED
    )
    source: Mapped[HouseholdSource] = mapped_column(
        code_enum(HouseholdSource, "household_source", 10), default=HouseholdSource.REGISTRY
    )
    merged_into_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("households.id"))
    # Review flags (e.g. "nik_duplicate": a member's NIK is listed in another household too); kept until settled.
    flags: Mapped[list] = mapped_column(JSONB, default=list, server_default=sa.text("'[]'::jsonb"))
    version: Mapped[int] = mapped_column(sa.Integer, default=1, server_default="1")
    change_seq: Mapped[int] = mapped_column(sa.BigInteger, server_default="0")
    change_xid: Mapped[int] = mapped_column(sa.BigInteger, server_default="0")
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), server_default=utcnow_default())
    updated_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), server_default=utcnow_default())

    members: Mapped[list[Member]] = relationship(back_populates="household", order_by="Member.relationship_code")

    __table_args__ = (
        sa.CheckConstraint("decile BETWEEN 1 AND 10", name="decile_range"),
        sa.CheckConstraint("kk_number ~ '^[0-9]{16}$'", name="kk_number_digits"),
        sa.Index("ix_households_region_code_rt_rw", "region_code", "rt", "rw"),
        sa.Index("ix_households_location", "location", postgresql_using="gist"),
        sa.Index("ix_households_change_seq", "change_seq"),
        sa.Index("ix_households_registry_status", "registry_status"),
        sa.Index(
            "ix_households_head_name_trgm",
            "head_name",
            postgresql_using="gin",
            postgresql_ops={"head_name": "gin_trgm_ops"},
        ),
        # The orders a household list may be sorted by (households/queries.SORTS), read in index order. The name's
        # is on head_name alone: with (head_name, id) it covered the name search's head scan, which PostgreSQL
        # then ran as an index-only scan testing `%` on every row (q=Agus 2.4x slower than the trigram index).
        sa.Index("ix_households_head_name", "head_name"),
        # The default order (kelurahan, name): a filtered list (has_stacking) walks it and stops at a full page.
        # Without the id, like the name's: a covering index invited index-only scans testing `%` on every head.
        sa.Index("ix_households_region_code_head_name", "region_code", "head_name"),
        # The list's flag= filter (`flags @> '["…"]'`).
        sa.Index("ix_households_flags", "flags", postgresql_using="gin", postgresql_ops={"flags": "jsonb_path_ops"}),
        sa.Index("ix_households_decile_sort", sa.text("coalesce(decile, 11)"), "id"),
        sa.Index("ix_households_verification_status_id", "verification_status", "id"),
        sa.Index("ix_households_updated_at_id", "updated_at", "id"),
    )


class Member(db.Model):
    __tablename__ = "members"

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)
    household_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("households.id", ondelete="CASCADE"), index=True)
    nik: Mapped[str | None] = mapped_column(sa.String(16), index=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    sex: Mapped[Sex] = mapped_column(sa.SmallInteger)
    birth_date: Mapped[date | None] = mapped_column(sa.Date)
    birth_place: Mapped[str | None] = mapped_column(sa.String(100))
    relationship_code: Mapped[int] = mapped_column(sa.SmallInteger)
    presence_status: Mapped[Presence] = mapped_column(code_enum(Presence, "presence", 14), default=Presence.PRESENT)
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), server_default=utcnow_default())
    updated_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), server_default=utcnow_default())

    household: Mapped[Household] = relationship(back_populates="members")

    __table_args__ = (
        sa.CheckConstraint("nik ~ '^[0-9]{16}$'", name="nik_digits"),
        sa.CheckConstraint("sex IN (1, 2)", name="sex_code"),
        sa.CheckConstraint("relationship_code BETWEEN 1 AND 8", name="relationship_code_range"),
        sa.Index("ix_members_name_trgm", "name", postgresql_using="gin", postgresql_ops={"name": "gin_trgm_ops"}),
        # One head among a household's present members; checked per statement, so a swap in one UPDATE works.
        ExcludeConstraint(
            ("household_id", "="),
            name="ex_members_one_present_head",
            using="btree",
            where=sa.text("relationship_code = 1 AND presence_status = 'present'"),
            deferrable=True,
            initially="IMMEDIATE",
        ),
    )


class HouseholdAidStacking(db.Model):
    """A household whose live aid stacks (two programmes of one category, overlapping periods). Kept by
    database triggers on aid_receipts and members (migration 0021); read by the list's has_stacking filter."""

    __tablename__ = "household_aid_stacking"

    household_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("households.id", ondelete="CASCADE"), primary_key=True
    )
