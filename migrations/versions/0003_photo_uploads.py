"""Resumable photo uploads (tus sessions) and what each stored once complete.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-29 00:55:00

"""

import geoalchemy2
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "photo_uploads",
        sa.Column("id", postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("photo_id", postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column("visit_id", postgresql.UUID(as_uuid=True), nullable=True),
        sa.Column("kind", sa.String(length=14), nullable=True),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("length", sa.BigInteger(), nullable=False),
        sa.Column("offset", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("media_type", sa.String(length=32), nullable=True),
        sa.Column("width", sa.Integer(), nullable=True),
        sa.Column("height", sa.Integer(), nullable=True),
        sa.Column("storage_key", sa.String(length=200), nullable=True),
        sa.Column("thumbnail_key", sa.String(length=200), nullable=True),
        sa.Column("exif_taken_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "exif_location",
            geoalchemy2.types.Geometry(geometry_type="POINT", srid=4326, spatial_index=False),
            nullable=True,
        ),
        sa.CheckConstraint("sha256 ~ '^[0-9a-f]{64}$'", name=op.f("ck_photo_uploads_sha256_hex")),
        sa.CheckConstraint('"offset" BETWEEN 0 AND length', name=op.f("ck_photo_uploads_offset_within_length")),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_photo_uploads_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_photo_uploads")),
    )
    op.create_index("ix_photo_uploads_photo_id", "photo_uploads", ["photo_id"], unique=False)
    op.create_index("ix_photo_uploads_user_id", "photo_uploads", ["user_id"], unique=False)


def downgrade():
    op.drop_index("ix_photo_uploads_user_id", table_name="photo_uploads")
    op.drop_index("ix_photo_uploads_photo_id", table_name="photo_uploads")
    op.drop_table("photo_uploads")
