"""SQL for regions: upserting the reference list and reading codes and centroids."""

from __future__ import annotations

import sqlalchemy as sa

from server.extensions import db
from server.regions.models import Region
from server.sql_lists import one_of
from server.types import RegionLevel

# A household lives in a village-level region: a kelurahan (city) or a desa (regency). One rule, used by
# imports, household edits and households proposed from the field.
VILLAGE_LEVELS = (RegionLevel.KELURAHAN.value, RegionLevel.DESA.value)


def village_codes(*, among: list[str] | None = None) -> set[str]:
    """Codes of village-level regions (all of them, or those of `among`)."""
    if among is not None and not among:
        return set()
    return set(db.session.execute(village_codes_query(among=among)).scalars())


def village_codes_query(*, among: list[str] | sa.ColumnElement | None = None) -> sa.Select:
    """The statement of `village_codes` (to run inside another statement: the sync push's lookups)."""
    query = sa.select(Region.code).where(Region.level.in_(VILLAGE_LEVELS))
    return query if among is None else query.where(one_of(Region.code, among))


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


# --- boundaries ------------------------------------------------------------------------------------
OUTSIDE_FLAG = "outside_kelurahan"
BUNDLED_PREFIX = "bundled:"


def boundary_sources() -> dict[str, str | None]:
    """{region code: boundary_source} for every region."""
    rows = db.session.execute(sa.text("SELECT code, boundary_source FROM regions"))
    return {code: source for code, source in rows}


def stage_boundaries(*, rows: list[dict], srid: int) -> None:
    """Fill a temporary table `staged_boundaries(code, geom, valid, reason)` from WKB or GeoJSON rows.

    rows carry `code` and either `wkb` (bytes, in `srid`) or `geojson` (text, WGS 84); the geometry is
    transformed to WGS 84 and made a MULTIPOLYGON; `valid`/`reason` say whether PostGIS finds it valid.
    """
    db.session.execute(sa.text("DROP TABLE IF EXISTS staged_boundaries"))
    db.session.execute(
        sa.text(
            "CREATE TEMPORARY TABLE staged_boundaries (code text PRIMARY KEY, geom geometry, geom_type text,"
            " valid boolean, reason text) ON COMMIT DROP"
        )
    )
    if not rows:
        return
    db.session.execute(
        sa.text(
            """
            INSERT INTO staged_boundaries (code, geom)
            SELECT :code, ST_Transform(
                     CASE WHEN CAST(:wkb AS bytea) IS NOT NULL
                          THEN ST_SetSRID(ST_GeomFromWKB(CAST(:wkb AS bytea)), :srid)
                          ELSE ST_SetSRID(ST_GeomFromGeoJSON(CAST(:geojson AS text)), 4326) END, 4326)
            """
        ),
        [{"code": row["code"], "wkb": row.get("wkb"), "geojson": row.get("geojson"), "srid": srid} for row in rows],
    )
    db.session.execute(
        sa.text(
            "UPDATE staged_boundaries SET geom_type = GeometryType(geom), valid = ST_IsValid(geom),"
            " reason = CASE WHEN ST_IsValid(geom) THEN NULL ELSE ST_IsValidReason(geom) END"
        )
    )


def staged_problems() -> dict[str, list[dict]]:
    """What is wrong with the staged geometries: not polygons, invalid, or not in Indonesia (a swapped or
    undeclared coordinate system)."""
    rows = db.session.execute(
        sa.text(
            """
            SELECT code, geom_type, valid, reason,
                   NOT (ST_XMin(geom) >= 94 AND ST_XMax(geom) <= 142
                        AND ST_YMin(geom) >= -11.5 AND ST_YMax(geom) <= 6.5) AS outside_indonesia
              FROM staged_boundaries ORDER BY code
            """
        )
    ).mappings()
    problems: dict[str, list[dict]] = {"not_polygon": [], "invalid": [], "outside_indonesia": []}
    for row in rows:
        if row["geom_type"] not in ("POLYGON", "MULTIPOLYGON"):
            problems["not_polygon"].append({"code": row["code"], "type": row["geom_type"]})
        elif not row["valid"]:
            problems["invalid"].append({"code": row["code"], "reason": row["reason"]})
        elif row["outside_indonesia"]:
            problems["outside_indonesia"].append({"code": row["code"]})
    return {kind: items for kind, items in problems.items() if items}


def repair_staged() -> None:
    """ST_MakeValid on the invalid staged geometries, keeping only their polygons."""
    db.session.execute(
        sa.text(
            "UPDATE staged_boundaries SET geom = ST_CollectionExtract(ST_MakeValid(geom), 3),"
            " geom_type = 'MULTIPOLYGON', valid = true, reason = NULL WHERE NOT valid"
        )
    )


def compare_staged() -> list[dict]:
    """Per staged code: `new` (no boundary before), `changed` (with the area before and after in km² and the
    largest displacement in metres) or `unchanged` (no vertex moved by 5 cm or more: a file that went through
    another coordinate system and back is not a change)."""
    rows = db.session.execute(
        sa.text(
            """
            WITH compared AS (
              SELECT s.code, s.geom, r.boundary,
                     CASE WHEN r.boundary IS NULL THEN NULL
                          WHEN ST_Equals(ST_Multi(s.geom), r.boundary) THEN 0
                          ELSE ST_HausdorffDistance(ST_Transform(s.geom, 32750), ST_Transform(r.boundary, 32750))
                     END AS shift
                FROM staged_boundaries s JOIN regions r ON r.code = s.code)
            SELECT code,
                   CASE WHEN boundary IS NULL THEN 'new' WHEN shift < 0.05 THEN 'unchanged'
                        ELSE 'changed' END AS change,
                   round((ST_Area(boundary::geography) / 1e6)::numeric, 3) AS area_before_km2,
                   round((ST_Area(geom::geography) / 1e6)::numeric, 3) AS area_after_km2,
                   round(shift::numeric, 1) AS max_shift_m
              FROM compared ORDER BY code
            """
        )
    ).mappings()
    return [dict(row) for row in rows]


def apply_staged(*, codes: list[str], source: str) -> int:
    """Write the staged geometries of `codes` to their regions; how many regions changed."""
    if not codes:
        return 0
    result = db.session.execute(
        sa.text(
            """
            UPDATE regions r SET boundary = ST_Multi(s.geom), boundary_source = :source, boundary_updated_at = now()
              FROM staged_boundaries s
             WHERE s.code = r.code AND s.code = ANY(:codes)
            """
        ),
        {"codes": codes, "source": source},
    )
    return result.rowcount


def set_boundary_source(*, codes: list[str], source: str) -> None:
    if codes:
        db.session.execute(
            sa.text("UPDATE regions SET boundary_source = :source WHERE code = ANY(:codes)"),
            {"codes": codes, "source": source},
        )


def refresh_outside_flags(*, region_codes: list[str] | None = None) -> dict[str, int]:
    """Recompute the `outside_kelurahan` flag of the households of `region_codes` (all when None) with the
    database's own rule (`household_outside_region`); only households whose flag changes are written."""
    scope = "" if region_codes is None else "AND region_code = ANY(:codes)"
    result = db.session.execute(
        sa.text(
            f"""
            WITH judged AS (
                SELECT id, coalesce(household_outside_region(location, region_code), false) AS outside,
                       flags @> '["{OUTSIDE_FLAG}"]'::jsonb AS flagged
                  FROM households
                 WHERE (location IS NOT NULL OR flags @> '["{OUTSIDE_FLAG}"]'::jsonb) {scope}
            ), changed AS (
                UPDATE households h
                   SET flags = CASE WHEN j.outside THEN h.flags || '["{OUTSIDE_FLAG}"]'::jsonb
                                    ELSE h.flags - '{OUTSIDE_FLAG}' END
                  FROM judged j
                 WHERE h.id = j.id AND j.outside <> j.flagged
             RETURNING j.outside
            )
            SELECT count(*) FILTER (WHERE outside), count(*) FILTER (WHERE NOT outside) FROM changed
            """
        ),
        {"codes": region_codes or []},
    ).one()
    return {"flagged": result[0], "unflagged": result[1]}


def count_outside(*, region_codes: list[str] | None = None) -> int:
    scope = "" if region_codes is None else "AND region_code = ANY(:codes)"
    return db.session.execute(
        sa.text(f"SELECT count(*) FROM households WHERE flags @> '[\"{OUTSIDE_FLAG}\"]'::jsonb {scope}"),
        {"codes": region_codes or []},
    ).scalar_one()


def kelurahan_at(*, lon: float, lat: float, tolerance_m: float = 30.0) -> str | None:
    """The kelurahan containing the point; in a sliver gap or just over an edge, the nearest one within
    `tolerance_m`; in an overlap of two, the one whose boundary lies farthest from the point (deepest)."""
    return db.session.execute(
        sa.text(
            """
            WITH p AS (SELECT ST_SetSRID(ST_MakePoint(:lon, :lat), 4326) AS g)
            SELECT r.code FROM regions r, p
             WHERE r.level IN ('kelurahan', 'desa') AND r.boundary IS NOT NULL
               AND ST_DWithin(r.boundary::geography, p.g::geography, :tolerance)
             ORDER BY ST_Intersects(r.boundary, p.g) DESC,
                      CASE WHEN ST_Intersects(r.boundary, p.g)
                           THEN -ST_Distance(ST_Boundary(r.boundary)::geography, p.g::geography)
                           ELSE ST_Distance(r.boundary::geography, p.g::geography) END,
                      r.code
             LIMIT 1
            """
        ),
        {"lon": lon, "lat": lat, "tolerance": tolerance_m},
    ).scalar()
