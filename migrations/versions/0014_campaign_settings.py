"""Campaign settings: overrides of the quality-flag catalogue (thresholds, priority weights) and the review policy.

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-30 09:40:00

"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0014"
down_revision = "0013"
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
