"""SQL of the GIS doors: household facts (programmes, stacking, no aid, last outcome) computed set-wise,
OGC API feature pages built as GeoJSON inside PostgreSQL, kelurahan aggregates, vector tiles (ST_AsMVT)
and the data versions that key tile URLs and caches.

Every query takes a `Filter`: the caller's area scope and the request's filters as SQL conditions with
bind parameters, built by `household_filter` / `visit_filter` only (the values never enter the SQL text).
No query here selects a name, NIK, No. KK or address.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from server.analytics.service import MAP_FIGURES
from server.auth.access import Actor, in_region_sql, in_scope_sql
from server.extensions import db

LIVE = "('listed', 'disbursed')"
OUTSIDE = "'[\"outside_kelurahan\"]'::jsonb"


def no_jit() -> None:
    """JIT compilation costs 100-1,400 ms on these plans that run in tens of milliseconds (bench/README.md):
    off for the rest of this transaction, which is one GIS read."""
    db.session.execute(sa.text("SET LOCAL jit = off"))


@dataclass
class Filter:
    """SQL conditions on the households `h` (where) and on their facts `f` (facts_where), with parameters."""

    where: list[str] = field(default_factory=list)
    facts_where: list[str] = field(default_factory=list)
    params: dict[str, Any] = field(default_factory=dict)

    def add(self, condition: str, facts: bool = False, **params) -> None:
        (self.facts_where if facts else self.where).append(condition)
        self.params.update(params)

    def sql(self) -> str:
        return " AND ".join(self.where) or "TRUE"

    def facts_sql(self) -> str:
        return " AND ".join(self.facts_where) or "TRUE"


def household_filter(actor: Actor | None, criteria: dict[str, Any]) -> Filter:
    """The households `actor` may see that match `criteria` (already validated by the caller)."""
    scope, params = in_scope_sql(actor, "h.region_code")
    result = Filter(where=[scope], params=dict(params))
    if criteria.get("registry_status"):
        result.add("h.registry_status = ANY(:registry_status)", registry_status=criteria["registry_status"])
    else:
        result.add("h.registry_status <> 'merged'")
    if criteria.get("verification_status"):
        result.add(
            "h.verification_status = ANY(:verification_status)", verification_status=criteria["verification_status"]
        )
    if criteria.get("region"):
        result.add(in_region_sql("h.region_code", ":region"), region=criteria["region"])
    if criteria.get("decile"):
        result.add("h.decile = ANY(:decile)", decile=criteria["decile"])
    if criteria.get("flag"):
        result.add("h.flags @> CAST(:flag_json AS jsonb)", flag_json=f'["{criteria["flag"]}"]')
    if criteria.get("bbox"):
        result.add("h.location && ST_MakeEnvelope(:x0, :y0, :x1, :y1, 4326)", **_bbox(criteria["bbox"]))
    if criteria.get("datetime"):
        start, end = criteria["datetime"]
        if start is not None:
            result.add("h.updated_at >= :dt_start", dt_start=start)
        if end is not None:
            result.add("h.updated_at <= :dt_end", dt_end=end)
    if criteria.get("programme"):
        result.add(":programme = ANY(f.programmes)", facts=True, programme=criteria["programme"])
    if criteria.get("stacking") is not None:
        result.add("f.stacking = :stacking", facts=True, stacking=criteria["stacking"])
    if criteria.get("no_aid") is not None:
        result.add("(cardinality(f.programmes) = 0) = :no_aid", facts=True, no_aid=criteria["no_aid"])
    return result


def _bbox(bbox: tuple[float, float, float, float]) -> dict[str, float]:
    return dict(zip(("x0", "y0", "x1", "y1"), bbox, strict=True))


def facts_cte(households_sql: str) -> str:
    """CTEs ending in `f`: the rows of `households_sql` (the household columns below) with programmes,
    stacking and last_outcome read from the per-kecamatan cache (`map_household_facts`; the caller makes
    sure it is fresh, see `refresh_facts`). A household newer than its kecamatan's refresh has no facts yet."""
    return f"""
    hh AS MATERIALIZED ({households_sql}),
    f AS (
        SELECT hh.*, coalesce(mf.programmes, '{{}}'::varchar[]) AS programmes,
               coalesce(mf.stacking, false) AS stacking, mf.last_outcome
          FROM hh LEFT JOIN map_household_facts mf ON mf.household_id = hh.id)"""


def computed_facts_cte(households_sql: str) -> str:
    """CTEs ending in `f`: the rows of `households_sql` (id, region_code, location, decile, registry_status,
    verification_status, flags, updated_at) with programmes (live programme codes, family and member
    receipts), stacking (two live programmes of one category with overlapping periods: the household
    list's rule) and last_outcome (of the latest visit)."""
    return f"""
    hh AS MATERIALIZED ({households_sql}),
    rc AS (
        SELECT hh.id AS hid, r.program_id, r.period_start, r.period_end
          FROM hh JOIN aid_receipts r ON r.household_id = hh.id WHERE r.status IN {LIVE}
        UNION ALL
        SELECT hh.id, r.program_id, r.period_start, r.period_end
          FROM hh JOIN members m ON m.household_id = hh.id JOIN aid_receipts r ON r.member_id = m.id
         WHERE r.status IN {LIVE}),
    rcp AS (SELECT rc.*, p.code, p.category FROM rc JOIN aid_programs p ON p.id = rc.program_id),
    prog AS (SELECT hid, array_agg(DISTINCT code ORDER BY code) AS programmes FROM rcp GROUP BY hid),
    stack AS (
        SELECT DISTINCT a.hid FROM rcp a JOIN rcp b
            ON a.hid = b.hid AND a.category = b.category AND a.program_id < b.program_id
           AND a.period_start <= b.period_end AND b.period_start <= a.period_end),
    lastv AS (
        SELECT DISTINCT ON (v.household_id) v.household_id AS hid, v.outcome
          FROM visits v JOIN hh ON hh.id = v.household_id
         ORDER BY v.household_id, v.device_time DESC, v.received_at DESC),
    f AS (
        SELECT hh.*, coalesce(prog.programmes, '{{}}'::varchar[]) AS programmes, stack.hid IS NOT NULL AS stacking,
               lastv.outcome AS last_outcome
          FROM hh LEFT JOIN prog ON prog.hid = hh.id LEFT JOIN stack ON stack.hid = hh.id
          LEFT JOIN lastv ON lastv.hid = hh.id)"""


HOUSEHOLD_COLUMNS = (
    "h.id, h.region_code, h.location, h.decile, h.registry_status, h.verification_status, h.flags, h.updated_at"
)
HOUSEHOLD_PROPERTIES = (
    """json_build_object(
    'kelurahan', f.region_code, 'kelurahan_name', r.name, 'kecamatan', r.parent_code,
    'decile', f.decile, 'registry_status', f.registry_status, 'verification_status', f.verification_status,
    'programmes', array_to_string(f.programmes, ','), 'programme_count', cardinality(f.programmes),
    'stacking', f.stacking, 'no_aid', cardinality(f.programmes) = 0, 'last_outcome', f.last_outcome,
    'outside_kelurahan', f.flags @> """
    + OUTSIDE
    + """,
    'updated_at', to_char(f.updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'))"""
)


@dataclass
class Page:
    features: str  # a JSON array, built by PostgreSQL
    returned: int
    last_key: str | None
    more: bool


def household_page(flt: Filter, *, after: uuid.UUID | None, limit: int) -> Page:
    """One page of household features in id order after `after` (keyset: every household once)."""
    no_jit()
    params = {**flt.params, "limit": limit, "limit_plus": limit + 1}
    keyset = " AND h.id > :after" if after else ""
    if after:
        params["after"] = after
    # Without conditions on facts, the page is cut before the facts are computed (only its rows are).
    inner_limit = "" if flt.facts_where else " ORDER BY h.id LIMIT :limit_plus"
    sql = f"""
    WITH {facts_cte(f"SELECT {HOUSEHOLD_COLUMNS} FROM households h WHERE {flt.sql()}{keyset}{inner_limit}")},
    page AS (
        SELECT f.*, row_number() OVER (ORDER BY f.id) AS rn FROM f
         WHERE {flt.facts_sql()} ORDER BY f.id LIMIT :limit_plus)
    SELECT coalesce(json_agg(json_build_object(
               'type', 'Feature', 'id', f.id,
               'geometry', ST_AsGeoJSON(f.location, 6)::json,
               'properties', {HOUSEHOLD_PROPERTIES}) ORDER BY f.id) FILTER (WHERE f.rn <= :limit), '[]')::text,
           count(*) FILTER (WHERE f.rn <= :limit),
           (array_agg(f.id::text ORDER BY f.id DESC) FILTER (WHERE f.rn <= :limit))[1],
           count(*) > :limit
      FROM page f JOIN regions r ON r.code = f.region_code
    """
    features, returned, last, more = db.session.execute(sa.text(sql), params).one()
    return Page(features=features, returned=returned, last_key=last, more=more)


def household_count(flt: Filter) -> int:
    if not flt.facts_where:
        sql = f"SELECT count(*) FROM households h WHERE {flt.sql()}"
    else:
        sql = f"WITH {facts_cte(f'SELECT {HOUSEHOLD_COLUMNS} FROM households h WHERE {flt.sql()}')}"
        sql += f" SELECT count(*) FROM f WHERE {flt.facts_sql()}"
    return db.session.execute(sa.text(sql), flt.params).scalar_one()


def household_feature(flt: Filter, *, household_id: uuid.UUID) -> str | None:
    flt.add("h.id = :household_id", household_id=household_id)
    page = household_page(flt, after=None, limit=1)
    return page.features[1:-1] if page.returned else None


# --- visits ----------------------------------------------------------------------------------------
VISIT_PROPERTIES = """json_build_object(
    'household_id', v.household_id, 'kelurahan', h.region_code, 'outcome', v.outcome,
    'review_status', v.review_status,
    'visited_at', to_char(v.device_time AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
    'accuracy_m', v.location_accuracy_m,
    'distance_m', round(ST_Distance(v.location::geography, h.location::geography)::numeric, 1),
    'flags', array_to_string(ARRAY(SELECT jsonb_array_elements_text(v.flags)), ','))"""


def visit_filter(actor: Actor | None, criteria: dict[str, Any]) -> Filter:
    scope, params = in_scope_sql(actor, "h.region_code")
    result = Filter(where=[scope], params=dict(params))
    if criteria.get("region"):
        result.add(in_region_sql("h.region_code", ":region"), region=criteria["region"])
    if criteria.get("outcome"):
        result.add("v.outcome = ANY(:outcome)", outcome=criteria["outcome"])
    if criteria.get("review_status"):
        result.add("v.review_status = ANY(:review_status)", review_status=criteria["review_status"])
    if criteria.get("bbox"):
        result.add("v.location && ST_MakeEnvelope(:x0, :y0, :x1, :y1, 4326)", **_bbox(criteria["bbox"]))
    if criteria.get("datetime"):
        start, end = criteria["datetime"]
        if start is not None:
            result.add("v.device_time >= :dt_start", dt_start=start)
        if end is not None:
            result.add("v.device_time <= :dt_end", dt_end=end)
    return result


def visit_page(flt: Filter, *, after: uuid.UUID | None, limit: int) -> Page:
    no_jit()
    params = {**flt.params, "limit": limit, "limit_plus": limit + 1}
    keyset = ""
    if after:
        keyset, params["after"] = " AND v.id > :after", after
    sql = f"""
    WITH page AS (
        SELECT v.id FROM visits v JOIN households h ON h.id = v.household_id
         WHERE {flt.sql()}{keyset} ORDER BY v.id LIMIT :limit_plus),
    cut AS (SELECT id, row_number() OVER (ORDER BY id) AS rn FROM page)
    SELECT coalesce(json_agg(json_build_object(
               'type', 'Feature', 'id', v.id, 'geometry', ST_AsGeoJSON(v.location, 6)::json,
               'properties', {VISIT_PROPERTIES}) ORDER BY v.id) FILTER (WHERE cut.rn <= :limit), '[]')::text,
           count(*) FILTER (WHERE cut.rn <= :limit),
           (array_agg(v.id::text ORDER BY v.id DESC) FILTER (WHERE cut.rn <= :limit))[1],
           count(*) > :limit
      FROM cut JOIN visits v ON v.id = cut.id JOIN households h ON h.id = v.household_id
    """
    features, returned, last, more = db.session.execute(sa.text(sql), params).one()
    return Page(features=features, returned=returned, last_key=last, more=more)


def visit_count(flt: Filter) -> int:
    sql = f"SELECT count(*) FROM visits v JOIN households h ON h.id = v.household_id WHERE {flt.sql()}"
    return db.session.execute(sa.text(sql), flt.params).scalar_one()


def visit_feature(flt: Filter, *, visit_id: uuid.UUID) -> str | None:
    flt.add("v.id = :visit_id", visit_id=visit_id)
    page = visit_page(flt, after=None, limit=1)
    return page.features[1:-1] if page.returned else None


# --- kelurahan aggregates ----------------------------------------------------------------------------
AGGREGATE_COLUMNS = (
    "households",
    "visited",
    "approved",
    "poor_without_aid",
    "stacking",
    "no_aid",
    "outside_kelurahan",
    "inclusion_error",
)
# Inclusion errors on the map: a household with live aid whose latest visit, approved, found it gone (the
# analytics' `verified` side at household level; members found deceased or moved count there, not here).
GONE_OUTCOMES = "('deceased', 'moved_within', 'moved_outside', 'not_found', 'building_gone', 'duplicate', 'merged')"


# The map's own counts and, beside them, the analytics page's per-kelurahan figures of the current period.
INDICATOR_COLUMNS = (*AGGREGATE_COLUMNS, *MAP_FIGURES)


def kelurahan_aggregates(flt: Filter) -> dict[str, dict[str, int]]:
    """{kelurahan code: {indicator: count}} over the households of `flt` (facts conditions applied)."""
    no_jit()
    sql = f"""
    WITH {facts_cte(f"SELECT {HOUSEHOLD_COLUMNS} FROM households h WHERE {flt.sql()}")}
    SELECT f.region_code,
           count(*) AS households,
           count(*) FILTER (WHERE f.verification_status <> 'unverified') AS visited,
           count(*) FILTER (WHERE f.verification_status = 'approved') AS approved,
           count(*) FILTER (WHERE f.decile BETWEEN 1 AND 4 AND cardinality(f.programmes) = 0) AS poor_without_aid,
           count(*) FILTER (WHERE f.stacking) AS stacking,
           count(*) FILTER (WHERE cardinality(f.programmes) = 0) AS no_aid,
           count(*) FILTER (WHERE f.flags @> {OUTSIDE}) AS outside_kelurahan,
           count(*) FILTER (WHERE cardinality(f.programmes) > 0 AND f.verification_status = 'approved'
                              AND f.last_outcome IN {GONE_OUTCOMES}) AS inclusion_error
      FROM f WHERE {flt.facts_sql()} GROUP BY f.region_code
    """
    rows = db.session.execute(sa.text(sql), flt.params).mappings()
    return {row["region_code"]: {name: row[name] for name in AGGREGATE_COLUMNS} for row in rows}


def kelurahan_shapes(
    actor: Actor | None, *, region: str | None, bbox: tuple | None, after: str | None, limit: int | None
) -> list[dict[str, Any]]:
    """Kelurahan in the actor's area (and `region`, `bbox`), in code order after `after`, with their
    boundary as GeoJSON text."""
    scope, params = in_scope_sql(actor, "r.code")
    where = [scope, "r.level IN ('kelurahan', 'desa')"]
    if region:
        where.append(in_region_sql("r.code", ":region"))
        params["region"] = region
    if bbox:
        where.append("r.boundary && ST_MakeEnvelope(:x0, :y0, :x1, :y1, 4326)")
        params.update(_bbox(bbox))
    if after:
        where.append("r.code > :after")
        params["after"] = after
    sql = f"""
    SELECT r.code, r.name, r.parent_code AS kecamatan, k.name AS kecamatan_name,
           ST_AsGeoJSON(r.boundary, 6) AS geometry
      FROM regions r LEFT JOIN regions k ON k.code = r.parent_code
     WHERE {" AND ".join(where)} ORDER BY r.code
    """
    if limit is not None:
        sql += " LIMIT :limit"
        params["limit"] = limit
    return [dict(row) for row in db.session.execute(sa.text(sql), params).mappings()]


def kelurahan_in_extent(actor: Actor | None, bbox: tuple[float, float, float, float]) -> set[str]:
    """Codes of the kelurahan in the actor's area whose boundary meets the extent (the map's visible part)."""
    scope, params = in_scope_sql(actor, "r.code")
    rows = db.session.execute(
        sa.text(
            f"SELECT r.code FROM regions r WHERE r.level IN ('kelurahan', 'desa') AND {scope}"
            " AND ST_Intersects(r.boundary, ST_MakeEnvelope(:x0, :y0, :x1, :y1, 4326))"
        ),
        {**params, **_bbox(bbox)},
    )
    return {row[0] for row in rows}


def kelurahan_count(actor: Actor | None, *, region: str | None, bbox: tuple | None) -> int:
    return len(kelurahan_shapes(actor, region=region, bbox=bbox, after=None, limit=None))


def spatial_extent(actor: Actor | None) -> list[float] | None:
    """[minx, miny, maxx, maxy] of the kelurahan in the actor's area."""
    scope, params = in_scope_sql(actor, "r.code")
    row = db.session.execute(
        sa.text(
            f"SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) FROM (SELECT ST_Extent(r.boundary) AS e"
            f" FROM regions r WHERE {scope} AND r.level IN ('kelurahan', 'desa')) q"
        ),
        params,
    ).one()
    return None if row[0] is None else [round(value, 6) for value in row]


def fact_versions() -> dict[str, str]:
    rows = db.session.execute(sa.text("SELECT kecamatan, version FROM map_fact_versions"))
    return dict(rows.all())


def refresh_facts(*, kecamatan: str, version: str) -> bool:
    """Recompute one kecamatan's cached facts (unless another request just did, under the same lock); whether
    this call recomputed them. Callers refresh several kecamatan in code order, so two never deadlock."""
    no_jit()
    db.session.execute(
        sa.text("SELECT pg_advisory_xact_lock(hashtext('map_household_facts'), hashtext(:kec))"), {"kec": kecamatan}
    )
    stored = db.session.execute(
        sa.text("SELECT version FROM map_fact_versions WHERE kecamatan = :kec"), {"kec": kecamatan}
    ).scalar()
    if stored == version:
        return False
    households = f"SELECT {HOUSEHOLD_COLUMNS} FROM households h WHERE substr(h.region_code, 1, 8) = :kec"
    db.session.execute(sa.text("DELETE FROM map_household_facts WHERE kecamatan = :kec"), {"kec": kecamatan})
    db.session.execute(
        sa.text(
            f"""
            WITH {computed_facts_cte(households)}
            INSERT INTO map_household_facts (household_id, kecamatan, programmes, stacking, last_outcome)
            SELECT f.id, :kec, f.programmes, f.stacking, f.last_outcome FROM f
            ON CONFLICT (household_id) DO UPDATE
               SET kecamatan = EXCLUDED.kecamatan, programmes = EXCLUDED.programmes,
                   stacking = EXCLUDED.stacking, last_outcome = EXCLUDED.last_outcome
            """
        ),
        {"kec": kecamatan},
    )
    db.session.execute(
        sa.text(
            "INSERT INTO map_fact_versions (kecamatan, version, refreshed_at) VALUES (:kec, :version, now())"
            " ON CONFLICT (kecamatan) DO UPDATE SET version = EXCLUDED.version, refreshed_at = now()"
        ),
        {"kec": kecamatan, "version": version},
    )
    return True


# --- data versions -------------------------------------------------------------------------------------------
def kecamatan_versions() -> dict[str, tuple]:
    """{kecamatan code: (households, sum of their change_seq, visits, visit state checksum, latest boundary
    change, aid version)}: any committed change to a household, visit or boundary of the kecamatan changes its
    tuple, whatever the order transactions commit in (sums, not maxima); aid receipts share one counter."""
    rows = db.session.execute(
        sa.text(
            """
            WITH hh AS (SELECT substr(region_code, 1, 8) AS kec, count(*) AS n, sum(change_seq) AS s
                          FROM households GROUP BY 1),
                 vv AS (SELECT substr(h.region_code, 1, 8) AS kec, count(*) AS n,
                               sum(hashtext(v.review_status || coalesce(v.reviewed_at::text, '')
                                            || v.received_at::text)::bigint) AS s
                          FROM visits v JOIN households h ON h.id = v.household_id GROUP BY 1),
                 bb AS (SELECT substr(code, 1, 8) AS kec, max(boundary_updated_at) AS at
                          FROM regions WHERE level IN ('kecamatan', 'kelurahan', 'desa') GROUP BY 1)
            SELECT k.code, coalesce(hh.n, 0), coalesce(hh.s, 0), coalesce(vv.n, 0), coalesce(vv.s, 0),
                   coalesce(extract(epoch FROM bb.at), 0), (SELECT last_value FROM map_aid_version)
              FROM regions k LEFT JOIN hh ON hh.kec = k.code LEFT JOIN vv ON vv.kec = k.code
              LEFT JOIN bb ON bb.kec = k.code
             WHERE k.level = 'kecamatan'
            """
        )
    )
    return {row[0]: tuple(str(value) for value in row[1:]) for row in rows}


def kecamatan_bounds(codes: list[str]) -> dict[str, list[float]]:
    rows = db.session.execute(
        sa.text(
            "SELECT code, ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) FROM (SELECT substr(code, 1, 8) AS code,"
            " ST_Extent(boundary) AS e FROM regions WHERE substr(code, 1, 8) = ANY(:codes) AND boundary IS NOT NULL"
            " GROUP BY 1) q"
        ),
        {"codes": codes},
    )
    return {row[0]: [round(value, 6) for value in row[1:]] for row in rows}


# --- vector tiles ----------------------------------------------------------------------------------------------
TILE_BOUNDS = """bounds AS (SELECT ST_TileEnvelope(:z, :x, :y) AS env,
                             ST_Transform(ST_TileEnvelope(:z, :x, :y, margin => 0.02), 4326) AS env4326)"""


def _tile(sql: str, params: dict) -> bytes:
    no_jit()
    value = db.session.execute(sa.text(sql), params).scalar()
    return bytes(value) if value is not None else b""


def household_points_tile(flt: Filter, *, z: int, x: int, y: int) -> bytes:
    """Households as points with their facts (zoom 13 and closer)."""
    households = (
        f"SELECT {HOUSEHOLD_COLUMNS} FROM households h, bounds WHERE {flt.sql()} AND h.location && bounds.env4326"
    )
    sql = f"""
    WITH {TILE_BOUNDS}, {facts_cte(households)}
    SELECT ST_AsMVT(t, 'households', 4096, 'geom') FROM (
        SELECT ST_AsMVTGeom(ST_Transform(f.location, 3857), bounds.env, 4096, 64, true) AS geom,
               f.id::text AS id, f.verification_status, f.registry_status, f.decile,
               cardinality(f.programmes) AS programme_count, array_to_string(f.programmes, ',') AS programmes,
               f.stacking, cardinality(f.programmes) = 0 AS no_aid, f.last_outcome,
               f.flags @> {OUTSIDE} AS outside_kelurahan
          FROM f, bounds WHERE {flt.facts_sql()}) t
     WHERE t.geom IS NOT NULL
    """
    return _tile(sql, {**flt.params, "z": z, "x": x, "y": y})


def household_grid_tile(flt: Filter, *, z: int, x: int, y: int, cells: int = 16) -> bytes:
    """Below zoom 13: households counted in a grid of `cells` x `cells` per tile, one point per cell at the
    mean of its households (no household is placed: only counts)."""
    sql = f"""
    WITH {TILE_BOUNDS},
    pts AS (
        SELECT ST_Transform(h.location, 3857) AS p, h.verification_status, h.decile
          FROM households h, bounds WHERE {flt.sql()} AND h.location && bounds.env4326),
    cells AS (
        SELECT floor((ST_X(p) - ST_XMin(bounds.env)) / ((ST_XMax(bounds.env) - ST_XMin(bounds.env)) / :cells)) AS gx,
               floor((ST_Y(p) - ST_YMin(bounds.env)) / ((ST_YMax(bounds.env) - ST_YMin(bounds.env)) / :cells)) AS gy,
               avg(ST_X(p)) AS mx, avg(ST_Y(p)) AS my, count(*) AS households,
               count(*) FILTER (WHERE verification_status <> 'unverified') AS visited,
               count(*) FILTER (WHERE verification_status = 'approved') AS approved,
               count(*) FILTER (WHERE decile BETWEEN 1 AND 4) AS decile_1_4
          FROM pts, bounds GROUP BY 1, 2)
    SELECT ST_AsMVT(t, 'households', 4096, 'geom') FROM (
        SELECT ST_AsMVTGeom(ST_SetSRID(ST_MakePoint(mx, my), 3857), bounds.env, 4096, 0, true) AS geom,
               true AS cluster, households, visited, approved, decile_1_4
          FROM cells, bounds) t
     WHERE t.geom IS NOT NULL
    """
    return _tile(sql, {**flt.params, "z": z, "x": x, "y": y, "cells": cells})


def kelurahan_tile(actor: Actor | None, *, region: str | None, z: int, x: int, y: int, indicators: list[dict]) -> bytes:
    """Kelurahan polygons with their indicators (given, already masked for the caller) and kecamatan outlines."""
    scope, params = in_scope_sql(actor, "r.code")
    region_sql = in_region_sql("r.code", ":region") if region else "TRUE"
    sql = f"""
    WITH {TILE_BOUNDS},
    ind AS (SELECT * FROM json_to_recordset(CAST(:indicators AS json)) AS i(
        code text, {", ".join(f"{name} int" for name in INDICATOR_COLUMNS)}, visited_pct float8)),
    kel AS (
        SELECT ST_AsMVTGeom(ST_Transform(r.boundary, 3857), bounds.env, 4096, 64, true) AS geom,
               r.code, r.name, r.parent_code AS kecamatan, {", ".join(f"ind.{name}" for name in INDICATOR_COLUMNS)},
               ind.visited_pct
          FROM regions r CROSS JOIN bounds LEFT JOIN ind ON ind.code = r.code
         WHERE r.level IN ('kelurahan', 'desa') AND {scope} AND {region_sql} AND r.boundary && bounds.env4326),
    kec AS (
        SELECT ST_AsMVTGeom(ST_Transform(k.boundary, 3857), bounds.env, 4096, 64, true) AS geom, k.code, k.name
          FROM regions k, bounds
         WHERE k.level = 'kecamatan' AND k.boundary && bounds.env4326
           AND k.code IN (SELECT r.parent_code FROM regions r
                           WHERE r.level IN ('kelurahan', 'desa') AND {scope} AND {region_sql}))
    SELECT coalesce((SELECT ST_AsMVT(kel, 'kelurahan', 4096, 'geom') FROM kel WHERE geom IS NOT NULL), ''::bytea)
        || coalesce((SELECT ST_AsMVT(kec, 'kecamatan', 4096, 'geom') FROM kec WHERE geom IS NOT NULL), ''::bytea)
    """
    values = {**params, "z": z, "x": x, "y": y, "indicators": json.dumps(indicators), "region": region}
    return _tile(sql, values)


def visits_tile(flt: Filter, *, z: int, x: int, y: int) -> bytes:
    """Captured fixes (layer `visits`) and the segment from each fix to the registered point (`visit_offsets`)."""
    sql = f"""
    WITH {TILE_BOUNDS},
    vv AS (
        SELECT v.id, v.household_id, v.outcome, v.review_status, v.location_accuracy_m, v.location,
               h.location AS registered
          FROM visits v JOIN households h ON h.id = v.household_id, bounds
         WHERE {flt.sql()} AND v.location && bounds.env4326),
    pts AS (
        SELECT ST_AsMVTGeom(ST_Transform(location, 3857), bounds.env, 4096, 64, true) AS geom,
               id::text AS id, household_id::text AS household_id, outcome, review_status,
               location_accuracy_m AS accuracy_m,
               round(ST_Distance(location::geography, registered::geography)::numeric, 1)::float8 AS distance_m
          FROM vv, bounds),
    lines AS (
        SELECT ST_AsMVTGeom(ST_Transform(ST_MakeLine(location, registered), 3857), bounds.env, 4096, 64, true)
                 AS geom,
               id::text AS visit_id,
               round(ST_Distance(location::geography, registered::geography)::numeric, 1)::float8 AS distance_m
          FROM vv, bounds WHERE registered IS NOT NULL)
    SELECT coalesce((SELECT ST_AsMVT(pts, 'visits', 4096, 'geom') FROM pts WHERE geom IS NOT NULL), ''::bytea)
        || coalesce((SELECT ST_AsMVT(lines, 'visit_offsets', 4096, 'geom') FROM lines WHERE geom IS NOT NULL),
                    ''::bytea)
    """
    return _tile(sql, {**flt.params, "z": z, "x": x, "y": y})


# --- spatial exports -------------------------------------------------------------------------------------------
EXPORT_FIELDS = (
    "id", "kelurahan", "kelurahan_name", "kecamatan", "decile", "registry_status", "verification_status",
    "programmes", "programme_count", "stacking", "no_aid", "last_outcome", "outside_kelurahan",
)  # fmt: skip


def export_rows(flt: Filter) -> list[tuple]:
    """Every household of the filter as (WKB point or None, *EXPORT_FIELDS), in id order."""
    no_jit()
    sql = f"""
    WITH {facts_cte(f"SELECT {HOUSEHOLD_COLUMNS} FROM households h WHERE {flt.sql()}")}
    SELECT ST_AsBinary(f.location), f.id::text, f.region_code, r.name, r.parent_code, f.decile,
           f.registry_status, f.verification_status, array_to_string(f.programmes, ','),
           cardinality(f.programmes), f.stacking, cardinality(f.programmes) = 0, f.last_outcome,
           f.flags @> {OUTSIDE}
      FROM f JOIN regions r ON r.code = f.region_code
     WHERE {flt.facts_sql()} ORDER BY f.id
    """
    return [tuple(row) for row in db.session.execute(sa.text(sql), flt.params)]


# --- the map page's fallback (no WebGL) ------------------------------------------------------------------------
def kelurahan_svg(actor: Actor | None) -> tuple[str | None, list[dict[str, Any]]]:
    """(SVG viewBox, [{code, name, kecamatan, path}]) of the kelurahan in the actor's area, simplified (~20 m)
    and in Web Mercator, for a server-drawn choropleth."""
    scope, params = in_scope_sql(actor, "r.code")
    rows = db.session.execute(
        sa.text(
            f"""
            WITH k AS (
              SELECT r.code, r.name, r.parent_code,
                     ST_Transform(ST_SimplifyPreserveTopology(r.boundary, 0.0002), 3857) AS g
                FROM regions r WHERE r.level IN ('kelurahan', 'desa') AND r.boundary IS NOT NULL AND {scope})
            SELECT code, name, parent_code, ST_AsSVG(g, 0, 0) AS path,
                   (SELECT concat_ws(' ', floor(ST_XMin(e)), floor(-ST_YMax(e)), ceil(ST_XMax(e) - ST_XMin(e)),
                                     ceil(ST_YMax(e) - ST_YMin(e)))
                      FROM (SELECT ST_Extent(g) AS e FROM k) q) AS view_box
              FROM k ORDER BY code
            """
        ),
        params,
    ).mappings()
    shapes = [dict(row) for row in rows]
    return (shapes[0]["view_box"] if shapes else None), shapes
