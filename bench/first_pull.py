"""Benchmark of a phone's first sync: a full pull of 2,000 assigned households through HTTP, gzip accepted.

    DATABASE_URL=... .venv/bin/python bench/first_pull.py [--households 42124] [--assigned 2000] [--limit 1000]
                                                          [--runs 5]

Creates a scratch database `verval_bench_pull` (dropped at the end) holding the demo city, gives one new
enumerator exactly `--assigned` households through the campaigns service (by ids, from kelurahan nobody
holds), starts gunicorn (4 workers) and pulls GET /api/v1/sync/pull page by page (`--limit` per page,
following `next_cursor` while `has_more`) with `Accept-Encoding: gzip`, `--runs` times. Reported: the
server time of the whole pull (sum of gunicorn's per-request times, and the client's wall time), gzipped
bytes on the wire per household, and the same figures for the first, cold run.

Baseline, same run: the pull's own SQL (the changed-households page query and the household JSON query
of server/sync/queries.py) run directly on one connection for the same pages, and the size of its output
gzipped the same way. Targets: under 1 s and under 600 gzipped bytes per household.
"""

from __future__ import annotations

import argparse
import gzip
import json
import statistics
import time

import requests
import sqlalchemy as sa
from harness import access_log, gunicorn, load_demo, login, scratch_database

NAME = "verval_bench_pull"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--households", type=int, default=42124)
    parser.add_argument("--assigned", type=int, default=2000)
    parser.add_argument("--limit", type=int, default=1000, help="households per page (the server allows 1..1000)")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with scratch_database(NAME) as url:
        print(f"demo-data {args.households} households: {load_demo(url, args.households):.1f} s")
        user_id = _enumerator(url, args.assigned)
        with gunicorn(url, workers=4) as (base, log):
            session = login(base, "pullbench")
            runs = [_pull(base, session, args.limit, args.assigned) for _ in range(args.runs)]
            server = _server_times(log, len(runs))
        baseline = _baseline(url, user_id, args.limit, args.runs)
    n = args.assigned
    wall = [run[0] for run in runs]
    wire = runs[0][1]
    print(f"first pull of {n} households, pages of {args.limit} ({runs[0][2]} requests), gzip:")
    print(
        f"  HTTP   server {statistics.median(server) * 1000:6.0f} ms (cold {server[0] * 1000:.0f} ms), "
        f"client wall {statistics.median(wall) * 1000:.0f} ms; {wire / n:.0f} gzipped bytes/household "
        f"({wire / 1024:.0f} KiB)"
    )
    sql_time, sql_bytes, raw_bytes = baseline
    print(
        f"  SQL    {sql_time * 1000:6.0f} ms (median of {args.runs}); its JSON {raw_bytes / n:.0f} bytes/household, "
        f"{sql_bytes / n:.0f} gzipped"
    )
    print(f"  ratio  HTTP server time / SQL: {statistics.median(server) / sql_time:.1f}")
    fast = statistics.median(server) < 1.0
    small = wire / n < 600
    print(f"target < 1 s and < 600 B/household: {'OK' if fast and small else 'MISSED'}")


def _enumerator(url: str, assigned: int) -> int:
    """A new enumerator holding exactly `assigned` households, given by id through the campaigns service."""
    from server import create_app
    from server.auth.access import Actor
    from server.auth.models import User, UserScope
    from server.auth.passwords import hash_password
    from server.campaigns import service
    from server.extensions import db
    from server.types import Role

    app = create_app({"PROFILE": "development", "SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        supervisor = db.session.execute(sa.select(User).where(User.username == "supervisor")).scalar_one()
        actor = Actor(supervisor.id, supervisor.username, Role.SUPERVISOR, tuple(supervisor.region_codes), None)
        campaign_id = db.session.execute(sa.text("SELECT id FROM campaigns WHERE active ORDER BY id LIMIT 1")).scalar()
        rows = db.session.execute(
            sa.text(
                """
                SELECT h.id, h.region_code FROM households h
                 WHERE NOT EXISTS (SELECT 1 FROM assignments a WHERE a.household_id = h.id)
                   AND h.registry_status NOT IN ('merged', 'removed')
                 ORDER BY h.region_code, h.rw, h.rt, h.id LIMIT :n
                """
            ),
            {"n": assigned},
        ).all()
        user = User(username="pullbench", full_name="Bench pull", role=Role.ENUMERATOR)
        user.password_hash = hash_password("demo-verval")
        user.scopes = [UserScope(region_code=code) for code in sorted({row.region_code for row in rows})]
        db.session.add(user)
        db.session.flush()
        service.assign(campaign_id, {"enumerator_id": user.id, "household_ids": [row.id for row in rows]}, actor)
        db.session.commit()
        user_id = user.id
        db.session.remove()
        db.engine.dispose()
    return user_id


def _pull(base: str, session: requests.Session, limit: int, expected: int) -> tuple[float, int, int]:
    """One full pull: (client wall time, gzipped bytes received, requests)."""
    cursor, received, households, requests_made = None, 0, 0, 0
    started = time.perf_counter()
    while True:
        params = {"limit": limit} | ({"cursor": cursor} if cursor else {})
        response = session.get(
            f"{base}/api/v1/sync/pull", params=params, headers={"Accept-Encoding": "gzip"}, stream=True, timeout=120
        )
        body = response.raw.read()  # the bytes as they crossed the wire
        requests_made += 1
        if response.status_code != 200 or response.headers.get("Content-Encoding") != "gzip":
            raise SystemExit(f"pull answered {response.status_code} {response.headers.get('Content-Encoding')}")
        received += len(body)
        page = json.loads(gzip.decompress(body))
        households += len(page["data"]["households"])
        cursor = page["meta"]["next_cursor"]
        if not page["meta"]["has_more"]:
            break
    elapsed = time.perf_counter() - started
    if households != expected:
        raise SystemExit(f"pulled {households} households, {expected} assigned")
    return elapsed, received, requests_made


def _server_times(log, runs: int) -> list[float]:
    """Server time of each whole pull (its pages' times summed), from gunicorn's access log."""
    pages = [micros / 1e6 for _status, _size, micros in access_log(log, "/api/v1/sync/pull")]
    per_run = len(pages) // runs
    return [sum(pages[index * per_run : (index + 1) * per_run]) for index in range(runs)]


def _baseline(url: str, user_id: int, limit: int, runs: int) -> tuple[float, int, int]:
    """The pull's SQL for the same pages on one connection: (median time, gzipped bytes, raw JSON bytes)."""
    from server.sync.queries import CHANGED_HOUSEHOLDS, HOUSEHOLD_JSON

    events = sa.text(
        f"SELECT household_id, seq FROM ({CHANGED_HOUSEHOLDS}) changed WHERE seq > :pos "
        "ORDER BY seq, household_id LIMIT :limit"
    )
    engine = sa.create_engine(url)
    times, output = [], b""
    with engine.connect() as connection:
        for _ in range(runs):
            started = time.perf_counter()
            pos, pages = 0, []
            while True:
                rows = connection.execute(
                    events, {"user_id": user_id, "seq": 0, "xmin": 0, "pos": pos, "limit": limit + 1}
                ).all()
                page = rows[:limit]
                ids = [row.household_id for row in page]
                pages.append(connection.execute(sa.text(HOUSEHOLD_JSON), {"ids": ids}).scalars().all())
                if len(rows) <= limit:
                    break
                pos = page[-1].seq
            times.append(time.perf_counter() - started)
            output = b"".join(("[" + ",".join(page) + "]").encode() for page in pages)
    engine.dispose()
    squeezed = sum(len(gzip.compress(("[" + ",".join(page) + "]").encode(), 6)) for page in pages)
    return statistics.median(times), squeezed, len(output)


if __name__ == "__main__":
    main()
