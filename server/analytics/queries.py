"""SQL of the analytics domain: the rule set and its versions, snapshots, and the period analysis itself
(see `analysis_sql`), all set-based inside PostgreSQL."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from server.analytics.models import (
    AidRule,
    AidRuleVersion,
    AnalyticsCell,
    AnalyticsFinding,
    AnalyticsRun,
    AnalyticsSnapshot,
)
from server.extensions import db


def list_rules(*, include_inactive: bool = False) -> list[AidRule]:
    query = sa.select(AidRule).order_by(AidRule.kind, AidRule.id)
    if not include_inactive:
        query = query.where(AidRule.active)
    return list(db.session.execute(query).scalars())


def get_rule(*, rule_id: int) -> AidRule | None:
    return db.session.get(AidRule, rule_id)


def add_rule(**values: Any) -> AidRule:
    rule = AidRule(**values)
    db.session.add(rule)
    db.session.flush()
    return rule


def lock_rule_set() -> None:
    """Serialise rule changes, so each version's snapshot is the set after exactly one change."""
    db.session.execute(sa.text("SELECT pg_advisory_xact_lock(hashtext('verval.aid_rules'))"))


def write_version(*, actor_id: int | None, summary: str) -> int:
    """Store the whole rule set as it stands now as a new version; returns its number."""
    lock_rule_set()
    db.session.flush()
    return db.session.execute(
        sa.text(
            """
            INSERT INTO aid_rule_versions (version, actor_id, summary, rules)
            SELECT (SELECT coalesce(max(version), 0) + 1 FROM aid_rule_versions), :actor_id, :summary,
                   coalesce(jsonb_agg(to_jsonb(r) - 'created_at' - 'updated_at' ORDER BY r.id), '[]'::jsonb)
              FROM aid_rules r
            RETURNING version
            """
        ),
        {"actor_id": actor_id, "summary": summary},
    ).scalar_one()


def current_version() -> int:
    return db.session.execute(sa.select(sa.func.max(AidRuleVersion.version))).scalar_one() or 0


def list_versions(*, limit: int = 100) -> list[AidRuleVersion]:
    return list(
        db.session.execute(sa.select(AidRuleVersion).order_by(AidRuleVersion.version.desc()).limit(limit)).scalars()
    )


def get_version(*, version: int) -> AidRuleVersion | None:
    return db.session.get(AidRuleVersion, version)


def add_snapshot(**values: Any) -> AnalyticsSnapshot:
    snapshot = AnalyticsSnapshot(**values)
    db.session.add(snapshot)
    db.session.flush()
    return snapshot


def get_snapshot(*, snapshot_id: int) -> AnalyticsSnapshot | None:
    return db.session.get(AnalyticsSnapshot, snapshot_id)


def list_snapshots(*, limit: int = 100) -> list[AnalyticsSnapshot]:
    return list(
        db.session.execute(sa.select(AnalyticsSnapshot).order_by(AnalyticsSnapshot.id.desc()).limit(limit)).scalars()
    )


# --- the analysis of one period -------------------------------------------------------------------
def _months(start: str, end: str) -> str:
    """Calendar months from `start`'s month to `end`'s month, both counted (SQL)."""
    return (
        f"((extract(year FROM {end})::int * 12 + extract(month FROM {end})::int)"
        f" - (extract(year FROM {start})::int * 12 + extract(month FROM {start})::int) + 1)"
    )


# Finding kinds. Inclusion errors from field findings come on two sides, never mixed: `verified` (the latest
# approved visit) and `settled` (a change the musyawarah accepted); the others come from the records.
HOUSEHOLD_OUTCOME_KIND = """CASE vv.outcome WHEN 'deceased' THEN 'dead' WHEN 'moved_within' THEN 'moved'
    WHEN 'moved_outside' THEN 'moved' WHEN 'not_found' THEN 'not_found' WHEN 'building_gone' THEN 'not_found'
    WHEN 'duplicate' THEN 'duplicate' WHEN 'merged' THEN 'duplicate' END"""
PRESENCE_KIND = """CASE {column} WHEN 'deceased' THEN 'dead' WHEN 'moved' THEN 'moved'
    WHEN 'not_found' THEN 'not_found' WHEN 'duplicate' THEN 'duplicate' WHEN 'merged' THEN 'duplicate' END"""
# Settled: a change of registry_status / presence_status the musyawarah accepted (server/musyawarah marks the
# proposed rows `accepted`, or records its own `applied` ones).
SETTLED = "(c.state = 'accepted' OR (c.source_kind = 'musyawarah' AND c.state = 'applied'))"

FINDINGS_SQL = f"""
WITH p AS (SELECT CAST(:start AS date) AS ps, CAST(:end AS date) AS pe),
rules AS MATERIALIZED (
    SELECT r.* FROM aid_rules r, p
     WHERE r.active AND (r.valid_from IS NULL OR r.valid_from <= p.pe)
       AND (r.valid_until IS NULL OR r.valid_until >= p.ps)
),
elig AS MATERIALIZED (
    SELECT programs[1] AS code, max(desil_max) AS desil_max FROM rules WHERE kind = 'eligibility' GROUP BY 1
),
hh AS MATERIALIZED (
    SELECT h.id, h.region_code, h.rt, h.rw, h.decile, h.registry_status
      FROM households h
     WHERE h.registry_status NOT IN ('merged', 'proposed') AND {{scope}} AND {{area}}
),
rc AS MATERIALIZED (
    SELECT r.id, pr.code, coalesce(r.household_id, m.household_id) AS household_id, r.member_id,
           r.period_start, r.period_end, r.occurrence, r.listed_nik, r.listed_nik_valid, r.listed_match,
           r.listed_region_code, r.household_id IS NULL AND r.member_id IS NULL AS unmatched,
           r.amount IS NULL AND std.monthly IS NOT NULL AS estimated,
           r.amount IS NULL AND std.monthly IS NULL AS unknown_amount,
           coalesce(r.amount / {_months("r.period_start", "r.period_end")}, std.monthly)
             * {_months("greatest(r.period_start, p.ps)", "least(r.period_end, p.pe)")} AS rupiah
      FROM aid_receipts r CROSS JOIN p
      JOIN aid_programs pr ON pr.id = r.program_id
      LEFT JOIN members m ON m.id = r.member_id
      LEFT JOIN LATERAL (
            SELECT CASE s.amount_per WHEN 'month' THEN s.amount WHEN 'quarter' THEN s.amount / 3
                        WHEN 'year' THEN s.amount / 12
                        ELSE s.amount / {_months("r.period_start", "r.period_end")} END AS monthly
              FROM rules s
             WHERE s.kind = 'standard_amount' AND s.programs[1] = pr.code
               AND (s.valid_from IS NULL OR s.valid_from <= greatest(r.period_start, p.ps))
               AND (s.valid_until IS NULL OR s.valid_until >= greatest(r.period_start, p.ps))
             ORDER BY s.valid_from DESC NULLS LAST, s.id DESC
             LIMIT 1
      ) std ON TRUE
     WHERE r.status IN ('listed', 'disbursed') AND r.period_start <= p.pe AND r.period_end >= p.ps
),
hr AS MATERIALIZED (  -- receipts of households in the area
    SELECT rc.*, hh.region_code, hh.rt, hh.rw, hh.decile, hh.registry_status
      FROM rc JOIN hh ON hh.id = rc.household_id
),
vv AS MATERIALIZED (
    SELECT DISTINCT ON (v.household_id) v.household_id, v.outcome, v.answers
      FROM visits v JOIN hh ON hh.id = v.household_id
     WHERE v.review_status = 'approved'
     ORDER BY v.household_id, v.device_time DESC, v.id DESC
),
vm AS MATERIALIZED (
    SELECT DISTINCT ON (e.value->>'member_id') (e.value->>'member_id')::uuid AS member_id,
           {PRESENCE_KIND.format(column="e.value->>'presence'")} AS kind
      FROM vv CROSS JOIN LATERAL jsonb_array_elements(coalesce(vv.answers->'members', '[]'::jsonb)) e
     WHERE e.value->>'presence' IN ('deceased', 'moved', 'not_found') AND e.value->>'member_id' IS NOT NULL
),
sh AS MATERIALIZED (
    SELECT DISTINCT ON (c.household_id) c.household_id,
           {PRESENCE_KIND.format(column="c.new_value #>> '{{}}'")} AS kind
      FROM registry_changes c JOIN hh ON hh.id = c.household_id
     WHERE c.member_id IS NULL AND c.field = 'registry_status' AND {SETTLED}
     ORDER BY c.household_id, c.id DESC
),
sm AS MATERIALIZED (
    SELECT DISTINCT ON (c.member_id) c.member_id,
           {PRESENCE_KIND.format(column="c.new_value #>> '{{}}'")} AS kind
      FROM registry_changes c JOIN hh ON hh.id = c.household_id
     WHERE c.member_id IS NOT NULL AND c.field = 'presence_status' AND {SETTLED}
     ORDER BY c.member_id, c.id DESC
),
findings AS (
    -- inclusion errors from field findings: the household's (any receipt) or the member's (their receipts)
    SELECT coalesce({HOUSEHOLD_OUTCOME_KIND}, vm.kind) AS kind, 'verified' AS side, NULL::int AS rule_id,
           ARRAY[hr.code]::text[] AS programs, hr.household_id, hr.region_code, hr.rt, hr.rw,
           1 AS receipts, hr.rupiah, hr.estimated, hr.unknown_amount
      FROM hr LEFT JOIN vv ON vv.household_id = hr.household_id LEFT JOIN vm ON vm.member_id = hr.member_id
     WHERE coalesce({HOUSEHOLD_OUTCOME_KIND}, vm.kind) IS NOT NULL
    UNION ALL
    SELECT coalesce(sh.kind, sm.kind), 'settled', NULL, ARRAY[hr.code], hr.household_id, hr.region_code, hr.rt,
           hr.rw, 1, hr.rupiah, hr.estimated, hr.unknown_amount
      FROM hr LEFT JOIN sh ON sh.household_id = hr.household_id LEFT JOIN sm ON sm.member_id = hr.member_id
     WHERE coalesce(sh.kind, sm.kind) IS NOT NULL
    UNION ALL
    -- the same programme paid again to the same recipient for an overlapping period (the later receipts)
    SELECT 'paid_twice', 'records', NULL, ARRAY[code], household_id, region_code, rt, rw, 1, rupiah, estimated,
           unknown_amount
      FROM (SELECT hr.*, max(period_end) OVER (PARTITION BY code, household_id, member_id
                                               ORDER BY period_start, occurrence, id
                                               ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS before_end
              FROM hr) t
     WHERE before_end >= period_start
    UNION ALL
    -- one listed NIK paid by the same programme in two households for an overlapping period
    SELECT 'nik_in_two_households', 'records', NULL, ARRAY[code], household_id, region_code, rt, rw, 1, rupiah,
           estimated, unknown_amount
      FROM (SELECT hr.*, lag(household_id) OVER w AS before_household, lag(period_end) OVER w AS before_end
              FROM hr WHERE listed_nik IS NOT NULL
            WINDOW w AS (PARTITION BY code, listed_nik ORDER BY period_start, id)) t
     WHERE before_end >= period_start AND before_household <> household_id
    UNION ALL
    -- a programme paid above its desil (a household without desil is never judged here)
    SELECT 'above_desil', 'records', NULL, ARRAY[hr.code], hr.household_id, hr.region_code, hr.rt, hr.rw, 1,
           hr.rupiah, hr.estimated, hr.unknown_amount
      FROM hr JOIN elig ON elig.code = hr.code
     WHERE hr.decile > elig.desil_max
    UNION ALL
    -- still paid although the registry no longer counts the family (removed, or a status other than active)
    SELECT 'deactivated', 'records', NULL, ARRAY[hr.code], hr.household_id, hr.region_code, hr.rt, hr.rw, 1,
           hr.rupiah, hr.estimated, hr.unknown_amount
      FROM hr WHERE hr.registry_status <> 'active'
    UNION ALL
    -- the agencies' own lists: a NIK that is not a valid NIK, a recipient matching nobody in the registry
    SELECT CASE WHEN rc.listed_nik_valid IS FALSE THEN 'invalid_nik' ELSE 'not_in_registry' END, 'lists', NULL,
           ARRAY[rc.code], NULL::uuid, rc.listed_region_code, NULL, NULL, 1, rc.rupiah, rc.estimated,
           rc.unknown_amount
      FROM rc
     WHERE (rc.listed_nik_valid IS FALSE OR (rc.unmatched AND rc.listed_match = 'none'))
       AND {{list_scope}} AND {{list_area}}
    UNION ALL
    -- stacking: a programme paid to a recipient of a programme it excludes, in an overlapping period
    SELECT 'stacking', 'records', x.id, x.programs::text[], a.household_id, a.region_code, a.rt, a.rw, count(*),
           sum(a.rupiah), bool_or(a.estimated), bool_or(a.unknown_amount)
      FROM rules x JOIN hr a ON a.code = x.programs[1]
     WHERE x.kind = 'exclusive'
       AND (x.valid_from IS NULL OR a.period_end >= x.valid_from)
       AND (x.valid_until IS NULL OR a.period_start <= x.valid_until)
       AND EXISTS (SELECT 1 FROM hr b WHERE b.household_id = a.household_id AND b.code = x.programs[2]
                      AND b.period_start <= a.period_end AND b.period_end >= a.period_start)
     GROUP BY x.id, x.programs, a.household_id, a.region_code, a.rt, a.rw
    UNION ALL
    -- stacking: two or more programmes of one purpose group in the period (the Rupiah beyond the largest one)
    SELECT 'stacking', 'records', rule_id, array_agg(code ORDER BY code)::text[], household_id, region_code, rt, rw,
           sum(receipts)::int, sum(rupiah) - max(rupiah), bool_or(estimated), bool_or(unknown_amount)
      FROM (SELECT g.id AS rule_id, hr.code, hr.household_id, hr.region_code, hr.rt, hr.rw, count(*) AS receipts,
                   coalesce(sum(hr.rupiah), 0) AS rupiah, bool_or(hr.estimated) AS estimated,
                   bool_or(hr.unknown_amount) AS unknown_amount
              FROM rules g JOIN hr ON hr.code = ANY(g.programs)
             WHERE g.kind = 'same_purpose'
               AND (g.valid_from IS NULL OR hr.period_end >= g.valid_from)
               AND (g.valid_until IS NULL OR hr.period_start <= g.valid_until)
             GROUP BY g.id, hr.code, hr.household_id, hr.region_code, hr.rt, hr.rw) per_programme
     GROUP BY rule_id, household_id, region_code, rt, rw
    HAVING count(*) >= 2
    UNION ALL
    -- exclusion gap: verified present, a desil some programme serves, and no programme at all
    SELECT 'gap', 'verified', NULL, ARRAY[]::text[], hh.id, hh.region_code, hh.rt, hh.rw, 0, NULL, FALSE, FALSE
      FROM hh JOIN vv ON vv.household_id = hh.id
     WHERE vv.outcome = 'found' AND hh.decile <= (SELECT max(desil_max) FROM elig)
       AND NOT EXISTS (SELECT 1 FROM hr WHERE hr.household_id = hh.id)
    UNION ALL
    -- per programme: verified present, inside the programme's desil, not receiving it
    SELECT 'gap_program', 'verified', NULL, ARRAY[elig.code], hh.id, hh.region_code, hh.rt, hh.rw, 0, NULL, FALSE,
           FALSE
      FROM hh JOIN vv ON vv.household_id = hh.id JOIN elig ON hh.decile <= elig.desil_max
     WHERE vv.outcome = 'found'
       AND NOT EXISTS (SELECT 1 FROM hr WHERE hr.household_id = hh.id AND hr.code = elig.code)
    UNION ALL
    -- the denominator: every receipt of a household in the period (households counted distinct when added up)
    SELECT 'receiving', 'records', NULL, ARRAY[code]::text[], household_id, region_code, rt, rw, 1, rupiah, estimated,
           unknown_amount
      FROM hr
    UNION ALL
    -- no desil: neither a gap nor above a desil, counted apart (verified present or receiving aid)
    SELECT 'unknown_desil', 'records', NULL, ARRAY[]::text[], hh.id, hh.region_code, hh.rt, hh.rw, 0, NULL, FALSE,
           FALSE
      FROM hh
     WHERE hh.decile IS NULL
       AND (EXISTS (SELECT 1 FROM vv WHERE vv.household_id = hh.id AND vv.outcome = 'found')
            OR EXISTS (SELECT 1 FROM hr WHERE hr.household_id = hh.id))
)
"""


FINDING_COLUMNS = (
    "kind",
    "side",
    "rule_id",
    "programs",
    "household_id",
    "region_code",
    "rt",
    "rw",
    "receipts",
    "rupiah",
    "estimated",
    "unknown_amount",
)


def data_fingerprint() -> str:
    """What the findings depend on, cheaply: households (change stamp), imports, confirmed aid matches,
    receipts, review decisions, registry changes and the rule set. Equal fingerprints, equal findings."""
    return db.session.execute(
        sa.text(
            """
            SELECT concat_ws(':', (SELECT max(change_seq) FROM households), (SELECT max(id) FROM data_imports),
                             (SELECT max(id) FROM aid_receipts), (SELECT max(decided_at) FROM aid_match_proposals),
                             (SELECT max(reviewed_at) FROM visits), (SELECT max(id) FROM registry_changes),
                             (SELECT max(version) FROM aid_rule_versions))
            """
        )
    ).scalar_one()


def get_run(*, start, end) -> AnalyticsRun | None:
    return db.session.execute(
        sa.select(AnalyticsRun).where(AnalyticsRun.period_start == start, AnalyticsRun.period_end == end)
    ).scalar_one_or_none()


def lock_period(*, start, end) -> None:
    """One computation of a period at a time (a second waits, then finds the first one's result)."""
    db.session.execute(
        sa.text("SELECT pg_advisory_xact_lock(hashtext('verval.analytics'), hashtext(:period))"),
        {"period": f"{start}/{end}"},
    )


def compute_run(*, start, end, version: int, fingerprint: str) -> AnalyticsRun:
    """(Re)compute the findings of one period for the whole city, set-based, into analytics_findings."""
    started = time.perf_counter()
    run = get_run(start=start, end=end)
    now = datetime.now(UTC)
    if run is None:
        run = AnalyticsRun(period_start=start, period_end=end, last_used_at=now)
        db.session.add(run)
    run.rule_set_version, run.fingerprint, run.computed_at, run.compute_ms = version, fingerprint, now, 0
    db.session.flush()
    db.session.execute(sa.delete(AnalyticsFinding).where(AnalyticsFinding.run_id == run.id))
    db.session.execute(sa.delete(AnalyticsCell).where(AnalyticsCell.run_id == run.id))
    # The statement is large and its row estimates through the CTEs are rough: JIT compiling it took 14 s on
    # the demo city for a 1 s query; sorts of ~100,000 receipts fit in memory with a larger work_mem.
    db.session.execute(sa.text("SET LOCAL jit = off"))
    db.session.execute(sa.text("SET LOCAL work_mem = '64MB'"))
    sql = FINDINGS_SQL.format(scope="TRUE", area="TRUE", list_scope="TRUE", list_area="TRUE")
    columns = ", ".join(FINDING_COLUMNS)
    db.session.execute(
        sa.text(f"{sql} INSERT INTO analytics_findings (run_id, {columns}) SELECT :run_id, {columns} FROM findings"),
        {"start": start, "end": end, "run_id": run.id},
    )
    db.session.execute(sa.text(CELLS_SQL), {"run_id": run.id})
    # A refresh replaces a third of the rows of both tables: the next reads are planned on fresh statistics
    # (without them a kelurahan's drill-down took 13 s on the demo city right after a refresh, not 0.3 s).
    db.session.execute(sa.text("ANALYZE analytics_findings, analytics_cells"))
    run.compute_ms = round((time.perf_counter() - started) * 1000)
    db.session.flush()
    return run


def kecamatan_figure_digests(*, start, end) -> dict[str, str]:
    """{kecamatan code: a digest of the kelurahan cells of the period's run} ({} before its first run): changes
    when a kecamatan's figures change, and only then."""
    rows = db.session.execute(
        sa.text(
            """
            SELECT left(c.region_code, 8),
                   sum(hashtext(concat_ws(',', c.region_code, c.kind, c.side, c.rule_id, c.programs, c.program,
                                          c.households, c.receipts, c.rupiah))::bigint)
              FROM analytics_runs r JOIN analytics_cells c ON c.run_id = r.id AND c.level = 'kelurahan'
             WHERE r.period_start = :start AND r.period_end = :end AND c.region_code IS NOT NULL
             GROUP BY 1
            """
        ),
        {"start": start, "end": end},
    )
    return {row[0]: str(row[1]) for row in rows}


def touch_run(*, run_id: int) -> None:
    db.session.execute(sa.update(AnalyticsRun).where(AnalyticsRun.id == run_id).values(last_used_at=sa.func.now()))


def runs_used_since(*, days: int) -> list[AnalyticsRun]:
    return list(
        db.session.execute(
            sa.select(AnalyticsRun)
            .where(AnalyticsRun.last_used_at >= sa.func.now() - sa.text(f"interval '{int(days)} days'"))
            .order_by(AnalyticsRun.last_used_at.desc())
        ).scalars()
    )


def _findings(*, actor, run_id: int, region: str | None) -> tuple[str, dict]:
    """A `findings` CTE: the run's findings inside the caller's area (and `region`)."""
    from server.auth.access import in_region_sql, in_scope_sql

    scope, params = in_scope_sql(actor, "f.region_code")
    params = {**params, "run_id": run_id}
    area = "TRUE"
    if region:
        area = in_region_sql("f.region_code", ":region")
        params["region"] = region
    sql = f"WITH findings AS (SELECT f.* FROM analytics_findings f WHERE f.run_id = :run_id AND {scope} AND {area})"
    return sql, params


AREA_KEYS = {
    "city": "left(f.region_code, 5)",
    "kecamatan": "left(f.region_code, 8)",
    "kelurahan": "f.region_code",
    "rt_rw": "f.region_code || '/' || coalesce(f.rw, '-') || '/' || coalesce(f.rt, '-')",
}


SPLIT_KINDS = (
    "receiving",
    "gap_program",
    "above_desil",
    "paid_twice",
    "nik_in_two_households",
    "invalid_nik",
    "not_in_registry",
    "dead",
    "moved",
    "not_found",
    "duplicate",
    "deactivated",
)


def summary_rows(
    *,
    actor,
    run_id: int,
    region: str | None,
    by: str | None,
    program: str | None,
    months: int,
    kinds: tuple[str, ...] | None = None,
) -> list:
    """Counts per (kind, side, rule, programme), for the whole area (`area` NULL) and, with `by`, per
    sub-area: households, receipts, Rupiah in the period (total and its estimated part), receipts without
    any amount; added up from the run's per-RT cells. With `program`: its own lines, the stacking rules
    involving it, the overall gap and unknown desil (the caller makes the programme's line the total).
    With `kinds`: only their all-programme lines other than `settled` (each line is summed alone, so its
    figures are the same as in the whole summary)."""
    from server.auth.access import in_region_sql, in_scope_sql

    scope, params = in_scope_sql(actor, "c.region_code")
    params = {**params, "run_id": run_id, "months": months}
    level = "rt" if by == "rt_rw" else "kelurahan"
    conditions = ["c.run_id = :run_id", f"c.level = '{level}'", scope]
    if region:
        conditions.append(in_region_sql("c.region_code", ":region"))
        params["region"] = region
    if program:
        conditions.append(
            "(c.program = :program OR (c.program IS NULL AND (c.kind IN ('gap', 'unknown_desil')"
            " OR (c.kind = 'stacking' AND :program = ANY(c.programs)))))"
        )
        params["program"] = program
    if kinds:
        conditions.append("c.program IS NULL AND c.side <> 'settled' AND c.kind = ANY(:kinds)")
        params["kinds"] = list(kinds)
    key = AREA_KEYS[by].replace("f.", "c.") if by else "NULL::text"
    common = "kind, side, rule_id, programs, program"
    sets = [f"({common})"]
    area = "NULL::text"
    if by:
        sets.append(f"(area_key, {common})")
        area = "CASE WHEN GROUPING(area_key) = 1 THEN NULL ELSE area_key END"
    return list(
        db.session.execute(
            sa.text(
                f"""
                SELECT {area} AS area, kind, side, rule_id, programs, program,
                       sum(households)::int AS households, sum(receipts)::int AS receipts,
                       round(sum(rupiah))::bigint AS rupiah_period,
                       round(sum(rupiah) / :months)::bigint AS rupiah_month,
                       round(sum(rupiah) * 12 / :months)::bigint AS rupiah_year,
                       round(sum(rupiah_estimated) / :months)::bigint AS rupiah_estimated_month,
                       sum(rupiah_estimated) > 0 AS estimate, sum(unknown_amount)::int AS unknown_amount
                  FROM (SELECT c.*, {key} AS area_key FROM analytics_cells c WHERE {" AND ".join(conditions)}) c
                 GROUP BY GROUPING SETS ({", ".join(sets)})
                 ORDER BY 1 NULLS FIRST, 2, 3, 4, 6 NULLS FIRST
                """
            ),
            params,
        )
    )


CELLS_SQL = f"""
INSERT INTO analytics_cells (run_id, level, region_code, rw, rt, kind, side, rule_id, programs, program, households,
                             receipts, rupiah, rupiah_estimated, unknown_amount)
SELECT :run_id, CASE WHEN GROUPING(rw, rt) = 0 THEN 'rt' ELSE 'kelurahan' END, region_code, rw, rt, kind, side,
       rule_id, programs, program, count(DISTINCT household_id), sum(receipts), coalesce(sum(rupiah), 0),
       coalesce(sum(rupiah) FILTER (WHERE estimated), 0), count(*) FILTER (WHERE unknown_amount)
  FROM (SELECT f.region_code, f.rw, f.rt, f.kind, f.side, f.rule_id, f.household_id, f.receipts, f.rupiah,
               f.estimated, f.unknown_amount,
               CASE WHEN f.kind = 'stacking' THEN f.programs ELSE ARRAY[]::varchar[] END AS programs,
               CASE WHEN f.kind IN ({", ".join(repr(kind) for kind in SPLIT_KINDS)}) THEN f.programs[1] END AS program
          FROM analytics_findings f WHERE f.run_id = :run_id) f
 GROUP BY GROUPING SETS ((region_code, rw, rt, kind, side, rule_id, programs),
                         (region_code, rw, rt, kind, side, rule_id, programs, program),
                         (region_code, kind, side, rule_id, programs),
                         (region_code, kind, side, rule_id, programs, program))
HAVING GROUPING(program) = 1 OR program IS NOT NULL
"""


def drilldown_rows(
    *,
    actor,
    run_id: int,
    region: str | None,
    kind: str,
    side: str | None,
    rule_id: int | None,
    program: str | None,
    rt: str | None,
    rw: str | None,
    limit: int | None,
    offset: int = 0,
) -> list:
    """The households behind one number: one row per household with its programmes and Rupiah in the
    period (list findings without a household are not listed here)."""
    from server.auth.access import in_region_sql

    sql, params = _findings(actor=actor, run_id=run_id, region=region)
    conditions = ["f.kind = :kind", "f.household_id IS NOT NULL"]
    params |= {"kind": kind, "limit": limit, "offset": offset}
    households = "households"
    if region:
        # The region's codes as a set the indexes can use (`code = x OR code LIKE 'x.%'` cannot): a kelurahan's
        # 553 receiving households took 440 ms through a scan of the city's findings and households, ~120 ms so
        # (at load 10; and a supervisor's 3.5 s, whose scope made a self-join of the list run once per row).
        codes = f"(SELECT r.code FROM regions r WHERE {in_region_sql('r.code', ':region')})"
        conditions.append(f"f.region_code IN {codes}")
        households = f"(SELECT * FROM households h WHERE h.region_code IN {codes})"
    for name, value, condition in (
        ("side", side, "f.side = :side"),
        ("rule_id", rule_id, "f.rule_id = :rule_id"),
        ("program", program, ":program = ANY(f.programs)"),
        ("rt", rt, "f.rt = :rt"),
        ("rw", rw, "f.rw = :rw"),
    ):
        if value is not None:
            conditions.append(condition)
            params[name] = value
    return list(
        db.session.execute(
            sa.text(
                f"""{sql}
                , picked AS MATERIALIZED (SELECT f.* FROM findings f WHERE {" AND ".join(conditions)})
                , chosen AS (  -- one pass: each finding's receipts and Rupiah counted on its first programme only
                    SELECT f.household_id,
                           coalesce(array_agg(DISTINCT p.code ORDER BY p.code) FILTER (WHERE p.code IS NOT NULL),
                                    ARRAY[]::text[]) AS programs,
                           (sum(f.receipts) FILTER (WHERE p.n IS NULL OR p.n = 1))::int AS receipts,
                           sum(f.rupiah) FILTER (WHERE p.n IS NULL OR p.n = 1) AS rupiah,
                           bool_or(f.estimated) AS estimated
                      FROM picked f LEFT JOIN LATERAL unnest(f.programs) WITH ORDINALITY AS p(code, n) ON TRUE
                     GROUP BY f.household_id
                )
                SELECT h.id, h.registry_id, h.kk_number, head.nik AS head_nik, h.head_name, h.region_code,
                       r.name AS kelurahan, h.rw, h.rt, h.decile, h.registry_status, h.verification_status,
                       c.programs, c.receipts, c.rupiah, c.estimated, count(*) OVER () AS total
                  FROM chosen c JOIN {households} h ON h.id = c.household_id
                  JOIN regions r ON r.code = h.region_code
                  LEFT JOIN LATERAL (SELECT m.nik FROM members m WHERE m.household_id = h.id
                                      ORDER BY m.relationship_code, m.presence_status <> 'present', m.id
                                      LIMIT 1) head ON TRUE
                 ORDER BY h.region_code, h.rw NULLS LAST, h.rt NULLS LAST, h.head_name, h.id
                 LIMIT :limit OFFSET :offset
                """
            ),
            params,
        )
    )


def region_names(*, codes: list[str]) -> dict[str, str]:
    rows = db.session.execute(sa.text("SELECT code, name FROM regions WHERE code = ANY(:codes)"), {"codes": codes})
    return {code: name for code, name in rows}


# --- city-wide lists for exports (streamed) ---------------------------------------------------------
HOUSEHOLD_LIST_COLUMNS = (
    "registry_id",
    "kk_number",
    "head_nik",
    "head_name",
    "region_code",
    "kelurahan",
    "rw",
    "rt",
    "decile",
    "registry_status",
    "verification_status",
    "programs",
    "rupiah_month_agency",
    "findings",
)
VISIT_COLUMNS = (
    "visit_id",
    "registry_id",
    "kk_number",
    "head_name",
    "region_code",
    "rw",
    "rt",
    "campaign_id",
    "enumerator",
    "device_time",
    "received_at",
    "outcome",
    "consent",
    "review_status",
    "reviewed_at",
    "lat",
    "lon",
    "accuracy_m",
    "flags",
    "members_reported",
)


def _stream(sql: str, params: dict, batch: int = 5000):
    result = db.session.execute(sa.text(sql).execution_options(stream_results=True, yield_per=batch), params)
    yield from result


def household_list_rows(*, actor, run_id: int, start, end, region: str | None):
    """Every household of the area (by kelurahan, RW, RT) with its programmes and Rupiah a month in the period
    and the kinds of finding it has: one row per household, streamed."""
    from server.auth.access import in_region_sql, in_scope_sql

    scope, params = in_scope_sql(actor, "h.region_code")
    area = in_region_sql("h.region_code", ":region") if region else "TRUE"
    months = _months(":start", ":end").replace(":start", "CAST(:start AS date)").replace(":end", "CAST(:end AS date)")
    sql = f"""
        WITH got AS (
            SELECT coalesce(r.household_id, m.household_id) AS household_id,
                   string_agg(DISTINCT p.code, ' ' ORDER BY p.code) AS programs,
                   round(sum(coalesce(r.amount, 0) / {_months("r.period_start", "r.period_end")}
                             * {
        _months("greatest(r.period_start, CAST(:start AS date))", "least(r.period_end, CAST(:end AS date))")
    }) / {months}) AS rupiah_month_agency
              FROM aid_receipts r JOIN aid_programs p ON p.id = r.program_id
              LEFT JOIN members m ON m.id = r.member_id
             WHERE r.status IN ('listed', 'disbursed') AND r.period_start <= :end AND r.period_end >= :start
             GROUP BY 1
        ), found AS (
            SELECT household_id, string_agg(DISTINCT kind || CASE WHEN side IN ('verified', 'settled')
                                                             THEN ':' || side ELSE '' END, ' ') AS findings
              FROM analytics_findings
             WHERE run_id = :run_id AND household_id IS NOT NULL AND kind <> 'receiving'
             GROUP BY 1
        )
        SELECT h.registry_id, h.kk_number, head.nik, h.head_name, h.region_code, g.name, h.rw, h.rt, h.decile,
               h.registry_status, h.verification_status, got.programs, got.rupiah_month_agency::bigint, found.findings
          FROM households h
          JOIN regions g ON g.code = h.region_code
          LEFT JOIN got ON got.household_id = h.id
          LEFT JOIN found ON found.household_id = h.id
          LEFT JOIN LATERAL (SELECT m.nik FROM members m WHERE m.household_id = h.id
                              ORDER BY m.relationship_code, m.presence_status <> 'present', m.id LIMIT 1) head ON TRUE
         WHERE h.registry_status NOT IN ('merged', 'proposed') AND {scope} AND {area}
         ORDER BY h.region_code, h.rw NULLS LAST, h.rt NULLS LAST, h.head_name, h.id
    """
    db.session.execute(sa.text("SET LOCAL jit = off"))
    return _stream(sql, {**params, "run_id": run_id, "start": start, "end": end, "region": region})


def count_households(*, actor, region: str | None) -> int:
    from server.auth.access import in_region_sql, in_scope_sql

    scope, params = in_scope_sql(actor, "h.region_code")
    area = in_region_sql("h.region_code", ":region") if region else "TRUE"
    return db.session.execute(
        sa.text(
            f"SELECT count(*) FROM households h WHERE h.registry_status NOT IN ('merged', 'proposed') "
            f"AND {scope} AND {area}"
        ),
        {**params, "region": region},
    ).scalar_one()


def _visit_sql(*, actor, campaign_id: int | None, region: str | None, as_text: bool) -> tuple[str, dict]:
    from server.auth.access import in_region_sql, in_scope_sql

    scope, params = in_scope_sql(actor, "h.region_code")
    conditions = [scope]
    if region:
        conditions.append(in_region_sql("h.region_code", ":region"))
    if campaign_id is not None:
        conditions.append("v.campaign_id = :campaign_id")

    def moment(column: str) -> str:
        if not as_text:
            return column
        return f"""to_char({column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')"""

    def text(column: str) -> str:
        # As server/csvout.cell: text a spreadsheet would run as a formula gets a leading apostrophe.
        if not as_text:
            return column
        starts = "^[=+@\\t\\r\uff1d\uff0b\uff0d\uff20-]"
        return (
            f"CASE WHEN {column} ~ E'{starts}' AND {column} !~ '^-?[0-9]+([.][0-9]+)?$' "
            f"THEN chr(39) || {column} ELSE {column} END"
        )

    sql = f"""
        SELECT v.id, {text("h.registry_id")}, h.kk_number, {text("h.head_name")}, h.region_code, h.rw, h.rt,
               v.campaign_id, {text("u.username")}, {moment("v.device_time")}, {moment("v.received_at")}, v.outcome,
               v.consent, v.review_status, {moment("v.reviewed_at")}, ST_Y(v.location), ST_X(v.location),
               v.location_accuracy_m, (SELECT string_agg(value, ' ') FROM jsonb_array_elements_text(v.flags)),
               jsonb_array_length(coalesce(v.answers->'members', '[]'::jsonb))
          FROM visits v JOIN households h ON h.id = v.household_id JOIN users u ON u.id = v.enumerator_id
         WHERE {" AND ".join(conditions)}
         ORDER BY v.received_at, v.id
    """
    return sql, {**params, "campaign_id": campaign_id, "region": region}


def visit_rows(*, actor, campaign_id: int | None, region: str | None):
    """Every visit of the area (of one campaign, or all), oldest first, streamed."""
    sql, params = _visit_sql(actor=actor, campaign_id=campaign_id, region=region, as_text=False)
    return _stream(sql, params)


def copy_visits_csv(*, actor, campaign_id: int | None, region: str | None, out) -> int:
    """The same visits written as CSV rows into the binary file `out` by PostgreSQL's COPY, which formats
    100,000 rows in about a second where Python's csv module takes several; returns how many."""
    import re

    sql, params = _visit_sql(actor=actor, campaign_id=campaign_id, region=region, as_text=True)
    # psycopg2's placeholders (a literal % doubled first, as in LIKE patterns), bound by mogrify below
    sql = re.sub(r"(?<![:\w]):(\w+)", r"%(\1)s", sql.replace("%", "%%"))
    raw = db.session.connection().connection
    with raw.cursor() as cursor:
        bound = cursor.mogrify(sql, params).decode()
        cursor.copy_expert(f"COPY ({bound}) TO STDOUT WITH (FORMAT csv, HEADER false)", out)
        return cursor.rowcount


def count_visits(*, actor, campaign_id: int | None, region: str | None) -> int:
    from server.auth.access import in_region_sql, in_scope_sql

    scope, params = in_scope_sql(actor, "h.region_code")
    conditions = [scope]
    if region:
        conditions.append(in_region_sql("h.region_code", ":region"))
    if campaign_id is not None:
        conditions.append("v.campaign_id = :campaign_id")
    return db.session.execute(
        sa.text(
            f"SELECT count(*) FROM visits v JOIN households h ON h.id = v.household_id WHERE {' AND '.join(conditions)}"
        ),
        {**params, "campaign_id": campaign_id, "region": region},
    ).scalar_one()
