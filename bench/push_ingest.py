"""Benchmark of the sync push: visits/s through the full HTTP path beside PostgreSQL's own insert rate.

    DATABASE_URL=... .venv/bin/python bench/push_ingest.py [--households 42124] [--clients 4] [--batches 20]
                                                           [--photos 2] [--before TREE [--rounds 2]]

Creates a scratch database `verval_bench_push` (dropped at the end) holding the demo city, gives each
client its own enumerator with whole kelurahan assigned through the campaigns service, starts gunicorn
with 4 workers on a free port, and lets `--clients` threads (one login/device each) post `--batches`
batches of 100 first visits each to POST /api/v1/sync/push: every member marked present, house
condition, aid reported, `--photos` photo declarations per visit, GPS. Bodies are serialised before the
clock starts, so the clients measure the server. Every result must be `created` and the database must
hold exactly the visits sent.

Baseline, same run: after every round, the visit rows it stored are read back and inserted into
`bench_visits_copy` (LIKE visits INCLUDING ALL: the same columns, defaults, checks and indexes, GiST
included) with psycopg2.extras.execute_values in batches of 100, one commit per batch, first from one
connection, then from `--clients` connections at once; its rates are all rounds' rows over their summed
time, so the baseline meets the machine load the pushes met. Target: push at least 1,000 visits/s.

`--before TREE` compares two versions of the code in one run, on one database and one machine load: TREE is
another checkout (`git worktree add /tmp/before <commit>`; same migrations), served by its own gunicorn.
`--rounds` rounds alternate before/after, each pushing `--batches` batches per client on households not yet
visited; each side's rate is its visits over its summed push time.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import random
import statistics
import threading
import time
import uuid
from pathlib import Path

import psycopg2
import psycopg2.extras
import sqlalchemy as sa
from harness import (
    ROOT,
    access_log,
    backend_pids,
    cpu_seconds,
    cpu_spent,
    gunicorn,
    load_demo,
    login,
    make_enumerators,
    scratch_database,
    server_pids,
)
from sqlalchemy.engine import make_url

BATCH = 100
NAME = "verval_bench_push"
PREFIX = "pushbench"
# The bench's own visits (the demo city holds the demo enumerators' visits too).
BENCH_VISITS = f"visits v JOIN users u ON u.id = v.enumerator_id AND u.username LIKE '{PREFIX}%'"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--households", type=int, default=42124)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--batches", type=int, default=20, help="batches of 100 visits per client")
    parser.add_argument("--photos", type=int, default=2, help="photo declarations per visit")
    parser.add_argument("--before", type=Path, help="another checkout to compare with, in the same run")
    parser.add_argument("--rounds", type=int, default=2, help="with --before: rounds of before/after")
    args = parser.parse_args()
    with scratch_database(NAME) as url:
        print(f"demo-data {args.households} households: {load_demo(url, args.households):.1f} s")
        per_client = args.batches * BATCH
        rounds = [(round_, side) for round_ in range(args.rounds) for side in ("before", "after")]
        if not args.before:
            rounds = [(0, "after")]
        enumerators = make_enumerators(url, [per_client * len(rounds)] * args.clients, PREFIX)
        spent: dict[str, float] = {}
        cpu: dict[str, list[float]] = {}  # side → [server CPU s, PostgreSQL CPU s]
        baseline = Baseline()
        for number, (round_, side) in enumerate(rounds):
            part = slice(number * per_client, (number + 1) * per_client)
            bodies = {username: _bodies(url, ids[part], args.photos) for username, ids in enumerators}
            root = args.before.resolve() if side == "before" else ROOT
            with gunicorn(url, workers=4, root=root) as (base, log):
                sessions = {username: login(base, username) for username in bodies}
                workers = server_pids(base)
                python_before, pg_before = cpu_seconds(workers), cpu_seconds(backend_pids(url))
                elapsed, latencies = _push_all(base, sessions, bodies)
                python_cpu = cpu_spent(python_before, cpu_seconds(workers))
                pg_cpu = cpu_spent(pg_before, cpu_seconds(backend_pids(url)))
                # The per-batch figures printed below are the last round's (an "after" one).
                server_ms = [micros / 1000 for status, _size, micros in access_log(log, "/api/v1/sync/push")]
            spent[side] = spent.get(side, 0.0) + elapsed
            cpu[side] = [sum(pair) for pair in zip(cpu.get(side, (0.0, 0.0)), (python_cpu, pg_cpu), strict=True)]
            if args.before:
                rate = per_client * args.clients / elapsed
                per_batch = [1000 * used / (args.batches * args.clients) for used in (python_cpu, pg_cpu)]
                print(
                    f"round {round_ + 1} {side:6}: {rate:6.0f} visits/s ({elapsed:.2f} s); CPU per batch of {BATCH}: "
                    f"server {per_batch[0]:.0f} ms, PostgreSQL {per_batch[1]:.0f} ms"
                )
            # PostgreSQL's own insert of this round's rows right after it, at the same machine load.
            baseline.add(*_baseline(url, args.clients, [key for _, ids in enumerators for key in ids[part]]))
        total = per_client * args.clients * len(rounds)
        stored = _count_visits(url)
        if stored != total:
            raise SystemExit(f"stored {stored} visits, sent {total}")
        per_side = total // 2 if args.before else total
        http_rate = per_side / spent["after"]
        before_rate = per_side / spent["before"] if args.before else None
        flags = _flag_counts(url)
        one, many, (client_cpu, backend_cpu) = baseline.rates()
    # CPU per 100 visits, the figure a loaded machine does not distort: all of it (server + PostgreSQL) against
    # the baseline's (client + PostgreSQL) is the throughput ratio a machine with its cores to itself would show.
    baseline_ms = [1000 * BATCH * used for used in (client_cpu, backend_cpu)]
    print(
        f"CPU per {BATCH} rows, PostgreSQL execute_values (1 conn): client {baseline_ms[0]:.0f} ms, "
        f"PostgreSQL {baseline_ms[1]:.0f} ms, total {sum(baseline_ms):.0f} ms"
    )
    for side, (python_cpu, pg_cpu) in cpu.items():
        per_100 = [1000 * BATCH * used / per_side for used in (python_cpu, pg_cpu)]
        print(
            f"CPU per {BATCH} visits pushed, {side}: server {per_100[0]:.0f} ms, PostgreSQL {per_100[1]:.0f} ms, "
            f"total {sum(per_100):.0f} ms: CPU ratio to PostgreSQL {sum(baseline_ms) / sum(per_100):.2f}"
        )
    if before_rate is not None:
        print(
            f"before ({args.before}): {before_rate:8.0f} visits/s  ratio HTTP/PG {before_rate / one:.2f} (1 conn), "
            f"{before_rate / many:.2f} ({args.clients} conn)"
        )
    print(f"visits: {total} in batches of {BATCH} from {args.clients} clients, {args.photos} photos declared each")
    print(
        f"HTTP push (gunicorn 4 workers):   {http_rate:8.0f} visits/s  ({spent['after']:.2f} s; per batch: client "
        f"median {statistics.median(latencies) * 1000:.0f} ms, p95 {_p95(latencies) * 1000:.0f} ms; "
        f"server median {statistics.median(server_ms):.0f} ms)"
    )
    print(f"PostgreSQL execute_values, 1 conn: {one:8.0f} rows/s   ratio HTTP/PG {http_rate / one:.2f}")
    print(f"PostgreSQL execute_values, {args.clients} conn: {many:8.0f} rows/s   ratio HTTP/PG {http_rate / many:.2f}")
    print("flags raised: " + (", ".join(f"{code} {count}" for code, count in flags) or "none"))
    print(f"target >= 1000 visits/s: {'OK' if http_rate >= 1000 else 'BELOW TARGET'}")


def _bodies(url: str, household_ids: list[str], photos: int) -> list[bytes]:
    """The JSON bodies of one client's batches, built and serialised before timing."""
    rng = random.Random(household_ids[0])
    engine = sa.create_engine(url)
    with engine.connect() as connection:
        rows = connection.execute(
            sa.text(
                """
                SELECT h.id::text, h.version, coalesce(ST_X(h.location), 117.15) AS lon,
                       coalesce(ST_Y(h.location), -0.5) AS lat,
                       coalesce(array_agg(m.id::text) FILTER (WHERE m.id IS NOT NULL), '{}') AS members
                  FROM households h LEFT JOIN members m ON m.household_id = h.id
                 WHERE h.id = ANY(CAST(:ids AS uuid[])) GROUP BY h.id
                """
            ),
            {"ids": household_ids},
        ).all()
    engine.dispose()
    items = [
        {
            "id": str(uuid.uuid4()),
            "household_id": row.id,
            "base_version": row.version,
            "device_time": "2026-11-28T09:12:00+08:00",
            "gps": {
                "lon": round(row.lon + rng.uniform(-1e-4, 1e-4), 6),
                "lat": round(row.lat + rng.uniform(-1e-4, 1e-4), 6),
                "accuracy_m": round(rng.uniform(4, 30), 1),
                "fixed_at": "2026-11-28T09:11:40+08:00",
            },
            "outcome": "found",
            "consent": True,
            "members": [{"member_id": member, "presence": "present"} for member in row.members],
            "house_condition": {"floor": "cement", "wall": "wood", "lighting": "pln_900", "floor_area": 36},
            "aid_reported": ["PKH", "BPNT"],
            "notes": "Rumah panggung, akses gang sempit",
            "photos": [
                {"id": str(uuid.uuid4()), "kind": kind, "sha256": rng.randbytes(32).hex()}
                for kind in ["house_front", "kitchen", "living_room", "bathroom"][:photos]
            ],
        }
        for row in rows
    ]
    return [
        json.dumps({"items": items[start : start + BATCH], "sent_at": "2026-11-28T10:00:00+08:00"}).encode()
        for start in range(0, len(items), BATCH)
    ]


def _push_all(base: str, sessions: dict, bodies: dict[str, list[bytes]]) -> tuple[float, list[float]]:
    """All clients at once, each posting its batches one after the other; (wall time, per-batch latencies)."""
    start = threading.Barrier(len(sessions) + 1)
    latencies: list[float] = []
    failures: list[str] = []

    def client(username: str) -> None:
        session = sessions[username]
        start.wait()
        for body in bodies[username]:
            sent = time.perf_counter()
            response = session.post(
                f"{base}/api/v1/sync/push", data=body, headers={"Content-Type": "application/json"}, timeout=120
            )
            latencies.append(time.perf_counter() - sent)
            if response.status_code != 200:
                failures.append(f"{response.status_code} {response.text[:300]}")
                return
            statuses = {result["status"] for result in response.json()["data"]["results"]}
            if statuses != {"created"}:
                failures.append(f"unexpected statuses {statuses}: {response.text[:300]}")
                return

    threads = [threading.Thread(target=client, args=(username,)) for username in sessions]
    for thread in threads:
        thread.start()
    start.wait()
    began = time.perf_counter()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - began
    if failures:
        raise SystemExit(f"push failed: {failures[0]}")
    return elapsed, latencies


def _count_visits(url: str) -> int:
    engine = sa.create_engine(url)
    with engine.connect() as connection:
        count = connection.execute(sa.text(f"SELECT count(*) FROM {BENCH_VISITS}")).scalar_one()
    engine.dispose()
    return count


def _flag_counts(url: str) -> list[tuple[str, int]]:
    engine = sa.create_engine(url)
    with engine.connect() as connection:
        rows = connection.execute(
            sa.text(
                f"SELECT f, count(*) FROM {BENCH_VISITS} CROSS JOIN LATERAL jsonb_array_elements_text(v.flags) f "
                "GROUP BY f ORDER BY count(*) DESC, f"
            )
        ).all()
    engine.dispose()
    return [(row[0], row[1]) for row in rows]


class Baseline:
    """PostgreSQL's insert rates measured after every round (on that round's rows), added up: rows over the
    summed time, so the baseline shares the push rounds' machine load instead of the minute after them."""

    def __init__(self) -> None:
        self.rows, self.one_s, self.many_s, self.client_cpu, self.backend_cpu = 0, 0.0, 0.0, 0.0, 0.0

    def add(self, rows: int, one: float, many: float, cpu: tuple[float, float]) -> None:
        self.rows += rows
        self.one_s += rows / one
        self.many_s += rows / many
        self.client_cpu += cpu[0] * rows
        self.backend_cpu += cpu[1] * rows

    def rates(self) -> tuple[float, float, tuple[float, float]]:
        per_row = (self.client_cpu / self.rows, self.backend_cpu / self.rows)
        return self.rows / self.one_s, self.rows / self.many_s, per_row


def _baseline(url: str, connections: int, household_ids: list[str]) -> tuple[int, float, float, tuple[float, float]]:
    """Inserting the bench's stored visits of these households into a copy table in batches of 100 (1, then N
    connections): (rows, rows/s on 1, rows/s on N, CPU seconds per row of the 1-connection run: this client
    and its PostgreSQL backend)."""
    dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    with contextlib.closing(psycopg2.connect(dsn)) as setup, setup, setup.cursor() as cursor:
        cursor.execute("CREATE TABLE IF NOT EXISTS bench_visits_copy (LIKE visits INCLUDING ALL)")
        cursor.execute(
            f"SELECT v.* FROM {BENCH_VISITS.replace('%', '%%')} WHERE v.household_id = ANY(CAST(%s AS uuid[]))"
            " ORDER BY v.received_at, v.id",
            (household_ids,),
        )
        columns = [column.name for column in cursor.description]
        rows = [
            tuple(psycopg2.extras.Json(value) if isinstance(value, dict | list) else value for value in row)
            for row in cursor.fetchall()
        ]
    sql = f"INSERT INTO bench_visits_copy ({', '.join(columns)}) VALUES %s"

    backend_cpu: list[float] = []

    def insert(part: list[tuple]) -> None:
        with contextlib.closing(psycopg2.connect(dsn)) as connection, connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            [(pid,)] = cursor.fetchall()
            for start in range(0, len(part), BATCH):
                psycopg2.extras.execute_values(cursor, sql, part[start : start + BATCH], page_size=BATCH)
                connection.commit()
            backend_cpu.append(sum(cpu_seconds([pid]).values()))

    def timed(parts: list[list[tuple]]) -> tuple[float, float, float]:
        with contextlib.closing(psycopg2.connect(dsn)) as connection, connection, connection.cursor() as cursor:
            cursor.execute("TRUNCATE bench_visits_copy")
        threads = [threading.Thread(target=insert, args=(part,)) for part in parts]
        backend_cpu.clear()
        began, began_cpu = time.perf_counter(), time.process_time()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        client_cpu = time.process_time() - began_cpu
        return len(rows) / (time.perf_counter() - began), client_cpu / len(rows), sum(backend_cpu) / len(rows)

    one, client, server = timed([rows])
    many, _, _ = timed([rows[index::connections] for index in range(connections)])
    return len(rows), one, many, (client, server)


def _p95(values: list[float]) -> float:
    return sorted(values)[int(len(values) * 0.95) - 1]


if __name__ == "__main__":
    main()
