"""The household list's default-order index (0026) without the id: (region_code, head_name). With the id it held
every column the name search reads of a household's head, so PostgreSQL scanned it index-only and tested
pg_trgm's `%` on all 42,124 heads instead of using the trigram index (q=Agus&sort=name: 217 ms in that scan
alone). Ties of region and name are rare; the id is sorted incrementally, and `has_stacking=true` still stops
at a full page (1.8 ms in PostgreSQL on the demo city).

Revision ID: 0030
Revises: 0029
Create Date: 2026-11-30 15:40:00

"""

from alembic import op

revision = "0030"
down_revision = "0029"
branch_labels = None
depends_on = None


def upgrade():
    op.drop_index("ix_households_region_code_head_name_id", table_name="households")
    op.create_index("ix_households_region_code_head_name", "households", ["region_code", "head_name"])


def downgrade():
    op.drop_index("ix_households_region_code_head_name", table_name="households")
    op.create_index("ix_households_region_code_head_name_id", "households", ["region_code", "head_name", "id"])
