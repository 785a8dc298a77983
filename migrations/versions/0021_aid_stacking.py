"""Households whose aid stacks, kept by the database: `household_aid_stacking` holds every household with two
live receipts (listed or disbursed) of different programmes of the same category in overlapping periods.

Statement-level triggers on aid_receipts (and a member moving household) recompute the households a
statement touched, so every writer (imports, the API, the demo generator) keeps it right; the household
list's `has_stacking` filter reads it instead of pairing every household's receipts (1.0 s before, issue 15).
A programme's category changing is not followed (categories are reference data; rerun
`SELECT refresh_aid_stacking(array_agg(id)) FROM households` after changing one).

Revision ID: 0021
Revises: 0020
Create Date: 2026-11-30 09:55:00

"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None

LIVE = "('listed', 'disbursed')"


def upgrade():
    op.create_table(
        "household_aid_stacking",
        sa.Column("household_id", postgresql.UUID(as_uuid=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["household_id"],
            ["households.id"],
            name=op.f("fk_household_aid_stacking_household_id_households"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("household_id", name=op.f("pk_household_aid_stacking")),
    )
    op.execute(f"""
        CREATE FUNCTION household_has_stacking(hid uuid) RETURNS boolean LANGUAGE sql STABLE AS $$
          WITH r AS (
            SELECT r.program_id, r.period_start, r.period_end FROM aid_receipts r
             WHERE r.household_id = hid AND r.status IN {LIVE}
            UNION ALL
            SELECT r.program_id, r.period_start, r.period_end FROM members m JOIN aid_receipts r ON r.member_id = m.id
             WHERE m.household_id = hid AND r.status IN {LIVE})
          SELECT EXISTS (
            SELECT 1 FROM r a JOIN aid_programs p1 ON p1.id = a.program_id, r b JOIN aid_programs p2 ON p2.id = b.program_id
             WHERE p1.category = p2.category AND p1.id < p2.id
               AND a.period_start <= b.period_end AND b.period_start <= a.period_end)
        $$
    """)
    op.execute("""
        CREATE FUNCTION refresh_aid_stacking(ids uuid[]) RETURNS void LANGUAGE sql AS $$
          DELETE FROM household_aid_stacking WHERE household_id = ANY(ids);
          INSERT INTO household_aid_stacking (household_id)
          SELECT id FROM households WHERE id = ANY(ids) AND household_has_stacking(id);
        $$
    """)
    op.execute("""
        CREATE FUNCTION aid_receipts_refresh_stacking() RETURNS trigger LANGUAGE plpgsql AS $$
        DECLARE ids uuid[];
        BEGIN
          IF TG_OP IN ('INSERT', 'UPDATE') THEN
            SELECT array_agg(DISTINCT x) INTO ids FROM (
              SELECT household_id AS x FROM new_rows WHERE household_id IS NOT NULL
              UNION SELECT m.household_id FROM new_rows n JOIN members m ON m.id = n.member_id) s;
            PERFORM refresh_aid_stacking(ids);
          END IF;
          IF TG_OP IN ('DELETE', 'UPDATE') THEN
            SELECT array_agg(DISTINCT x) INTO ids FROM (
              SELECT household_id AS x FROM old_rows WHERE household_id IS NOT NULL
              UNION SELECT m.household_id FROM old_rows o JOIN members m ON m.id = o.member_id) s;
            PERFORM refresh_aid_stacking(ids);
          END IF;
          RETURN NULL;
        END $$
    """)
    op.execute(
        "CREATE TRIGGER trg_aid_receipts_stacking_insert AFTER INSERT ON aid_receipts "
        "REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION aid_receipts_refresh_stacking()"
    )
    op.execute(
        "CREATE TRIGGER trg_aid_receipts_stacking_update AFTER UPDATE ON aid_receipts "
        "REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT "
        "EXECUTE FUNCTION aid_receipts_refresh_stacking()"
    )
    op.execute(
        "CREATE TRIGGER trg_aid_receipts_stacking_delete AFTER DELETE ON aid_receipts "
        "REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION aid_receipts_refresh_stacking()"
    )
    op.execute("""
        CREATE FUNCTION members_refresh_stacking() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          PERFORM refresh_aid_stacking(ARRAY[OLD.household_id, NEW.household_id]);
          RETURN NULL;
        END $$
    """)
    op.execute(
        "CREATE TRIGGER trg_members_stacking AFTER UPDATE OF household_id ON members FOR EACH ROW "
        "WHEN (OLD.household_id IS DISTINCT FROM NEW.household_id) EXECUTE FUNCTION members_refresh_stacking()"
    )
    # What is there already, set-based (one pass over the receipts instead of one query per household).
    op.execute(f"""
        INSERT INTO household_aid_stacking (household_id)
        WITH r AS (
          SELECT coalesce(m.household_id, r.household_id) AS household_id, r.program_id, r.period_start,
                 r.period_end, p.category
            FROM aid_receipts r JOIN aid_programs p ON p.id = r.program_id LEFT JOIN members m ON m.id = r.member_id
           WHERE r.status IN {LIVE})
        SELECT DISTINCT a.household_id FROM r a JOIN r b ON a.household_id = b.household_id
           AND a.category = b.category AND a.program_id < b.program_id
         WHERE a.period_start <= b.period_end AND b.period_start <= a.period_end AND a.household_id IS NOT NULL
    """)


def downgrade():
    op.execute("DROP TRIGGER trg_members_stacking ON members")
    op.execute("DROP FUNCTION members_refresh_stacking()")
    for event in ("insert", "update", "delete"):
        op.execute(f"DROP TRIGGER trg_aid_receipts_stacking_{event} ON aid_receipts")
    op.execute("DROP FUNCTION aid_receipts_refresh_stacking()")
    op.execute("DROP FUNCTION refresh_aid_stacking(uuid[])")
    op.execute("DROP FUNCTION household_has_stacking(uuid)")
    op.drop_table("household_aid_stacking")
