"""Analytics cells at two levels: per kelurahan (city, kecamatan and kelurahan summaries add up ~2,000 rows)
and per RT (the RW/RT table), instead of per RT only (~60,000 rows for the city).

Revision ID: 0019
Revises: 0018
Create Date: 2026-11-30 10:05:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("analytics_cells", sa.Column("level", sa.String(length=10), server_default="rt", nullable=False))
    op.drop_index("ix_analytics_cells_run_id_region_code", table_name="analytics_cells")
    op.create_index(
        "ix_analytics_cells_run_id_level_region_code", "analytics_cells", ["run_id", "level", "region_code"]
    )
    # Runs computed before this revision have no kelurahan cells: the next read computes them again.
    op.execute("DELETE FROM analytics_runs")


def downgrade():
    op.drop_index("ix_analytics_cells_run_id_level_region_code", table_name="analytics_cells")
    op.create_index("ix_analytics_cells_run_id_region_code", "analytics_cells", ["run_id", "region_code"])
    op.drop_column("analytics_cells", "level")
