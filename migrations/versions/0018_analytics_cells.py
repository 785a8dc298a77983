"""Analytics: each run's findings counted per RT (analytics_cells), so a city summary adds up a few thousand
rows instead of counting ninety thousand findings; an index on visits.reviewed_at for the data fingerprint.

Revision ID: 0018
Revises: 0017
Create Date: 2026-11-30 09:55:00

"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "analytics_cells",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("region_code", sa.String(length=13), nullable=True),
        sa.Column("rw", sa.String(length=3), nullable=True),
        sa.Column("rt", sa.String(length=3), nullable=True),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("side", sa.String(length=10), nullable=False),
        sa.Column("rule_id", sa.Integer(), nullable=True),
        sa.Column("programs", postgresql.ARRAY(sa.String(length=32)), nullable=False),
        sa.Column("program", sa.String(length=32), nullable=True),
        sa.Column("households", sa.Integer(), nullable=False),
        sa.Column("receipts", sa.Integer(), nullable=False),
        sa.Column("rupiah", sa.Numeric(precision=18, scale=2), nullable=False),
        sa.Column("rupiah_estimated", sa.Numeric(precision=18, scale=2), nullable=False),
        sa.Column("unknown_amount", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["run_id"], ["analytics_runs.id"], name=op.f("fk_analytics_cells_run_id_analytics_runs"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_analytics_cells")),
    )
    op.create_index("ix_analytics_cells_run_id_region_code", "analytics_cells", ["run_id", "region_code"])
    op.create_index("ix_visits_reviewed_at", "visits", ["reviewed_at"])
    # Runs computed before this revision have no cells: the next read computes them again.
    op.execute("DELETE FROM analytics_runs")


def downgrade():
    op.drop_index("ix_visits_reviewed_at", table_name="visits")
    op.drop_table("analytics_cells")
