"""Analytics use cases: the period summary (city, area, per sub-area), the drill-down behind each number,
snapshots, all in the caller's area; a viewer never sees a cell of fewer than 5 households.

Figures: households (distinct), receipts, Rupiah in the period, per month (period / its calendar months) and
per year (month x 12). A receipt without the agency's amount is valued at the programme's standard amount
and that part is reported as an estimate (`rupiah_estimated_*`); PKH's per-member components are not
modelled. Inclusion errors from field work are reported twice, never mixed: `verified` (the latest
approved visit) and `settled` (changes a musyawarah accepted).
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from server.aid import queries as aid_queries
from server.analytics import queries
from server.audit.service import record
from server.auth.access import Actor, region_in_scope, within
from server.errors import FORBIDDEN, NOT_FOUND, AppError, validation_error
from server.types import Role

SUPPRESS_BELOW = 5
LEVELS = ("city", "kecamatan", "kelurahan", "rt_rw")
# The kinds of finding, named once: stacking, the auditor's (BPK) kinds of inclusion error, the gaps.
ERROR_KINDS = (
    "dead",
    "moved",
    "not_found",
    "duplicate",
    "paid_twice",
    "nik_in_two_households",
    "above_desil",
    "deactivated",
    "invalid_nik",
    "not_in_registry",
)
INCLUSION_KINDS = ("stacking", *ERROR_KINDS)
GAP_KINDS = ("gap", "gap_program", "unknown_desil")
KINDS = ("stacking", "gap", "gap_program", *ERROR_KINDS, "unknown_desil", "receiving")
# The per-area table of /staff/analitik, and the same figures per kelurahan on the map and the OGC API.
AREA_KINDS = ("stacking", "gap", "dead", "moved", "not_found", "paid_twice", "above_desil", "not_in_registry")
MAP_FIGURES = tuple(f"analytics_{kind}" for kind in AREA_KINDS)
SIDES = ("verified", "settled", "records", "lists")
LIST_KINDS = ("invalid_nik", "not_in_registry")
NOTE = (
    "Nilai tanpa nominal dari instansi memakai nominal standar program (perkiraan); komponen PKH per anggota "
    "tidak dimodelkan / amounts the agency did not give are the programme's standard amount (estimates); "
    "PKH's per-member components are not modelled"
)


def months_between(start: date, end: date) -> int:
    return (end.year * 12 + end.month) - (start.year * 12 + start.month) + 1


def check_request(
    actor: Actor, start: date, end: date, region: str | None, by: str | None = None, program: str | None = None
) -> None:
    problems: dict[str, list[str]] = {}
    if end < start:
        problems["period_end"] = ["Harus sesudah period_start / must not be before period_start"]
    if months_between(start, end) > 120:
        problems["period_end"] = ["Periode paling lama 10 tahun / at most 10 years"]
    if by is not None and by not in LEVELS:
        problems["by"] = [f"Salah satu dari / one of {', '.join(LEVELS)}"]
    if program is not None and aid_queries.get_program(code=program) is None:
        problems["program"] = ["Program tidak dikenal / unknown programme"]
    if problems:
        raise validation_error(problems)
    if region is not None and not region_in_scope(actor, region):
        raise AppError(NOT_FOUND, details={"region": region})


REFRESH = "analytics.refresh"


def period_run(actor: Actor | None, start: date, end: date, *, refresh: bool = False) -> tuple[Any, bool]:
    """The materialised findings of the period: computed now when there are none (or `refresh`), else the
    last ones; when the data or the rules moved on since, those are returned as stale and the refresh job
    is queued. Returns (run, stale)."""
    version = queries.current_version()
    fingerprint = queries.data_fingerprint()
    run = queries.get_run(start=start, end=end)
    if run is None or refresh:
        queries.lock_period(start=start, end=end)
        if run is None:  # a request that waited on the lock finds the first one's result
            run = queries.get_run(start=start, end=end)
            if run is not None and run.fingerprint == fingerprint and run.rule_set_version == version:
                return run, False
        run = queries.compute_run(start=start, end=end, version=version, fingerprint=fingerprint)
        return run, False
    queries.touch_run(run_id=run.id)
    stale = run.fingerprint != fingerprint or run.rule_set_version != version
    if stale:
        request_refresh(actor)  # runs at once where jobs run inline (tests): then the run is fresh again
        stale = run.fingerprint != fingerprint or run.rule_set_version != version
    return run, stale


def request_refresh(actor: Actor | None, *, inline: bool | None = None, first_run: bool = False) -> None:
    """Queue one refresh of the analysed periods (none while one waits, none when no period was analysed in
    the last 30 days unless `first_run`: a reader waits for the current period's first figures); called after
    imports and review decisions (`inline=False`: never inside their own job), and by a read that finds its
    figures stale or missing."""
    from server.jobs import queries as job_queries
    from server.jobs import service as jobs

    if not first_run and not queries.runs_used_since(days=30):
        return
    waiting = job_queries.list_jobs(owner_id=None, state="queued", kind=REFRESH, before=None, limit=1)
    if not waiting:
        jobs.enqueue(REFRESH, {}, actor=actor, inline=inline)


def refresh_stale(progress=None) -> dict[str, int]:
    """Compute the current period when it was never analysed (the map waits for it), then recompute every
    period used in the last 30 days whose data or rules moved on; returns counts."""
    version = queries.current_version()
    fingerprint = queries.data_fingerprint()
    start, end = current_period()
    refreshed = 0
    if queries.get_run(start=start, end=end) is None:
        queries.lock_period(start=start, end=end)
        if queries.get_run(start=start, end=end) is None:  # not computed meanwhile by a reader
            queries.compute_run(start=start, end=end, version=version, fingerprint=fingerprint)
            refreshed += 1
    runs = queries.runs_used_since(days=30)
    for done, run in enumerate(runs):
        if run.fingerprint != fingerprint or run.rule_set_version != version:
            queries.lock_period(start=run.period_start, end=run.period_end)
            queries.compute_run(start=run.period_start, end=run.period_end, version=version, fingerprint=fingerprint)
            refreshed += 1
        if progress is not None:
            progress(done + 1, len(runs))
    return {"periods": len(runs), "refreshed": refreshed}


def _rupiah(value: Any) -> int:
    return int(Decimal(value or 0).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _figure(row: tuple, viewer: bool) -> dict[str, Any]:
    """One line of figures (a summary row, Rupiah already rounded in SQL); a viewer's cell under 5 households
    suppressed. Rows are unpacked by position: a city's kelurahan table has ~3,500 of them."""
    (_area, kind, side, rule_id, programs, program, households, receipts, period, month, year, estimated, estimate,
     unknown) = row  # fmt: skip
    count = receipts if kind in LIST_KINDS else households
    suppressed = viewer and 0 < count < SUPPRESS_BELOW
    if suppressed:
        households = receipts = period = month = year = estimated = unknown = None
    return {
        "kind": kind,
        "side": side,
        "rule_id": rule_id,
        "programs": list(programs or ()),
        "program": program,
        "households": households,
        "receipts": receipts,
        "rupiah_period": period,
        "rupiah_month": month,
        "rupiah_year": year,
        "rupiah_estimated_month": estimated,
        "estimate": bool(estimate),
        "unknown_amount_receipts": unknown,
        "suppressed": suppressed,
    }


def _split(rows, viewer: bool) -> tuple[list[dict[str, Any]], dict[str, list[dict[str, Any]]]]:
    """Summary rows → the area's own figures and {sub-area: figures}, in the rows' order."""
    totals: list[dict[str, Any]] = []
    areas: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        figure = _figure(row, viewer)
        if row[0] is None:
            totals.append(figure)
        else:
            areas.setdefault(row[0], []).append(figure)
    return totals, areas


def _add_reach(figures: list[dict[str, Any]]) -> None:
    """How many receiving families each line's Rupiah a month would pay at the area's average a month per
    receiving family (`families_reachable`, whole families; None without a receiving family or Rupiah)."""
    receiving = next((f for f in figures if f["kind"] == "receiving" and f["program"] is None), None)
    average = None
    if receiving and receiving["households"] and receiving["rupiah_month"]:
        average = Decimal(receiving["rupiah_month"]) / receiving["households"]
    for figure in figures:
        reachable = None
        if average and figure["kind"] in INCLUSION_KINDS and figure["rupiah_month"]:
            reachable = int(Decimal(figure["rupiah_month"]) / average)
        figure["families_reachable"] = reachable


def summary(
    actor: Actor,
    start: date,
    end: date,
    region: str | None = None,
    by: str | None = None,
    program: str | None = None,
    refresh: bool = False,
) -> dict[str, Any]:
    """The figures of one period for the area (the caller's whole area when no region), and per sub-area."""
    check_request(actor, start, end, region, by, program)
    run, stale = period_run(actor, start, end, refresh=refresh)
    months = months_between(start, end)
    rows = queries.summary_rows(actor=actor, run_id=run.id, region=region, by=by, program=program, months=months)
    if program:
        # The programme's own line is its kind's total when the summary is about that programme.
        rows = [tuple(row) for row in rows]
        rows += [(*row[:5], None, *row[6:]) for row in rows if row[5] is not None]
        rows.sort(key=lambda row: (row[0] or "", row[1], row[2], row[3] or 0, row[5] or ""))
    totals, areas = _split(rows, actor.role == Role.VIEWER)
    _add_reach(totals)
    for figures in areas.values():
        _add_reach(figures)
    codes = [code.split("/")[0] for code in areas]
    names = queries.region_names(codes=codes) if codes else {}
    rules = queries.list_rules()
    return {
        "period": {"start": start.isoformat(), "end": end.isoformat(), "months": months},
        "region": region,
        "program": program,
        "by": by,
        "rule_set_version": run.rule_set_version,
        "as_of": run.computed_at.isoformat(),
        "stale": stale,
        "note": NOTE,
        "figures": totals,
        "areas": [
            {
                "code": code,
                "name": names.get(code.split("/")[0]),
                "rw": code.split("/")[1] if by == "rt_rw" else None,
                "rt": code.split("/")[2] if by == "rt_rw" else None,
                "figures": figures,
            }
            for code, figures in areas.items()
        ],
        "rules": [
            {
                "id": rule.id,
                "kind": rule.kind,
                "programs": list(rule.programs),
                "label": rule.label,
                "legal_basis": rule.legal_basis,
            }
            for rule in rules
            if (rule.valid_from is None or rule.valid_from <= end)
            and (rule.valid_until is None or rule.valid_until >= start)
        ],
    }


def current_period(today: date | None = None) -> tuple[date, date]:
    """The period the workspace shows when none is asked for (and the map always shows): this calendar year."""
    today = today or date.today()
    return date(today.year, 1, 1), date(today.year, 12, 31)


def area_cells(figures: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """One area's cells of the per-area table, per kind of AREA_KINDS: households (receipts for the agencies'
    lists) over all programmes and every side but `settled` (the table shows field findings as verified);
    `value` is None when any part is suppressed for a viewer."""
    cells: dict[str, dict[str, Any]] = {}
    for figure in figures:
        if figure["program"] is None and figure["kind"] in AREA_KINDS and figure["side"] != "settled":
            cell = cells.setdefault(figure["kind"], {"households": 0, "receipts": 0, "suppressed": False})
            if figure["suppressed"]:
                cell["suppressed"] = True
            else:
                cell["households"] += figure["households"] or 0
                cell["receipts"] += figure["receipts"] or 0
    for cell in cells.values():
        cell["value"] = None if cell["suppressed"] else cell["households"] or cell["receipts"]
    return cells


def kelurahan_figures(actor: Actor, region: str | None = None) -> dict[str, dict[str, int | None]] | None:
    """The per-kelurahan figures of /staff/analitik for the current period, `{code: {"analytics_<kind>": n}}`
    (MAP_FIGURES; None where a viewer's cell is suppressed), inside the caller's area and `region`: what the
    map's choropleth and the OGC `kelurahan` collection show.

    None while the period was never analysed: its first run is queued as the refresh job, never computed
    inside a map request (a whole city's findings; over two minutes at 200,000 households, holding the
    period's lock while the map's other tiles wait). The tiles' versions move once the job is done."""
    start, end = current_period()
    if queries.get_run(start=start, end=end) is None:
        request_refresh(actor, first_run=True)
        if queries.get_run(start=start, end=end) is None:  # where jobs run inline (tests) it is there now
            return None
    asked = region if region is None or region_in_scope(actor, region) else None  # else: the caller's part of it
    run, _stale = period_run(actor, start, end)
    rows = queries.summary_rows(
        actor=actor,
        run_id=run.id,
        region=asked,
        by="kelurahan",
        program=None,
        months=months_between(start, end),
        kinds=AREA_KINDS,  # only the lines the table adds up: the same sums, a twentieth of the rows
    )
    _totals, areas = _split(rows, actor.role == Role.VIEWER)
    found = {}
    for code, figures in areas.items():
        if region is not None and not within(code, [region]):
            continue
        cells = area_cells(figures)
        found[code] = {f"analytics_{kind}": cells[kind]["value"] if kind in cells else 0 for kind in AREA_KINDS}
    return found


def figure_versions() -> dict[str, str]:
    """{kecamatan code: a digest of its kelurahan figures of the current period}: part of the map's data
    versions, so a tile shows new figures once the refresh job has computed them (and only where they moved)."""
    start, end = current_period()
    return queries.kecamatan_figure_digests(start=start, end=end)


def drilldown(
    actor: Actor,
    start: date,
    end: date,
    kind: str,
    *,
    region: str | None = None,
    side: str | None = None,
    rule_id: int | None = None,
    program: str | None = None,
    rt: str | None = None,
    rw: str | None = None,
    limit: int | None = 100,
    offset: int = 0,
) -> tuple[list[dict[str, Any]], int]:
    """The households behind one number (viewers cannot list households); audited as a read of personal data."""
    check_request(actor, start, end, region, None, program)
    if actor.role == Role.VIEWER:
        raise AppError(FORBIDDEN)
    run, _stale = period_run(actor, start, end)
    rows = queries.drilldown_rows(
        actor=actor,
        run_id=run.id,
        region=region,
        kind=kind,
        side=side,
        rule_id=rule_id,
        program=program,
        rt=rt,
        rw=rw,
        limit=limit,
        offset=offset,
    )
    months = months_between(start, end)
    total = rows[0].total if rows else 0
    items = [
        {
            "household_id": str(row.id),
            "registry_id": row.registry_id,
            "kk_number": row.kk_number,
            "head_nik": row.head_nik,
            "head_name": row.head_name,
            "region_code": row.region_code,
            "kelurahan": row.kelurahan,
            "rw": row.rw,
            "rt": row.rt,
            "decile": row.decile,
            "registry_status": row.registry_status,
            "verification_status": row.verification_status,
            "programs": list(row.programs or []),
            "receipts": row.receipts,
            "rupiah_period": _rupiah(row.rupiah),
            "rupiah_month": _rupiah(Decimal(row.rupiah or 0) / months),
            "estimate": bool(row.estimated),
        }
        for row in rows
    ]
    record(
        "analytics.drilldown",
        object_type="analytics",
        object_id=kind,
        changes={"region": region, "period": f"{start}/{end}", "rows": len(items)},
    )
    return items, total


def create_snapshot(actor: Actor, title: str, start: date, end: date, region: str) -> Any:
    """Freeze the summary of `region` (the city code for the whole city) as shown now."""
    figures = summary(actor, start, end, region, by=None)
    snapshot = queries.add_snapshot(
        title=title,
        region_code=region,
        period_start=start,
        period_end=end,
        rule_set_version=figures["rule_set_version"],
        as_of=datetime.fromisoformat(figures["as_of"]),
        figures=figures,
        created_by_id=actor.user_id,
    )
    record("analytics.snapshot", object_type="analytics_snapshot", object_id=snapshot.id, changes={"title": title})
    return snapshot


def require_snapshot(actor: Actor, snapshot_id: int) -> Any:
    snapshot = queries.get_snapshot(snapshot_id=snapshot_id)
    if snapshot is None or not region_in_scope(actor, snapshot.region_code):
        raise AppError(NOT_FOUND)
    return snapshot


def list_snapshots(actor: Actor) -> list[Any]:
    return [s for s in queries.list_snapshots() if region_in_scope(actor, s.region_code)]


def count_visits_for_export(actor: Actor, campaign_id: int | None, region: str | None) -> int:
    """How many visits an export of the area (campaign) holds; the export is audited as a bulk read."""
    if region is not None and not region_in_scope(actor, region):
        raise AppError(NOT_FOUND, details={"region": region})
    count = queries.count_visits(actor=actor, campaign_id=campaign_id, region=region)
    record(
        "visit.export",
        object_type="visit",
        changes={"campaign_id": campaign_id, "region": region or "*", "rows": count},
    )
    return count


def copy_visits_csv(actor: Actor, campaign_id: int | None, region: str | None, out) -> int:
    """Every visit of the area (campaign) as CSV rows written into `out` by PostgreSQL; how many (counted by
    the copy itself, not by a second pass over the visits); audited as a bulk read."""
    if region is not None and not region_in_scope(actor, region):
        raise AppError(NOT_FOUND, details={"region": region})
    count = queries.copy_visits_csv(actor=actor, campaign_id=campaign_id, region=region, out=out)
    record(
        "visit.export",
        object_type="visit",
        changes={"campaign_id": campaign_id, "region": region or "*", "rows": count},
    )
    return count


def household_list(actor: Actor, start: date, end: date, region: str | None) -> tuple[int, Any]:
    """Every household of the area with its programmes, Rupiah and findings of the period, for an export;
    audited as a bulk read of personal data."""
    check_request(actor, start, end, region)
    if actor.role == Role.VIEWER:
        raise AppError(FORBIDDEN)
    run, _stale = period_run(actor, start, end)
    count = queries.count_households(actor=actor, region=region)
    record(
        "household.export",
        object_type="household",
        changes={"format": "analytics", "region": region or "*", "rows": count, "period": f"{start}/{end}"},
    )
    return count, queries.household_list_rows(actor=actor, run_id=run.id, start=start, end=end, region=region)
