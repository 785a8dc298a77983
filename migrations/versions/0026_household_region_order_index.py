"""The household list's default order (kelurahan, head name, id) as one B-tree index: a filtered list reads
its page in index order and stops when it is full. `has_stacking=true` (a tenth of the city) then probes
`household_aid_stacking` for ~500 households instead of hash-joining it with every household and sorting
(50 -> 1.6 ms in PostgreSQL on the demo city, bench/staff_pages.py); the unfiltered default list no longer
sorts each kelurahan incrementally either.

Revision ID: 0026
Revises: 0025
Create Date: 2026-11-30 15:20:00

"""

from alembic import op

revision = "0026"
down_revision = "0025"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index("ix_households_region_code_head_name_id", "households", ["region_code", "head_name", "id"])


def downgrade():
    op.drop_index("ix_households_region_code_head_name_id", table_name="households")
