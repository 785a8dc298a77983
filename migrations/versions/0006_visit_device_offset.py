"""Visits keep the phone's UTC offset beside `device_time`, so staff see the enumerator's local clock reading
(`2026-10-05T09:07:00+08:00` comes back as sent, not as `01:07:00+00:00`). Older visits: unknown (null).

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30 06:50:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("visits", sa.Column("device_utc_offset_min", sa.SmallInteger(), nullable=True))
    op.create_check_constraint(
        op.f("ck_visits_device_utc_offset_range"), "visits", "device_utc_offset_min BETWEEN -720 AND 840"
    )


def downgrade():
    op.drop_constraint(op.f("ck_visits_device_utc_offset_range"), "visits", type_="check")
    op.drop_column("visits", "device_utc_offset_min")
