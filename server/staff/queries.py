"""SQL of the workspace's own views (the Beranda dashboard): progress per area and enumerator, phones as last
seen, what the field found, visits per day, enumerator quality. Every query is limited to the actor's area
by the same rule as the API (`auth.access.in_scope_sql`)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from server.auth.access import Actor, in_scope_sql
from server.extensions import db

GROUPS = {
    "kecamatan": "left(h.region_code, 8)",
    "kelurahan": "h.region_code",
}


def without_jit() -> None:
    """For the rest of this transaction: no JIT compilation. The dashboard's aggregates over a city's visits
    cross the JIT cost threshold and spent 1.5 s compiling queries that run in 100 ms (bench/README.md)."""
    db.session.execute(sa.text("SET LOCAL jit = off"))


def _rows(sql: str, params: dict[str, Any]) -> list[dict[str, Any]]:
    return [dict(row) for row in db.session.execute(sa.text(sql), params).mappings()]


def progress(*, actor: Actor, group: str, within: str | None = None) -> tuple[list[dict], list[dict]]:
    """Households assigned in active campaigns by verification status, per `group` (kecamatan or kelurahan)
    and per enumerator: one pass over the assignments (GROUPING SETS), split here."""
    scope, params = in_scope_sql(actor, "h.region_code")
    key = GROUPS[group]
    where = f"a.unassigned_at IS NULL AND {scope}"
    if within:
        where += " AND (h.region_code = :within OR h.region_code LIKE :within || '.%')"
        params["within"] = within
    sql = f"""
        SELECT t.*, CASE WHEN t.by_enumerator = 0
                         THEN (SELECT r.name FROM regions r WHERE r.code = t.area)
                         ELSE (SELECT coalesce(u.full_name, u.username) FROM users u WHERE u.id = t.enumerator_id)
                    END AS name
          FROM (
          SELECT GROUPING({key}) AS by_enumerator, {key} AS area, a.enumerator_id, count(*) AS assigned,
                 count(*) FILTER (WHERE h.verification_status <> 'unverified') AS visited,
                 count(*) FILTER (WHERE h.verification_status = 'visited') AS pending,
                 count(*) FILTER (WHERE h.verification_status = 'approved') AS approved,
                 count(*) FILTER (WHERE h.verification_status = 'rejected') AS rejected,
                 count(*) FILTER (WHERE h.verification_status = 'revisit') AS revisit
            FROM assignments a
            JOIN campaigns c ON c.id = a.campaign_id AND c.active
            JOIN households h ON h.id = a.household_id
           WHERE {where}
           GROUP BY GROUPING SETS (({key}), (a.enumerator_id))) t
        ORDER BY name NULLS LAST, area, enumerator_id"""
    areas, enumerators = [], []
    for row in _rows(sql, params):
        by_enumerator = row.pop("by_enumerator")
        area, enumerator = row.pop("area"), row.pop("enumerator_id")
        if by_enumerator:
            enumerators.append({"key": str(enumerator), **row})
        else:
            areas.append({"key": area, **row})
    return areas, enumerators


def phones(*, actor: Actor) -> list[dict[str, Any]]:
    """Each active enumerator working in the actor's area with their most recently seen live device."""
    if actor.is_admin:
        scope, params = "TRUE", {}
    else:
        # The enumerator's area and the actor's overlap (either may lie inside the other).
        scope = """EXISTS (SELECT 1 FROM user_scopes s, unnest(CAST(:scope_codes AS text[])) AS sc(code)
                    WHERE s.user_id = u.id AND (s.region_code = sc.code OR s.region_code LIKE sc.code || '.%'
                          OR sc.code LIKE s.region_code || '.%'))"""
        params = {"scope_codes": list(actor.region_codes)}
    sql = f"""
        SELECT DISTINCT ON (u.id) u.id AS user_id, u.username, u.full_name, d.name AS device_name,
               d.app_version, d.last_seen_at, d.reported_at, d.unsent_visits, d.unsent_photos
          FROM users u LEFT JOIN devices d ON d.user_id = u.id AND d.revoked_at IS NULL
         WHERE u.role = 'enumerator' AND u.active AND {scope}
         ORDER BY u.id, d.last_seen_at DESC NULLS LAST"""
    rows = _rows(sql, params)
    return sorted(rows, key=lambda row: (row["full_name"] or row["username"]).lower())


def _visits_in_scope(actor: Actor, everything: bool) -> tuple[str, dict[str, Any]]:
    """FROM … WHERE of the visits in the actor's area: the visits alone when the area is everything."""
    if everything:
        return "visits v WHERE TRUE", {}
    scope, params = in_scope_sql(actor, "h.region_code")
    return f"visits v JOIN households h ON h.id = v.household_id WHERE {scope}", params


def findings(*, actor: Actor, everything: bool = False) -> dict[str, Any]:
    """The latest visit's outcome per household (superseded visits aside), and the households in the area."""
    visits, params = _visits_in_scope(actor, everything)
    outcomes = _rows(
        f"""SELECT outcome, count(*) AS households FROM (
              SELECT DISTINCT ON (v.household_id) v.outcome
                FROM {visits} AND v.review_status <> 'superseded'
               ORDER BY v.household_id, v.device_time DESC) latest
            GROUP BY outcome""",
        params,
    )
    scope, params = ("TRUE", {}) if everything else in_scope_sql(actor, "h.region_code")
    total = db.session.execute(
        sa.text(f"SELECT count(*) FROM households h WHERE {scope} AND h.registry_status <> 'merged'"), params
    ).scalar_one()
    return {"outcomes": {row["outcome"]: row["households"] for row in outcomes}, "households": total}


def visits_per_day(*, actor: Actor, days: int = 30, everything: bool = False) -> list[dict[str, Any]]:
    visits, params = _visits_in_scope(actor, everything)
    return _rows(
        f"""SELECT (v.received_at AT TIME ZONE 'Asia/Makassar')::date AS day, count(*) AS visits
              FROM {visits} AND v.received_at >= now() - make_interval(days => :days)
             GROUP BY 1 ORDER BY 1""",
        {**params, "days": days},
    )


def quality(*, actor: Actor, everything: bool = False) -> list[dict[str, Any]]:
    """Per enumerator: visits, decided and rejected, median GPS accuracy, visits flagged far from the
    registered point (`far_from_registered`, the review's own test at push: the number links to that list),
    visits with photos missing (none at all, or declared but not arrived)."""
    visits, params = _visits_in_scope(actor, everything)
    return _rows(
        f"""SELECT q.*, coalesce(u.full_name, u.username) AS name FROM (
              SELECT v.enumerator_id, count(*) AS visits,
                     count(*) FILTER (WHERE v.review_status IN ('approved', 'rejected', 'revisit')) AS decided,
                     count(*) FILTER (WHERE v.review_status = 'rejected') AS rejected,
                     percentile_cont(0.5) WITHIN GROUP (ORDER BY v.location_accuracy_m) AS median_accuracy_m,
                     count(*) FILTER (WHERE v.flags ? 'far_from_registered') AS far,
                     count(*) FILTER (WHERE NOT EXISTS (SELECT 1 FROM photos p WHERE p.visit_id = v.id)
                         OR EXISTS (SELECT 1 FROM photos p WHERE p.visit_id = v.id AND p.uploaded_at IS NULL))
                         AS missing_photos
                FROM {visits} AND v.review_status <> 'superseded'
               GROUP BY v.enumerator_id) q
              JOIN users u ON u.id = q.enumerator_id
             ORDER BY name""",
        params,
    )


def regions_in_scope(*, actor: Actor) -> list[dict[str, Any]]:
    """Kecamatan and kelurahan inside the actor's area, by code (for filters)."""
    scope, params = in_scope_sql(actor, "r.code")
    return _rows(
        f"SELECT r.code, r.name, r.level FROM regions r WHERE r.level IN ('kecamatan', 'kelurahan') AND {scope}"
        " ORDER BY r.code",
        params,
    )


def visit_place(*, visit_id) -> dict[str, Any] | None:
    """Where a visit was recorded (its GPS fix and accuracy) and its household's registered point, with the
    metres between them; None when the visit has no fix. The registered point may be missing."""
    row = (
        db.session.execute(
            sa.text(
                "SELECT ST_X(v.location) AS lon, ST_Y(v.location) AS lat, v.location_accuracy_m AS accuracy_m,"
                " ST_X(h.location) AS home_lon, ST_Y(h.location) AS home_lat,"
                " ST_Distance(v.location::geography, h.location::geography) AS distance_m"
                " FROM visits v JOIN households h ON h.id = v.household_id"
                " WHERE v.id = :id AND v.location IS NOT NULL"
            ),
            {"id": visit_id},
        )
        .mappings()
        .first()
    )
    return dict(row) if row else None


def enumerator_names(*, ids: list[int]) -> dict[int, str]:
    if not ids:
        return {}
    rows = db.session.execute(
        sa.text("SELECT id, coalesce(full_name, username) AS name FROM users WHERE id = ANY(:ids)"), {"ids": ids}
    )
    return {row.id: row.name for row in rows}


def region_names(*, codes: list[str]) -> dict[str, str]:
    if not codes:
        return {}
    rows = db.session.execute(sa.text("SELECT code, name FROM regions WHERE code = ANY(:codes)"), {"codes": codes})
    return {row.code: row.name for row in rows}
