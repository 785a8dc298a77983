"""The review queue's facet counts kept by the database: `visit_tally` holds signed counts of visits per
(kelurahan of the household, enumerator, campaign, review status, outcome, flags). Statement-level triggers
on `visits` append one row per key a statement changed (+n for visits that arrived in it or moved into it,
-n for those that left it); a household changing kelurahan moves its visits, a household deleted takes its
visits' counts with it. Rows are only ever inserted by writers, so concurrent pushes and decisions never wait
for each other or deadlock on a counter, and a reader sums exactly what its snapshot sees of `visits`.
`compact_visit_tally()` folds the rows into one per key (no zero keys, marked `folded`) for readers to stay
fast; the review facets call it when they read more rows written since than folded ones.

The facets were a GROUP BY over every visit of the area joined with its household (350-750 ms on the demo
city at load 11, the first view of the staff review queue); they are now a sum over a few thousand rows.

Revision ID: 0027
Revises: 0026
Create Date: 2026-11-30 15:40:00

"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0027"
down_revision = "0026"
branch_labels = None
depends_on = None

KEY = "region_code, enumerator_id, campaign_id, review_status, outcome, flags"


def _key_of(alias: str) -> str:
    """The tally key of visit rows `alias` joined with their household `h`."""
    return (
        f"h.region_code, {alias}.enumerator_id, coalesce({alias}.campaign_id, 0), {alias}.review_status,"
        f" {alias}.outcome, {alias}.flags"
    )


def upgrade():
    op.create_table(
        "visit_tally",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("region_code", sa.String(length=13), nullable=False),
        sa.Column("enumerator_id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("review_status", sa.String(length=10), nullable=False),
        sa.Column("outcome", sa.String(length=14), nullable=False),
        sa.Column("flags", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.Column("folded", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_visit_tally")),
    )
    changed = (
        "(o.household_id, o.enumerator_id, o.campaign_id, o.review_status, o.outcome, o.flags)"
        " IS DISTINCT FROM (n.household_id, n.enumerator_id, n.campaign_id, n.review_status, n.outcome, n.flags)"
    )
    op.execute(f"""
        CREATE FUNCTION visits_tally() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          IF TG_OP = 'INSERT' THEN
            INSERT INTO visit_tally ({KEY}, n)
            SELECT {_key_of("v")}, count(*) FROM new_rows v JOIN households h ON h.id = v.household_id
             GROUP BY 1, 2, 3, 4, 5, 6;
          ELSIF TG_OP = 'DELETE' THEN
            -- A household being deleted has taken its visits' counts already (visit_tally_household_gone).
            INSERT INTO visit_tally ({KEY}, n)
            SELECT {_key_of("v")}, -count(*) FROM old_rows v JOIN households h ON h.id = v.household_id
             GROUP BY 1, 2, 3, 4, 5, 6;
          ELSE
            INSERT INTO visit_tally ({KEY}, n)
            SELECT {KEY}, sum(d) FROM (
              SELECT {_key_of("o")}, -1 AS d
                FROM old_rows o JOIN new_rows n ON n.id = o.id JOIN households h ON h.id = o.household_id
               WHERE {changed}
              UNION ALL
              SELECT {_key_of("n")}, 1
                FROM old_rows o JOIN new_rows n ON n.id = o.id JOIN households h ON h.id = n.household_id
               WHERE {changed}) moved (region_code, enumerator_id, campaign_id, review_status, outcome, flags, d)
             GROUP BY 1, 2, 3, 4, 5, 6 HAVING sum(d) <> 0;
          END IF;
          RETURN NULL;
        END $$
    """)
    for event, tables in (
        ("insert", "NEW TABLE AS new_rows"),
        ("update", "OLD TABLE AS old_rows NEW TABLE AS new_rows"),
        ("delete", "OLD TABLE AS old_rows"),
    ):
        op.execute(
            f"CREATE TRIGGER trg_visits_tally_{event} AFTER {event.upper()} ON visits REFERENCING {tables}"
            " FOR EACH STATEMENT EXECUTE FUNCTION visits_tally()"
        )
    op.execute("""
        CREATE FUNCTION visits_tally_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          DELETE FROM visit_tally;
          RETURN NULL;
        END $$
    """)
    op.execute(
        "CREATE TRIGGER trg_visits_tally_truncate AFTER TRUNCATE ON visits FOR EACH STATEMENT"
        " EXECUTE FUNCTION visits_tally_truncate()"
    )
    # A household moving to another kelurahan moves its visits' counts; one deleted takes them away (before
    # the cascade deletes the visits, whose own trigger no longer finds the household then).
    op.execute(f"""
        CREATE FUNCTION visit_tally_household_moved() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          INSERT INTO visit_tally ({KEY}, n)
          SELECT OLD.region_code, v.enumerator_id, coalesce(v.campaign_id, 0), v.review_status, v.outcome, v.flags,
                 -count(*)
            FROM visits v WHERE v.household_id = OLD.id GROUP BY 1, 2, 3, 4, 5, 6;
          IF TG_OP = 'UPDATE' THEN
            INSERT INTO visit_tally ({KEY}, n)
            SELECT NEW.region_code, v.enumerator_id, coalesce(v.campaign_id, 0), v.review_status, v.outcome,
                   v.flags, count(*)
              FROM visits v WHERE v.household_id = NEW.id GROUP BY 1, 2, 3, 4, 5, 6;
            RETURN NULL;
          END IF;
          RETURN OLD;
        END $$
    """)
    op.execute(
        "CREATE TRIGGER trg_households_visit_tally_moved AFTER UPDATE OF region_code ON households FOR EACH ROW"
        " WHEN (OLD.region_code IS DISTINCT FROM NEW.region_code) EXECUTE FUNCTION visit_tally_household_moved()"
    )
    op.execute(
        "CREATE TRIGGER trg_households_visit_tally_gone BEFORE DELETE ON households FOR EACH ROW"
        " EXECUTE FUNCTION visit_tally_household_moved()"
    )
    # One row per key, zero keys dropped. Rows a concurrent compaction already folded are skipped by the
    # DELETE (it waits for that one, then finds them gone), and rows written after this statement's snapshot
    # stay as they are: the sum is unchanged for every reader.
    op.execute(f"""
        CREATE FUNCTION compact_visit_tally() RETURNS void LANGUAGE sql AS $$
          WITH gone AS (DELETE FROM visit_tally RETURNING {KEY}, n)
          INSERT INTO visit_tally ({KEY}, n, folded)
          SELECT {KEY}, sum(n), true FROM gone GROUP BY 1, 2, 3, 4, 5, 6 HAVING sum(n) <> 0;
        $$
    """)
    op.execute(f"""
        INSERT INTO visit_tally ({KEY}, n, folded)
        SELECT {_key_of("v")}, count(*), true FROM visits v JOIN households h ON h.id = v.household_id
         GROUP BY 1, 2, 3, 4, 5, 6
    """)


def downgrade():
    op.execute("DROP TRIGGER trg_households_visit_tally_gone ON households")
    op.execute("DROP TRIGGER trg_households_visit_tally_moved ON households")
    op.execute("DROP FUNCTION visit_tally_household_moved()")
    op.execute("DROP TRIGGER trg_visits_tally_truncate ON visits")
    op.execute("DROP FUNCTION visits_tally_truncate()")
    for event in ("insert", "update", "delete"):
        op.execute(f"DROP TRIGGER trg_visits_tally_{event} ON visits")
    op.execute("DROP FUNCTION visits_tally()")
    op.execute("DROP FUNCTION compact_visit_tally()")
    op.drop_table("visit_tally")
