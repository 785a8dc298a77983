"""Musyawarah kelurahan: one round per kelurahan and campaign (open → ready → held → locked) and the rows of
its lists (one per finding the forum decides on), with the forum's decision per row.

Revision ID: 0022
Revises: 0021
Create Date: 2026-11-30 10:20:00

"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "musyawarah_rounds",
        sa.Column("id", sa.Integer(), sa.Identity(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("region_code", sa.String(length=13), nullable=False),
        sa.Column("state", sa.String(length=8), server_default="open", nullable=False),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.Column(
            "counts", postgresql.JSONB(astext_type=sa.Text()), server_default=sa.text("'{}'::jsonb"), nullable=False
        ),
        sa.Column("package_job_id", sa.UUID(), nullable=True),
        sa.Column("lists_key", sa.String(length=300), nullable=True),
        sa.Column("berita_key", sa.String(length=300), nullable=True),
        sa.Column("generated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("held_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("locked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("locked_by_id", sa.Integer(), nullable=True),
        sa.Column("scan_key", sa.String(length=300), nullable=True),
        sa.Column("scan_name", sa.String(length=200), nullable=True),
        sa.Column("scan_media_type", sa.String(length=60), nullable=True),
        sa.Column("scan_sha256", sa.String(length=64), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("state IN ('open', 'ready', 'held', 'locked')", name=op.f("ck_musyawarah_rounds_state")),
        sa.ForeignKeyConstraint(
            ["campaign_id"], ["campaigns.id"], name=op.f("fk_musyawarah_rounds_campaign_id_campaigns")
        ),
        sa.ForeignKeyConstraint(
            ["region_code"], ["regions.code"], name=op.f("fk_musyawarah_rounds_region_code_regions")
        ),
        sa.ForeignKeyConstraint(["locked_by_id"], ["users.id"], name=op.f("fk_musyawarah_rounds_locked_by_id_users")),
        sa.ForeignKeyConstraint(["created_by_id"], ["users.id"], name=op.f("fk_musyawarah_rounds_created_by_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_musyawarah_rounds")),
        sa.UniqueConstraint("campaign_id", "region_code", name=op.f("uq_musyawarah_rounds_campaign_id_region_code")),
    )
    op.create_index("ix_musyawarah_rounds_region_code_state", "musyawarah_rounds", ["region_code", "state"])
    op.create_table(
        "musyawarah_items",
        sa.Column("id", sa.BigInteger(), sa.Identity(), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("section", sa.String(length=16), nullable=False),
        sa.Column("household_id", sa.UUID(), nullable=False),
        sa.Column("member_id", sa.UUID(), nullable=True),
        sa.Column("visit_id", sa.UUID(), nullable=True),
        sa.Column("change_ids", postgresql.ARRAY(sa.BigInteger()), server_default="{}", nullable=False),
        sa.Column("rw", sa.String(length=3), nullable=True),
        sa.Column("rt", sa.String(length=3), nullable=True),
        sa.Column(
            "evidence", postgresql.JSONB(astext_type=sa.Text()), server_default=sa.text("'{}'::jsonb"), nullable=False
        ),
        sa.Column("decision", sa.String(length=12), nullable=True),
        sa.Column("remarks", sa.Text(), nullable=True),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "decision IS NULL OR decision IN ('setuju', 'tidak_setuju')", name=op.f("ck_musyawarah_items_decision")
        ),
        sa.ForeignKeyConstraint(
            ["round_id"],
            ["musyawarah_rounds.id"],
            name=op.f("fk_musyawarah_items_round_id_musyawarah_rounds"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["household_id"],
            ["households.id"],
            name=op.f("fk_musyawarah_items_household_id_households"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(["decided_by_id"], ["users.id"], name=op.f("fk_musyawarah_items_decided_by_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_musyawarah_items")),
    )
    op.create_index("ix_musyawarah_items_round_id_section", "musyawarah_items", ["round_id", "section"])
    op.create_index("ix_musyawarah_items_household_id", "musyawarah_items", ["household_id"])


def downgrade():
    op.drop_index("ix_musyawarah_items_household_id", table_name="musyawarah_items")
    op.drop_index("ix_musyawarah_items_round_id_section", table_name="musyawarah_items")
    op.drop_table("musyawarah_items")
    op.drop_index("ix_musyawarah_rounds_region_code_state", table_name="musyawarah_rounds")
    op.drop_table("musyawarah_rounds")
