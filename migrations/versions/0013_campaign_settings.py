"""Campaign settings: overrides of the quality-flag catalogue (thresholds, priority weights) and the review policy.

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-30 09:40:00

"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column(
        "campaigns",
        sa.Column(
            "settings", postgresql.JSONB(astext_type=sa.Text()), server_default=sa.text("'{}'::jsonb"), nullable=False
        ),
    )


def downgrade():
    op.drop_column("campaigns", "settings")
