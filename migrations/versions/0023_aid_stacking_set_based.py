"""The stacking refresh is set-based: one pass over the receipts of all the households a statement touched,
instead of calling household_has_stacking once per household (a 130,000-row COPY of the demo city's receipts
ran it 42,124 times, planned without statistics: over ten minutes instead of seconds).

Revision ID: 0023
Revises: 0022
Create Date: 2026-11-30 11:00:00

"""

from alembic import op

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None

LIVE = "('listed', 'disbursed')"


def upgrade():
    op.execute(f"""
        CREATE OR REPLACE FUNCTION refresh_aid_stacking(ids uuid[]) RETURNS void LANGUAGE sql AS $$
          DELETE FROM household_aid_stacking WHERE household_id = ANY(ids);
          INSERT INTO household_aid_stacking (household_id)
          WITH touched AS (SELECT DISTINCT id FROM unnest(ids) AS id WHERE id IS NOT NULL),
          r AS (
            SELECT r.household_id, r.program_id, r.period_start, r.period_end
              FROM touched t JOIN aid_receipts r ON r.household_id = t.id
             WHERE r.status IN {LIVE}
            UNION ALL
            SELECT m.household_id, r.program_id, r.period_start, r.period_end
              FROM touched t JOIN members m ON m.household_id = t.id JOIN aid_receipts r ON r.member_id = m.id
             WHERE r.status IN {LIVE})
          SELECT DISTINCT a.household_id
            FROM r a JOIN aid_programs p1 ON p1.id = a.program_id
            JOIN r b ON b.household_id = a.household_id
            JOIN aid_programs p2 ON p2.id = b.program_id
           WHERE p1.category = p2.category AND p1.id < p2.id
             AND a.period_start <= b.period_end AND b.period_start <= a.period_end
        $$
    """)


def downgrade():
    op.execute("""
        CREATE OR REPLACE FUNCTION refresh_aid_stacking(ids uuid[]) RETURNS void LANGUAGE sql AS $$
          DELETE FROM household_aid_stacking WHERE household_id = ANY(ids);
          INSERT INTO household_aid_stacking (household_id)
          SELECT id FROM households WHERE id = ANY(ids) AND household_has_stacking(id);
        $$
    """)
