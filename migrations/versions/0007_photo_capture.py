"""Photos keep the app's own capture record: when the phone took the photo and its GPS fix then.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-30 08:00:00

"""

import geoalchemy2
import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("photos", sa.Column("captured_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column(
        "photos",
        sa.Column(
            "capture_location",
            geoalchemy2.types.Geometry(geometry_type="POINT", srid=4326, spatial_index=False),
            nullable=True,
        ),
    )
    op.add_column("photos", sa.Column("capture_accuracy_m", sa.Float(), nullable=True))


def downgrade():
    op.drop_column("photos", "capture_accuracy_m")
    op.drop_column("photos", "capture_location")
    op.drop_column("photos", "captured_at")
