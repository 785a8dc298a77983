"""Devices keep what the phone's app reports with each sync: app version, visits and photos still unsent.

Revision ID: 0020
Revises: 0019
Create Date: 2026-11-30 09:35:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("devices", sa.Column("app_version", sa.String(length=40), nullable=True))
    op.add_column("devices", sa.Column("unsent_visits", sa.Integer(), nullable=True))
    op.add_column("devices", sa.Column("unsent_photos", sa.Integer(), nullable=True))
    op.add_column("devices", sa.Column("reported_at", sa.DateTime(timezone=True), nullable=True))


def downgrade():
    op.drop_column("devices", "reported_at")
    op.drop_column("devices", "unsent_photos")
    op.drop_column("devices", "unsent_visits")
    op.drop_column("devices", "app_version")
