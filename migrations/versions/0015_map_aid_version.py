"""A data version for aid receipts, read by the map's tile URLs and caches.

Tiles and kelurahan aggregates are keyed by a data version per kecamatan (households and visits are summed
per kecamatan at read time, see server/gis/queries.py). Aid receipts change in city-wide imports, so they
share one counter: a sequence bumped by a statement-level trigger. Sequences are not transactional and take
no row lock, so concurrent imports, pushes and reviews never wait on the counter (a counter row would hold
a lock to the end of every writing transaction).

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-30 09:40:00

"""

from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade():
    op.execute("CREATE SEQUENCE map_aid_version")
    op.execute(
        """
        CREATE FUNCTION bump_map_aid_version() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          PERFORM nextval('map_aid_version');
          RETURN NULL;
        END $$
        """
    )
    op.execute(
        "CREATE TRIGGER trg_aid_receipts_map_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON aid_receipts "
        "FOR EACH STATEMENT EXECUTE FUNCTION bump_map_aid_version()"
    )


def downgrade():
    op.execute("DROP TRIGGER trg_aid_receipts_map_version ON aid_receipts")
    op.execute("DROP FUNCTION bump_map_aid_version()")
    op.execute("DROP SEQUENCE map_aid_version")
