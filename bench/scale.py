"""Scale benchmark: the same key operations over the demo city at several sizes, side by side (42,124
households, Samarinda's registry, and 1,000,000, a province), so it shows how each cost grows with the data.

    DATABASE_URL=... .venv/bin/python bench/scale.py [--sizes 42124,1000000] [--runs 5] [--assigned 2000]

For each size, in a scratch database `verval_bench_scale` (dropped after each size):
- load: `flask demo-data --households N` in its own process, as an operator runs it (the demo generator's own
  code path: generate, COPY, users and campaign, the demo visits through the real push); then VACUUM ANALYZE,
  as autovacuum would have done before anyone uses it. Target for 1,000,000: under 10 minutes.
- then in-process through the Flask test client (routing, schemas, service, SQL, JSON, audit; no network), with
  a city-wide supervisor's and reviewer's token and a bench enumerator given `--assigned` households of one
  kecamatan (by id, through the campaigns service: the same number at every size), each operation `--runs`
  times (median; the first, cold, beside it):
  household list (first page of 50, city-wide; one kelurahan), household search (a name, an exact NIK), the
  enumerator's first pull (all pages of 1,000), a push of 100 visits (the `push_ingest.py` visit), the review
  queue's first page (50, priority order) and its facets.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

import sqlalchemy as sa
from harness import enumerators_holding, load_demo, scratch_database
from push_ingest import _bodies

NAME = "verval_bench_scale"
OPERATIONS = [
    "household list, city (50)",
    "household list, kelurahan (50)",
    "household search, name",
    "household search, NIK",
    "first pull (all pages)",
    "push 100 visits",
    "review queue page (50)",
    "review facets",
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="42124,1000000")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--assigned", type=int, default=2000)
    args = parser.parse_args()
    sizes = [int(size) for size in args.sizes.split(",")]
    table: dict[int, dict[str, tuple[float, float]]] = {}
    facts: dict[int, str] = {}
    for size in sizes:
        with scratch_database(NAME) as url:
            load_before = os.getloadavg()[0]
            began = time.perf_counter()
            demo = load_demo(url, size)
            loaded = time.perf_counter() - began
            facts[size] = _facts(url)
            print(
                f"{size} households: demo-data {demo:.1f} s, with VACUUM ANALYZE {loaded:.1f} s "
                f"(load average {load_before:.1f} → {os.getloadavg()[0]:.1f}); {facts[size]}",
                flush=True,
            )
            table[size] = {"load (demo-data)": (demo, demo), "load + VACUUM ANALYZE": (loaded, loaded)}
            table[size] |= _measure(url, args.runs, args.assigned)
            for operation in OPERATIONS:
                median, cold = table[size][operation]
                print(f"  {operation:<32} median {median * 1000:9.1f} ms   cold {cold * 1000:9.1f} ms", flush=True)
    _report(sizes, table)


def _facts(url: str) -> str:
    engine = sa.create_engine(url)
    with engine.connect() as connection:
        counts = connection.execute(
            sa.text(
                "SELECT (SELECT count(*) FROM members), (SELECT count(*) FROM aid_receipts),"
                " (SELECT count(*) FROM visits), pg_size_pretty(pg_database_size(current_database()))"
            )
        ).one()
    engine.dispose()
    return f"{counts[0]} members, {counts[1]} receipts, {counts[2]} visits, database {counts[3]}"


def _timed(function, runs: int) -> tuple[float, float]:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        function()
        times.append(time.perf_counter() - started)
    return statistics.median(times), times[0]


def _measure(url: str, runs: int, assigned: int) -> dict[str, tuple[float, float]]:
    from flask_jwt_extended import create_access_token

    from server import create_app
    from server.auth.models import User
    from server.extensions import db

    [(enumerator, household_ids)] = enumerators_holding(url, [assigned], "scalebench")
    bodies = iter(_bodies(url, household_ids[: 100 * runs], 2))
    app = create_app({"PROFILE": "development", "SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        users = {
            name: db.session.execute(sa.select(User.id).where(User.username == name)).scalar_one()
            for name in ("supervisor", "reviewer", enumerator)
        }
        probe = db.session.execute(
            sa.text(
                "SELECT m.nik, h.region_code FROM members m JOIN households h ON h.id = m.household_id"
                " WHERE m.nik IS NOT NULL ORDER BY m.id LIMIT 1"
            )
        ).one()
        with app.test_request_context():
            tokens = {name: create_access_token(identity=str(user_id)) for name, user_id in users.items()}
        db.session.remove()
    client = app.test_client()

    def get(who: str, path: str) -> dict:
        response = client.get(path, headers={"Authorization": f"Bearer {tokens[who]}"})
        assert response.status_code == 200, (path, response.status_code, response.get_data()[:300])
        return response.get_json()

    def pull() -> None:
        cursor = None
        while True:
            page = get(enumerator, "/api/v1/sync/pull?limit=1000" + (f"&cursor={cursor}" if cursor else ""))
            cursor = page["meta"]["next_cursor"]
            if not page["meta"]["has_more"]:
                return

    def push() -> None:
        response = client.post(
            "/api/v1/sync/push",
            data=next(bodies),
            headers={"Authorization": f"Bearer {tokens[enumerator]}", "Content-Type": "application/json"},
        )
        assert response.status_code == 200, response.get_data()[:300]
        statuses = {result["status"] for result in response.get_json()["data"]["results"]}
        assert statuses <= {"created", "accepted_with_conflict"}, statuses

    measured = {
        "household list, city (50)": lambda: get("supervisor", "/api/v1/households?limit=50"),
        "household list, kelurahan (50)": lambda: get("supervisor", f"/api/v1/households?limit=50&region={probe[1]}"),
        "household search, name": lambda: get("supervisor", "/api/v1/households?limit=50&q=Siti%20Rahma"),
        "household search, NIK": lambda: get("supervisor", f"/api/v1/households?limit=50&q={probe[0]}"),
        "first pull (all pages)": pull,
        "push 100 visits": push,
        "review queue page (50)": lambda: get("reviewer", "/api/v1/review/queue?limit=50"),
        "review facets": lambda: get("reviewer", "/api/v1/review/facets"),
    }
    results = {name: _timed(function, runs) for name, function in measured.items()}
    with app.app_context():
        db.engine.dispose()
    return results


def _report(sizes: list[int], table: dict[int, dict[str, tuple[float, float]]]) -> None:
    print()
    header = f"{'operation (median, seconds)':<34}" + "".join(f"{size:>14,}" for size in sizes)
    if len(sizes) > 1:
        header += f"{'growth':>10}"
    print(header)
    for operation in ["load (demo-data)", "load + VACUUM ANALYZE", *OPERATIONS]:
        values = [table[size][operation][0] for size in sizes]
        line = f"{operation:<34}" + "".join(f"{value:>14.3f}" for value in values)
        if len(sizes) > 1 and values[0] > 0:
            line += f"{values[-1] / values[0]:>9.1f}x"
        print(line)
    if len(sizes) > 1:
        print(f"data grew {sizes[-1] / sizes[0]:.1f}x")


if __name__ == "__main__":
    main()
