"""Import rejections (row, column, reason) and aid match proposals awaiting a supervisor's decision.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28 18:31:43.775481

"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "data_import_rejections",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("import_id", sa.Integer(), nullable=False),
        sa.Column("row_number", sa.Integer(), nullable=False),
        sa.Column("column", sa.String(length=64), nullable=True),
        sa.Column("record_key", sa.String(length=64), nullable=True),
        sa.Column("code", sa.String(length=48), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["import_id"],
            ["data_imports.id"],
            name=op.f("fk_data_import_rejections_import_id_data_imports"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_data_import_rejections")),
    )
    with op.batch_alter_table("data_import_rejections", schema=None) as batch_op:
        batch_op.create_index(
            "ix_data_import_rejections_import_id_row_number", ["import_id", "row_number"], unique=False
        )

    op.create_table(
        "aid_match_proposals",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("import_id", sa.Integer(), nullable=False),
        sa.Column("program_id", sa.Integer(), nullable=False),
        sa.Column("row_number", sa.Integer(), nullable=False),
        sa.Column("listed_number", sa.String(length=16), nullable=True),
        sa.Column("listed_name", sa.String(length=200), nullable=False),
        sa.Column("region_code", sa.String(length=13), nullable=True),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("amount", sa.Numeric(precision=14, scale=2), nullable=True),
        sa.Column("receipt_status", sa.String(length=14), nullable=False),
        sa.Column("candidates", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("state", sa.String(length=10), server_default="pending", nullable=False),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("receipt_id", sa.BigInteger(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint(
            "state IN ('pending', 'confirmed', 'rejected')", name=op.f("ck_aid_match_proposals_state_value")
        ),
        sa.CheckConstraint("period_end >= period_start", name=op.f("ck_aid_match_proposals_period_order")),
        sa.ForeignKeyConstraint(
            ["decided_by_id"], ["users.id"], name=op.f("fk_aid_match_proposals_decided_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["import_id"],
            ["data_imports.id"],
            name=op.f("fk_aid_match_proposals_import_id_data_imports"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["program_id"], ["aid_programs.id"], name=op.f("fk_aid_match_proposals_program_id_aid_programs")
        ),
        sa.ForeignKeyConstraint(
            ["receipt_id"],
            ["aid_receipts.id"],
            name=op.f("fk_aid_match_proposals_receipt_id_aid_receipts"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_aid_match_proposals")),
    )
    with op.batch_alter_table("aid_match_proposals", schema=None) as batch_op:
        batch_op.create_index("ix_aid_match_proposals_import_id", ["import_id"], unique=False)
        batch_op.create_index("ix_aid_match_proposals_state_region_code", ["state", "region_code"], unique=False)


def downgrade():
    with op.batch_alter_table("aid_match_proposals", schema=None) as batch_op:
        batch_op.drop_index("ix_aid_match_proposals_state_region_code")
        batch_op.drop_index("ix_aid_match_proposals_import_id")

    op.drop_table("aid_match_proposals")
    with op.batch_alter_table("data_import_rejections", schema=None) as batch_op:
        batch_op.drop_index("ix_data_import_rejections_import_id_row_number")

    op.drop_table("data_import_rejections")
