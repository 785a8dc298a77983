"""Benchmark of the aid analytics on the demo city (issue 18): city analysis, a kelurahan's drill-down,
the city-wide household XLSX and the CSV of all visits, each with PostgreSQL's own time beside it.

    DATABASE_URL=... .venv/bin/python bench/analytics.py [--households 42124] [--visits-per-household 2.5]
                                                        [--runs 5]

Creates a scratch database `verval_bench_analytics` (dropped at the end) holding the demo city, adds about
`--visits-per-household` visits per household (ODK Central's comparison: 10.8 s for ~104,000 submissions),
a fifth of them approved with field outcomes, then, in-process as an admin:

- compute: the materialised findings of 2026 computed from scratch (the refresh job's work, once);
- city summary (no sub-areas and per kelurahan) read from them, median of `--runs`; and the map's
  per-kelurahan figures (what the kelurahan tiles and the OGC collection read);
- drill-down: the list behind the largest figure of the biggest kelurahan (first page of 100);
- household XLSX: every household (42,124 rows) through XlsxWriter in constant-memory mode, with the
  Python heap's peak (tracemalloc) and the process's peak RSS growth;
- visits CSV: all visits through the streamed export (the service's rows through the CSV writer).

PostgreSQL's own time: the statement each step sent, captured and run again under EXPLAIN (ANALYZE)
(`Execution Time`). Targets: city analysis < 500 ms, drill-down < 200 ms, XLSX < 10 s, visits CSV < 2 s.
"""

from __future__ import annotations

import argparse
import math
import os
import resource
import statistics
import sys
import tempfile
import time
import tracemalloc
from datetime import date

import sqlalchemy as sa
from harness import load_demo, scratch_database

NAME = "verval_bench_analytics"
YEAR = (date(2026, 1, 1), date(2026, 12, 31))


def plant_visits(url: str, per_household: float) -> int:
    engine = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        enumerator = connection.execute(
            sa.text("SELECT id FROM users WHERE role = 'enumerator' ORDER BY id LIMIT 1")
        ).scalar_one()
        copies = max(1, math.ceil(per_household))
        connection.execute(
            sa.text(
                """
                INSERT INTO visits (id, household_id, enumerator_id, device_time, received_at, no_fix_reason,
                                    outcome, consent, answers, content_hash, review_status, reviewed_at)
                SELECT gen_random_uuid(), h.id, :enumerator,
                       timestamptz '2026-03-01 08:00+08' + (n || ' days')::interval
                           + make_interval(hours => (random() * 8)::int),
                       timestamptz '2026-03-02 08:00+08' + (n || ' days')::interval, 'bench',
                       (ARRAY['found', 'found', 'found', 'found', 'found', 'found', 'deceased', 'moved_outside',
                              'not_found', 'duplicate'])[1 + (abs(hashtext(h.id::text || n)) % 10)],
                       TRUE, '{"members": []}'::jsonb, md5(h.id::text || n),
                       CASE WHEN n = 1 AND abs(hashtext(h.id::text)) % 5 = 0 THEN 'approved' ELSE 'pending' END,
                       CASE WHEN n = 1 AND abs(hashtext(h.id::text)) % 5 = 0 THEN now() END
                  FROM households h CROSS JOIN generate_series(1, :copies) AS n
                 WHERE n <= :copies - 1 OR abs(hashtext(h.id::text)) % 100 < :fraction
                """
            ),
            {"enumerator": enumerator, "copies": copies, "fraction": round((per_household - copies + 1) * 100)},
        )
        connection.execute(sa.text("VACUUM ANALYZE visits"))
        count = connection.execute(sa.text("SELECT count(*) FROM visits")).scalar_one()
    engine.dispose()
    return count


def stacking_trigger(url: str, *, enabled: bool) -> None:
    """Migration 0021's per-statement stacking refresh made the demo's 130,000-receipt COPY take >10 min
    (planned without statistics): the bench loads the city without it, then refreshes all households once."""
    engine = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        exists = connection.execute(
            sa.text("SELECT 1 FROM pg_trigger WHERE tgname = 'trg_aid_receipts_stacking_insert'")
        ).first()
        if exists:
            action = "ENABLE" if enabled else "DISABLE"
            connection.execute(sa.text(f"ALTER TABLE aid_receipts {action} TRIGGER trg_aid_receipts_stacking_insert"))
            if enabled:
                connection.execute(sa.text("SELECT refresh_aid_stacking(array_agg(id)) FROM households"))
    engine.dispose()


class Captured:
    """The statements the app sent, to run the slowest again under EXPLAIN ANALYZE."""

    def __init__(self, engine):
        self.statements: list[tuple[str, object]] = []
        sa.event.listen(engine, "before_cursor_execute", self.before)

    def before(self, conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith(("WITH", "SELECT", "INSERT INTO ANALYTICS")):
            self.statements.append((statement, parameters))

    def clear(self):
        self.statements.clear()

    def pg_ms(self, db, pick=lambda s: True) -> float:
        """EXPLAIN (ANALYZE) of the longest captured statement `pick` accepts: its Execution Time."""
        candidates = [(s, p) for s, p in self.statements if pick(s)]
        statement, parameters = max(candidates, key=lambda item: len(item[0]))
        raw = db.session.connection().connection
        with raw.cursor() as cursor:
            cursor.execute("SET LOCAL jit = off")
            cursor.execute("SET LOCAL work_mem = '64MB'")
            cursor.execute("EXPLAIN (ANALYZE, TIMING OFF) " + statement, parameters)
            lines = [row[0] for row in cursor.fetchall()]
        return float(next(line for line in lines if line.startswith("Execution Time")).split()[2])


def timed(function, runs: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(runs):
        started = time.perf_counter()
        result = function()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times), result


def run(url: str, args) -> None:
    """The steps; each line: wall time (median of --runs where repeated), PostgreSQL's own, and for the
    files this process's CPU time, which the other sessions' load on the machine does not inflate."""
    from server import create_app
    from server.analytics import queries, service
    from server.analytics.exports import TEXT_COLUMNS
    from server.auth.access import Actor
    from server.csvout import csv_chunks
    from server.extensions import db
    from server.types import Role
    from server.xlsxout import write_xlsx

    app = create_app({"PROFILE": "development", "SQLALCHEMY_DATABASE_URI": url})
    admin = Actor(user_id=1, username="admin", role=Role.ADMIN, region_codes=(), device_id=None)
    with app.test_request_context():
        captured = Captured(db.engine)
        started = time.perf_counter()
        run_row = queries.compute_run(
            start=YEAR[0], end=YEAR[1], version=queries.current_version(), fingerprint=queries.data_fingerprint()
        )
        compute_ms = (time.perf_counter() - started) * 1000
        compute_pg = captured.pg_ms(db, lambda s: "INSERT INTO analytics_findings" in s)
        findings = db.session.execute(
            sa.text("SELECT count(*) FROM analytics_findings WHERE run_id = :id"), {"id": run_row.id}
        ).scalar_one()
        db.session.commit()
        print(f"compute (refresh job, 2026)     {compute_ms:8.0f} ms   PG {compute_pg:8.0f} ms   {findings} findings")

        for label, by in (("city summary", None), ("city summary by kelurahan", "kelurahan")):
            started = time.perf_counter()
            rows = queries.summary_rows(actor=admin, run_id=run_row.id, region=None, by=by, program=None, months=12)
            print(f"  (its SQL through SQLAlchemy: {(time.perf_counter() - started) * 1000:.0f} ms, {len(rows)} rows)")
            captured.clear()
            median, _summary = timed(lambda by=by: service.summary(admin, *YEAR, None, by), args.runs)
            pg = captured.pg_ms(db, lambda s: "analytics_cells" in s and "GROUPING SETS" in s)
            verdict = "OK" if median < 500 else "SLOW"
            print(f"{label:<31} {median:8.0f} ms   PG {pg:8.0f} ms   target < 500 ms: {verdict}")
            if by:
                import cProfile
                import pstats

                profile = cProfile.Profile()
                profile.runcall(service.summary, admin, *YEAR, None, by)
                pstats.Stats(profile).sort_stats("cumulative").print_stats(12)
        captured.clear()
        median, _figures = timed(lambda: service.kelurahan_figures(admin), args.runs)
        pg = captured.pg_ms(db, lambda s: "analytics_cells" in s and "GROUPING SETS" in s)
        verdict = "OK" if median < 500 else "SLOW"
        print(f"map's kelurahan figures         {median:8.0f} ms   PG {pg:8.0f} ms   target < 500 ms: {verdict}")
        db.session.commit()

        big = db.session.execute(
            sa.text("SELECT region_code FROM households GROUP BY 1 ORDER BY count(*) DESC LIMIT 1")
        ).scalar_one()
        kind = db.session.execute(
            sa.text(
                "SELECT kind FROM analytics_findings WHERE run_id = :id AND region_code = :code "
                "AND household_id IS NOT NULL GROUP BY 1 ORDER BY count(*) DESC LIMIT 1"
            ),
            {"id": run_row.id, "code": big},
        ).scalar_one()
        captured.clear()
        median, (_items, total) = timed(lambda: service.drilldown(admin, *YEAR, kind, region=big, limit=100), args.runs)
        pg = captured.pg_ms(db, lambda s: "chosen AS" in s)
        verdict = "OK" if median < 200 else "SLOW"
        print(
            f"drill-down {big} {kind:<12} {median:5.0f} ms   PG {pg:8.0f} ms   {total} households, "
            f"target < 200 ms: {verdict}"
        )
        db.session.commit()

        def household_xlsx() -> tuple[int, int]:
            _count, rows = service.household_list(admin, *YEAR, None)
            with tempfile.NamedTemporaryFile(suffix=".xlsx") as out:
                written = write_xlsx(
                    out.name, [("rumah_tangga", queries.HOUSEHOLD_LIST_COLUMNS, rows)], text_columns=TEXT_COLUMNS
                )
                return written, os.path.getsize(out.name)

        rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        started, cpu = time.perf_counter(), time.process_time()
        written, size = household_xlsx()
        xlsx_s, xlsx_cpu = time.perf_counter() - started, time.process_time() - cpu
        rss_growth = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss_before) / 1024
        pg = captured.pg_ms(db, lambda s: "LEFT JOIN found" in s)
        db.session.commit()
        tracemalloc.start()  # a second, untimed pass: tracing every allocation slows Python several times
        household_xlsx()
        _current, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        verdict = "OK" if xlsx_s < 10 else "SLOW"
        print(
            f"household XLSX                  {xlsx_s * 1000:8.0f} ms   PG {pg:8.0f} ms   {written} rows, "
            f"{size / 1e6:.1f} MB; Python heap peak {peak / 1e6:.1f} MB, peak RSS growth {rss_growth:.0f} MB; "
            f"target < 10 s: {verdict}; this process's CPU {xlsx_cpu:.1f} s"
        )
        db.session.commit()

        captured.clear()
        started, cpu = time.perf_counter(), time.process_time()
        with tempfile.TemporaryFile() as out:  # what GET /api/v1/analytics/visits/export streams
            total = service.copy_visits_csv(admin, None, None, out)
            size = out.tell()
        csv_s, csv_cpu = time.perf_counter() - started, time.process_time() - cpu
        copied = size
        started = time.perf_counter()
        size = sum(
            len(chunk)
            for chunk in csv_chunks(
                queries.VISIT_COLUMNS, queries.visit_rows(actor=admin, campaign_id=None, region=None), bom=True
            )
        )
        python_s = time.perf_counter() - started
        pg = captured.pg_ms(db, lambda s: "FROM visits v JOIN households" in s and "ORDER BY" in s)
        verdict = "OK" if csv_s < 2 else "SLOW"
        print(
            f"visits CSV (COPY)               {csv_s * 1000:8.0f} ms   PG {pg:8.0f} ms   {total} visits, "
            f"{copied / 1e6:.1f} MB; target < 2 s: {verdict}; this process's CPU {csv_cpu:.1f} s"
        )
        print(f"visits CSV (Python csv, before) {python_s * 1000:8.0f} ms   {size / 1e6:.1f} MB")
        db.session.rollback()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--households", type=int, default=42124)
    parser.add_argument("--visits-per-household", type=float, default=2.5)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with scratch_database(NAME) as url:
        stacking_trigger(url, enabled=False)
        seconds = load_demo(url, args.households)
        stacking_trigger(url, enabled=True)
        visits = plant_visits(url, args.visits_per_household)
        print(
            f"demo city: {args.households} households in {seconds:.0f} s; {visits} visits; "
            f"load {os.getloadavg()[0]:.1f}"
        )
        run(url, args)


if __name__ == "__main__":
    sys.exit(main())
