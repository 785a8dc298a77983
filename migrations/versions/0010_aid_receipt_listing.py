"""Aid receipts keep the recipient as the agency listed them, unmatched rows and double payments in one file.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-30 09:30:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("aid_receipts", sa.Column("listed_nik", sa.String(length=16), nullable=True))
    op.add_column("aid_receipts", sa.Column("listed_nik_valid", sa.Boolean(), nullable=True))
    op.add_column("aid_receipts", sa.Column("listed_kk", sa.String(length=16), nullable=True))
    op.add_column("aid_receipts", sa.Column("listed_name", sa.String(length=200), nullable=True))
    op.add_column("aid_receipts", sa.Column("listed_region_code", sa.String(length=13), nullable=True))
    op.add_column("aid_receipts", sa.Column("listed_row", sa.Integer(), nullable=True))
    op.add_column("aid_receipts", sa.Column("listed_match", sa.String(length=10), nullable=True))
    op.add_column("aid_receipts", sa.Column("occurrence", sa.SmallInteger(), server_default="1", nullable=False))
    op.execute("UPDATE aid_receipts SET listed_match = 'exact' WHERE source = 'agency_list'")
    op.drop_constraint(op.f("ck_aid_receipts_has_recipient"), "aid_receipts", type_="check")
    op.create_check_constraint(
        op.f("ck_aid_receipts_has_recipient"),
        "aid_receipts",
        "household_id IS NOT NULL OR member_id IS NOT NULL OR listed_match IN ('none', 'ambiguous')",
    )
    op.create_check_constraint(
        op.f("ck_aid_receipts_listed_match_value"),
        "aid_receipts",
        "listed_match IS NULL OR listed_match IN ('exact', 'confirmed', 'ambiguous', 'none')",
    )
    op.create_check_constraint(op.f("ck_aid_receipts_occurrence_positive"), "aid_receipts", "occurrence >= 1")
    op.create_index(op.f("ix_aid_receipts_listed_nik"), "aid_receipts", ["listed_nik"], unique=False)
    op.create_index(
        op.f("ix_aid_receipts_period_start_period_end"), "aid_receipts", ["period_start", "period_end"], unique=False
    )


def downgrade():
    op.drop_index(op.f("ix_aid_receipts_period_start_period_end"), table_name="aid_receipts")
    op.drop_index(op.f("ix_aid_receipts_listed_nik"), table_name="aid_receipts")
    op.drop_constraint(op.f("ck_aid_receipts_occurrence_positive"), "aid_receipts", type_="check")
    op.drop_constraint(op.f("ck_aid_receipts_listed_match_value"), "aid_receipts", type_="check")
    op.drop_constraint(op.f("ck_aid_receipts_has_recipient"), "aid_receipts", type_="check")
    op.execute("DELETE FROM aid_receipts WHERE household_id IS NULL AND member_id IS NULL")
    op.create_check_constraint(
        op.f("ck_aid_receipts_has_recipient"), "aid_receipts", "household_id IS NOT NULL OR member_id IS NOT NULL"
    )
    for column in (
        "occurrence",
        "listed_match",
        "listed_row",
        "listed_region_code",
        "listed_name",
        "listed_kk",
        "listed_nik_valid",
        "listed_nik",
    ):
        op.drop_column("aid_receipts", column)
