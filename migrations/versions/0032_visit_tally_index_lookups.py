"""`visits_tally()` (0027) reads each changed visit's kelurahan by an index lookup of its household instead
of joining the transition table with `households`: the planner knows nothing of a transition table's size
and hashed every household for each statement (8-13 ms of trigger per push of 100 visits, 120-150 ms per
1,000 decisions on the demo city; now about one lookup per visit). An update no longer joins its old and new
rows either (a nested loop over both transition tables): it subtracts the old keys and adds the new ones, and
unchanged keys cancel out. A household being deleted has no kelurahan any more (NULL): its visits' counts
went with it already (`visit_tally_household_moved`, before the cascade), so those rows are left out.

Revision ID: 0032
Revises: 0031
Create Date: 2026-11-30 15:50:00

"""

from alembic import op

revision = "0032"
down_revision = "0031"
branch_labels = None
depends_on = None

KEY = "region_code, enumerator_id, campaign_id, review_status, outcome, flags"
REGION = "(SELECT h.region_code FROM households h WHERE h.id = {alias}.household_id)"


def _key_of(alias: str) -> str:
    """The tally key of visit rows `alias`, their household's kelurahan looked up by its primary key."""
    return (
        f"{REGION.format(alias=alias)}, {alias}.enumerator_id, coalesce({alias}.campaign_id, 0),"
        f" {alias}.review_status, {alias}.outcome, {alias}.flags"
    )


def upgrade():
    # An update subtracts every old row and adds every new one: keys that did not change cancel out in the
    # sum (no join of the two transition tables, which the planner would run as a nested loop).
    op.execute(f"""
        CREATE OR REPLACE FUNCTION visits_tally() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          IF TG_OP = 'INSERT' THEN
            INSERT INTO visit_tally ({KEY}, n)
            SELECT {KEY}, count(*) FROM (SELECT {_key_of("v")} FROM new_rows v) k ({KEY})
             WHERE region_code IS NOT NULL GROUP BY 1, 2, 3, 4, 5, 6;
          ELSIF TG_OP = 'DELETE' THEN
            INSERT INTO visit_tally ({KEY}, n)
            SELECT {KEY}, -count(*) FROM (SELECT {_key_of("v")} FROM old_rows v) k ({KEY})
             WHERE region_code IS NOT NULL GROUP BY 1, 2, 3, 4, 5, 6;
          ELSE
            INSERT INTO visit_tally ({KEY}, n)
            SELECT {KEY}, sum(d) FROM (
              SELECT {_key_of("o")}, -1 FROM old_rows o
              UNION ALL
              SELECT {_key_of("n")}, 1 FROM new_rows n
            ) moved ({KEY}, d)
             WHERE region_code IS NOT NULL
             GROUP BY 1, 2, 3, 4, 5, 6 HAVING sum(d) <> 0;
          END IF;
          RETURN NULL;
        END $$
    """)


def downgrade():
    join_key = (
        "h.region_code, {a}.enumerator_id, coalesce({a}.campaign_id, 0), {a}.review_status, {a}.outcome, {a}.flags"
    )
    changed = (
        "(o.household_id, o.enumerator_id, o.campaign_id, o.review_status, o.outcome, o.flags)"
        " IS DISTINCT FROM (n.household_id, n.enumerator_id, n.campaign_id, n.review_status, n.outcome, n.flags)"
    )
    op.execute(f"""
        CREATE OR REPLACE FUNCTION visits_tally() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          IF TG_OP = 'INSERT' THEN
            INSERT INTO visit_tally ({KEY}, n)
            SELECT {join_key.format(a="v")}, count(*) FROM new_rows v JOIN households h ON h.id = v.household_id
             GROUP BY 1, 2, 3, 4, 5, 6;
          ELSIF TG_OP = 'DELETE' THEN
            INSERT INTO visit_tally ({KEY}, n)
            SELECT {join_key.format(a="v")}, -count(*) FROM old_rows v JOIN households h ON h.id = v.household_id
             GROUP BY 1, 2, 3, 4, 5, 6;
          ELSE
            INSERT INTO visit_tally ({KEY}, n)
            SELECT {KEY}, sum(d) FROM (
              SELECT {join_key.format(a="o")}, -1 AS d
                FROM old_rows o JOIN new_rows n ON n.id = o.id JOIN households h ON h.id = o.household_id
               WHERE {changed}
              UNION ALL
              SELECT {join_key.format(a="n")}, 1
                FROM old_rows o JOIN new_rows n ON n.id = o.id JOIN households h ON h.id = n.household_id
               WHERE {changed}) moved (region_code, enumerator_id, campaign_id, review_status, outcome, flags, d)
             GROUP BY 1, 2, 3, 4, 5, 6 HAVING sum(d) <> 0;
          END IF;
          RETURN NULL;
        END $$
    """)
