"""SQL for regions: upserting the reference list and reading codes and centroids."""

from __future__ import annotations

import sqlalchemy as sa

from server.extensions import db
from server.regions.models import Region
from server.types import RegionLevel

# A household lives in a village-level region: a kelurahan (city) or a desa (regency). One rule, used by
# imports, household edits and households proposed from the field.
VILLAGE_LEVELS = (RegionLevel.KELURAHAN.value, RegionLevel.DESA.value)


def village_codes(*, among: list[str] | None = None) -> set[str]:
    """Codes of village-level regions (all of them, or those of `among`)."""
    query = sa.select(Region.code).where(Region.level.in_(VILLAGE_LEVELS))
    if among is not None:
        if not among:
            return set()
        query = query.where(Region.code.in_(among))
    return set(db.session.execute(query).scalars())


def is_village(*, code: str) -> bool:
    return bool(village_codes(among=[code]))


def upsert_regions(*, rows: list[dict]) -> int:
    """Insert or update regions by code; rows carry code, name, level, parent_code, lat, lon (lat/lon may be None)."""
    if not rows:
        return 0
    statement = sa.text(
        """
        INSERT INTO regions (code, name, level, parent_code, centroid)
        VALUES (:code, :name, :level, :parent_code,
                CASE WHEN CAST(:lon AS float8) IS NULL THEN NULL
                     ELSE ST_SetSRID(ST_MakePoint(CAST(:lon AS float8), CAST(:lat AS float8)), 4326) END)
        ON CONFLICT (code) DO UPDATE
           SET name = EXCLUDED.name, level = EXCLUDED.level, parent_code = EXCLUDED.parent_code,
               centroid = COALESCE(EXCLUDED.centroid, regions.centroid)
        """
    )
    db.session.execute(statement, rows)
    return len(rows)


def region_count() -> int:
    return db.session.execute(sa.text("SELECT count(*) FROM regions")).scalar_one()


def kelurahan_with_kecamatan_centroids() -> list[tuple[str, str, float, float]]:
    """(kelurahan code, kecamatan code, kecamatan lat, kecamatan lon) for every kelurahan, ordered by code."""
    rows = db.session.execute(
        sa.text(
            """
            SELECT kel.code, kec.code, ST_Y(kec.centroid), ST_X(kec.centroid)
              FROM regions kel JOIN regions kec ON kec.code = kel.parent_code
             WHERE kel.level = 'kelurahan' AND kec.centroid IS NOT NULL
             ORDER BY kel.code
            """
        )
    )
    return [tuple(row) for row in rows]
