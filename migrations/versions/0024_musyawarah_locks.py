"""Musyawarah lock versions: every locking of a round by a signed berita acara is kept (version 1, then 2 …
after an admin's unlock) with its scan, the berita acara it signs, the counts it records and its unlock.
Rounds locked before are carried over as their version 1.

Revision ID: 0024
Revises: 0023
Create Date: 2026-11-30 12:45:00

"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0024"
down_revision = "0023"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "musyawarah_locks",
        sa.Column("id", sa.Integer(), sa.Identity(), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("berita_key", sa.String(length=300), nullable=True),
        sa.Column(
            "counts", postgresql.JSONB(astext_type=sa.Text()), server_default=sa.text("'{}'::jsonb"), nullable=False
        ),
        sa.Column("scan_key", sa.String(length=300), nullable=False),
        sa.Column("scan_name", sa.String(length=200), nullable=True),
        sa.Column("scan_media_type", sa.String(length=60), nullable=True),
        sa.Column("scan_sha256", sa.String(length=64), nullable=False),
        sa.Column("locked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("locked_by_id", sa.Integer(), nullable=True),
        sa.Column("unlocked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("unlocked_by_id", sa.Integer(), nullable=True),
        sa.Column("unlock_reason", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["round_id"],
            ["musyawarah_rounds.id"],
            name=op.f("fk_musyawarah_locks_round_id_musyawarah_rounds"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(["locked_by_id"], ["users.id"], name=op.f("fk_musyawarah_locks_locked_by_id_users")),
        sa.ForeignKeyConstraint(
            ["unlocked_by_id"], ["users.id"], name=op.f("fk_musyawarah_locks_unlocked_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_musyawarah_locks")),
        sa.UniqueConstraint("round_id", "number", name=op.f("uq_musyawarah_locks_round_id_number")),
    )
    op.execute(
        """
        INSERT INTO musyawarah_locks (round_id, number, berita_key, counts, scan_key, scan_name, scan_media_type,
                                      scan_sha256, locked_at, locked_by_id, unlocked_at)
        SELECT id, 1, berita_key, counts, scan_key, scan_name, scan_media_type, coalesce(scan_sha256, ''),
               coalesce(locked_at, updated_at), locked_by_id, CASE WHEN state = 'locked' THEN NULL ELSE updated_at END
          FROM musyawarah_rounds WHERE scan_key IS NOT NULL
        """
    )


def downgrade():
    op.drop_table("musyawarah_locks")
