"""Region boundaries as data: where each boundary came from, and the `outside_kelurahan` data-quality flag.

`regions.boundary` (MULTIPOLYGON, GiST-indexed) exists since 0001; this adds `boundary_source` (the bundled
public dataset or an imported official file, so loading the bundled set at start never overwrites an
official import) and `boundary_updated_at`. `household_outside_region(location, region_code)` is the one
rule for "the registered point lies outside its kelurahan by more than 30 m" (the bundled polygons leave
sliver gaps under 7 m wide on average): NULL when the point or the boundary is unknown. A trigger keeps the
household's `outside_kelurahan` flag in step whenever its point or region is written; after a boundary
changes, the service recomputes the flag for that region's households with the same function.

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-30 09:30:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

TOLERANCE_M = 30


def upgrade():
    with op.batch_alter_table("regions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("boundary_source", sa.String(length=300), nullable=True))
        batch_op.add_column(sa.Column("boundary_updated_at", sa.DateTime(timezone=True), nullable=True))
    op.execute(
        f"""
        CREATE FUNCTION household_outside_region(point geometry, code text) RETURNS boolean
        LANGUAGE sql STABLE PARALLEL SAFE AS $$
          SELECT CASE
                   WHEN point IS NULL OR r.boundary IS NULL THEN NULL
                   WHEN ST_Intersects(r.boundary, point) THEN false
                   ELSE NOT ST_DWithin(r.boundary::geography, point::geography, {TOLERANCE_M})
                 END
            FROM (SELECT (SELECT boundary FROM regions WHERE regions.code = household_outside_region.code)
                         AS boundary) AS r
        $$
        """
    )
    op.execute(
        """
        CREATE FUNCTION flag_household_outside_region() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          IF coalesce(household_outside_region(NEW.location, NEW.region_code), false) THEN
            IF NOT coalesce(NEW.flags, '[]'::jsonb) @> '["outside_kelurahan"]'::jsonb THEN
              NEW.flags := coalesce(NEW.flags, '[]'::jsonb) || '["outside_kelurahan"]'::jsonb;
            END IF;
          ELSIF NEW.flags @> '["outside_kelurahan"]'::jsonb THEN
            NEW.flags := NEW.flags - 'outside_kelurahan';
          END IF;
          RETURN NEW;
        END $$
        """
    )
    op.execute(
        "CREATE TRIGGER trg_households_location_flag BEFORE INSERT OR UPDATE OF location, region_code "
        "ON households FOR EACH ROW EXECUTE FUNCTION flag_household_outside_region()"
    )


def downgrade():
    op.execute("DROP TRIGGER trg_households_location_flag ON households")
    op.execute("DROP FUNCTION flag_household_outside_region()")
    op.execute("DROP FUNCTION household_outside_region(geometry, text)")
    with op.batch_alter_table("regions", schema=None) as batch_op:
        batch_op.drop_column("boundary_updated_at")
        batch_op.drop_column("boundary_source")
