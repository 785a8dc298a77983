"""The map's cached household facts per kecamatan (UNLOGGED; see server/gis/models.py).

Revision ID: 0017
Revises: 0016
Create Date: 2026-11-30 09:50:00

"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "map_household_facts",
        sa.Column("household_id", postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column("kecamatan", sa.String(length=8), nullable=False),
        sa.Column("programmes", postgresql.ARRAY(sa.String(length=32)), nullable=False),
        sa.Column("stacking", sa.Boolean(), nullable=False),
        sa.Column("last_outcome", sa.String(length=14), nullable=True),
        sa.PrimaryKeyConstraint("household_id", name=op.f("pk_map_household_facts")),
        prefixes=["UNLOGGED"],
    )
    op.create_index("ix_map_household_facts_kecamatan", "map_household_facts", ["kecamatan"], unique=False)
    op.create_table(
        "map_fact_versions",
        sa.Column("kecamatan", sa.String(length=8), nullable=False),
        sa.Column("version", sa.String(length=40), nullable=False),
        sa.Column("refreshed_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("kecamatan", name=op.f("pk_map_fact_versions")),
        prefixes=["UNLOGGED"],
    )


def downgrade():
    op.drop_table("map_fact_versions")
    op.drop_index("ix_map_household_facts_kecamatan", table_name="map_household_facts")
    op.drop_table("map_household_facts")
