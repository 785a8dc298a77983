"""Where a push's time goes: batches of 100 visits (the shape `push_ingest.py` sends) through the Flask app
in-process (no socket, no gunicorn), CPU and wall time per batch, and a cProfile of the batches.

    DATABASE_URL=... .venv/bin/python bench/push_profile.py [--households 5000] [--batches 8] [--top 40]

Creates a scratch database `verval_bench_push_profile` (dropped at the end) with a small demo city, one
bench enumerator holding whole kelurahan, then posts the batches one after the other with the app's test
client and an enumerator's bearer token (the development profile, as gunicorn serves it). The first batch
warms caches and is left out of the figures. Prints per-batch CPU and wall time, the time PostgreSQL spent
(statement time as the driver saw it) and the CPU its backend spent (per batch and per statement, from
/proc/<pid>/task/*/schedstat: what a loaded machine distorts least), and the profile's top functions by
cumulative and internal time.
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import io
import pstats
import statistics
import time
from pathlib import Path

import sqlalchemy as sa
from harness import PASSWORD, load_demo, make_enumerators, scratch_database
from push_ingest import BATCH, _bodies

NAME = "verval_bench_push_profile"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--households", type=int, default=5000)
    parser.add_argument("--batches", type=int, default=12)
    parser.add_argument("--photos", type=int, default=2)
    parser.add_argument("--top", type=int, default=40)
    parser.add_argument("--plan", action="store_true", help="print the whole plan of the push's lookups")
    args = parser.parse_args()
    with scratch_database(NAME) as url:
        print(f"demo-data {args.households} households: {load_demo(url, args.households):.1f} s")
        [(username, ids)] = make_enumerators(url, [(args.batches + 1) * BATCH], "pushprofile")
        bodies = _bodies(url, ids[: (args.batches + 1) * BATCH], args.photos)
        cpu, wall, sql, pg, profile = _run(url, username, bodies, args.plan)
    print(
        f"batches of {BATCH} visits, {args.photos} photos declared each, first batch (warm-up) left out;"
        " the first half timed, the second half profiled"
    )
    print(
        f"per batch: CPU median {statistics.median(cpu):.1f} ms (min {min(cpu):.1f}), wall median "
        f"{statistics.median(wall):.1f} ms, SQL (driver-side) median {statistics.median(sql):.1f} ms, PostgreSQL CPU "
        f"median {statistics.median(pg):.1f} ms (its backends, commit included)"
    )
    out = io.StringIO()
    stats = pstats.Stats(profile, stream=out)
    stats.sort_stats("cumulative").print_stats("/server/", args.top)
    stats.sort_stats("tottime").print_stats(args.top)
    print(out.getvalue())


def _run(url: str, username: str, bodies: list[bytes], full_plan: bool):
    from server import create_app
    from server.extensions import db

    app = create_app({"PROFILE": "development", "SQLALCHEMY_DATABASE_URI": url, "RATELIMIT_ENABLED": False})
    spent = [0.0]
    by_statement: dict[str, float] = {}
    backend_cpu: dict[str, float] = {}  # statement → PostgreSQL CPU ms (its backends' schedstat)
    backends: list[int] = []
    statements: list[str] = []
    facts: list[str] = []
    with app.app_context():
        engine = db.engine

        @sa.event.listens_for(engine, "before_cursor_execute")
        def _before(conn, cursor, statement, parameters, context, executemany):
            conn.info["started"] = time.perf_counter()
            conn.info["backend_cpu"] = _run_time_ms(backends)

        @sa.event.listens_for(engine, "after_cursor_execute")
        def _after(conn, cursor, statement, parameters, context, executemany):
            took = time.perf_counter() - conn.info.pop("started")
            spent[0] += took
            key = " ".join(statement.split())[:90]
            statements.append(key)
            if context is not None and statement.startswith("EXECUTE push_facts"):
                facts[:] = [cursor.mogrify(statement, parameters).decode()]
            by_statement[key] = by_statement.get(key, 0.0) + took
            backend_cpu[key] = backend_cpu.get(key, 0.0) + _run_time_ms(backends) - conn.info.pop("backend_cpu")

    client = app.test_client()
    response = client.post(
        "/api/v1/auth/login", json={"username": username, "password": PASSWORD, "device_name": "profile"}
    )
    assert response.status_code == 200, response.get_json()
    headers = {
        "Authorization": f"Bearer {response.get_json()['data']['access_token']}",
        "Content-Type": "application/json",
    }
    with app.app_context():
        backends[:] = db.session.execute(
            sa.text("SELECT pid FROM pg_stat_activity WHERE datname = current_database()")
        ).scalars()
        db.session.rollback()
    profile = cProfile.Profile()
    cpu, wall, sql, pg = [], [], [], []
    per_batch: list[list[str]] = []
    for number, body in enumerate(bodies):
        spent[0] = 0.0
        statements.clear()
        began_cpu, began, began_pg = time.process_time(), time.perf_counter(), _run_time_ms(backends)
        profiled = number > len(bodies) // 2
        if profiled:
            profile.enable()
        response = client.post("/api/v1/sync/push", data=body, headers=headers)
        if profiled:
            profile.disable()
        elapsed_cpu, elapsed = time.process_time() - began_cpu, time.perf_counter() - began
        elapsed_pg = _run_time_ms(backends) - began_pg
        assert response.status_code == 200, response.get_json()
        statuses = {result["status"] for result in response.get_json()["data"]["results"]}
        assert statuses <= {"created", "accepted_with_conflict"}, statuses
        per_batch.append(list(statements))
        if number and not profiled:
            cpu.append(elapsed_cpu * 1000)
            wall.append(elapsed * 1000)
            sql.append(spent[0] * 1000)
            pg.append(elapsed_pg)
    with app.app_context():
        if facts:
            # The push's lookups of the last batch, run again (read only) as the server runs them: prepared.
            from server.visits.queries import _push_facts_sql

            connection = db.session.connection()
            connection.exec_driver_sql("PREPARE bench_facts AS " + _push_facts_sql())
            plan = connection.exec_driver_sql(
                "EXPLAIN (ANALYZE, SUMMARY) " + facts[0].replace("EXECUTE push_facts", "EXECUTE bench_facts", 1)
            ).scalars()
            print("EXPLAIN ANALYZE of the push's lookups (push_facts), last batch:")
            lines = list(plan)
            print("\n".join(lines if full_plan else [line for line in lines if line.startswith(("Planning", "Exec"))]))
            db.session.rollback()
        db.engine.dispose()
    trips = statistics.median(len(batch) for batch in per_batch[1:])
    print(f"statements per batch (median, BEGIN and COMMIT not counted): {trips:.0f}; the last batch's:")
    for key in per_batch[-1]:
        print(f"  {key}")
    print("by statement over all batches, ms: SQL time (driver-side) and PostgreSQL's CPU (its backend)")
    for key, took in sorted(by_statement.items(), key=lambda pair: -pair[1])[:25]:
        print(f"  {took * 1000:9.1f} {backend_cpu.get(key, 0.0):9.1f}  {key}")
    return cpu, wall, sql, pg, profile


def _run_time_ms(pids: list[int]) -> float:
    """CPU time so far of these processes (all their threads) in ms, from /proc/<pid>/task/*/schedstat
    (nanoseconds; /proc/<pid>/stat counts 10 ms ticks, too coarse for one statement)."""
    total = 0
    for pid in pids:
        for stat in Path(f"/proc/{pid}/task").glob("*/schedstat"):
            with contextlib.suppress(OSError, ValueError):
                total += int(stat.read_text().split()[0])
    return total / 1e6


if __name__ == "__main__":
    main()
