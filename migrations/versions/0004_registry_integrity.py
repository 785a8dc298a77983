"""Registry integrity: one present head per household in the database, members the registry dropped,
and review flags on households (a NIK listed in two households: `nik_duplicate`).

- `members.presence_status` gains `removed`: a member of a re-imported household whom the new registry
  file no longer lists (the registry is the source of truth for its households; the row is kept for
  history, visits and aid that name it).
- `ex_members_one_present_head`: at most one member with relationship 1 among a household's present
  members. An exclusion constraint, DEFERRABLE INITIALLY IMMEDIATE, so it is checked at the end of each
  statement (one UPDATE may swap head and spouse) rather than row by row.
- `households.flags`: a JSON list of review flags, kept until review or the musyawarah settles them.

Households that already hold several present heads (possible before this revision: a re-import that
corrected the head's NIK kept the old head) keep the most recently created head; the older ones become
`removed`, which is what a re-import does from now on.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-30 06:40:00

"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

OLD_PRESENCE = ("present", "not_found", "moved", "deceased", "duplicate", "no_documents", "new")
NEW_PRESENCE = (*OLD_PRESENCE, "removed")


def _presence_check(values) -> str:
    return "presence_status IN (" + ", ".join(f"'{value}'" for value in values) + ")"


def upgrade():
    op.drop_constraint(op.f("ck_members_presence"), "members", type_="check")
    op.create_check_constraint(op.f("ck_members_presence"), "members", _presence_check(NEW_PRESENCE))
    op.execute(
        """
        UPDATE members m SET presence_status = 'removed', updated_at = now()
          FROM (SELECT id, row_number() OVER (PARTITION BY household_id ORDER BY created_at DESC, id) AS rank
                  FROM members WHERE relationship_code = 1 AND presence_status = 'present') heads
         WHERE m.id = heads.id AND heads.rank > 1
        """
    )
    op.execute(
        """
        ALTER TABLE members ADD CONSTRAINT ex_members_one_present_head
            EXCLUDE USING btree (household_id WITH =)
            WHERE (relationship_code = 1 AND presence_status = 'present')
            DEFERRABLE INITIALLY IMMEDIATE
        """
    )
    op.add_column(
        "households",
        sa.Column(
            "flags", postgresql.JSONB(astext_type=sa.Text()), server_default=sa.text("'[]'::jsonb"), nullable=False
        ),
    )


def downgrade():
    op.drop_column("households", "flags")
    op.execute("ALTER TABLE members DROP CONSTRAINT ex_members_one_present_head")
    op.execute("UPDATE members SET presence_status = 'not_found' WHERE presence_status = 'removed'")
    op.drop_constraint(op.f("ck_members_presence"), "members", type_="check")
    op.create_check_constraint(op.f("ck_members_presence"), "members", _presence_check(OLD_PRESENCE))
