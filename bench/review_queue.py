"""Benchmark of review: a queue page (50 visits) and its facet counts over 100,000 visits, and a bulk
approval of 1,000 clean visits including the registry changes, each beside its PostgreSQL baseline.

    DATABASE_URL=... .venv/bin/python bench/review_queue.py [--households 42124] [--visits 100000] [--runs 7]
                                                            [--reuse URL]

Creates a scratch database `verval_bench_review` (dropped at the end) holding the demo city, adds
`--visits` visits by SQL (outcomes, flags, priorities, received times spread over 30 days), VACUUM ANALYZE,
then, in-process through the Flask test client with a city-wide reviewer's token (server time: routing,
schemas, service, SQL, JSON, audit row; no network):
- GET /api/v1/review/queue?limit=50 (priority order), its second page by cursor, and ?sort=date;
- GET /api/v1/review/facets (status pending);
- POST /api/v1/review/decisions {decision: approve, ids: 1,000 clean found visits} run through the service
  directly (the route sends sets over 200 to a job; the job runs the same service function), committed.
Baselines, same run, same connection pool: the queue's ORDER BY … LIMIT 50 as plain SQL, a GROUP BY count of
the same filter, and a set-based approval of 1,000 other visits (one UPDATE, one INSERT of review rows).
Targets: page < 100 ms, facets < 300 ms, bulk 1,000 < 3 s. Beside each wall time, the CPU time it cost (this
process + the database's PostgreSQL backends, `_cpu`): on a loaded machine the wall time is that
CPU time stretched by the wait for a core, so a quiet machine's wall time should come close to the CPU time.
"""

from __future__ import annotations

import argparse
import statistics
import time

import sqlalchemy as sa
from harness import backend_pids, cpu_seconds, cpu_spent, load_demo, scratch_database

NAME = "verval_bench_review"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--households", type=int, default=42124)
    parser.add_argument("--visits", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument(
        "--reuse", metavar="URL", help="measure on a database already holding the city and the visits (not dropped)"
    )
    args = parser.parse_args()
    if args.reuse:
        _measure(args.reuse, args.runs)
        return
    with scratch_database(NAME) as url:
        print(f"demo-data {args.households} households: {load_demo(url, args.households):.1f} s")
        started = time.perf_counter()
        _visits(url, args.visits)
        print(f"{args.visits} visits added and analysed: {time.perf_counter() - started:.1f} s")
        _measure(url, args.runs)


def _visits(url: str, count: int) -> None:
    engine = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        enumerator = connection.execute(
            sa.text("SELECT id FROM users ORDER BY role <> 'enumerator', id LIMIT 1")
        ).scalar()
        connection.execute(
            sa.text(
                """
                WITH hh AS (
                    SELECT id, version, location, row_number() OVER (ORDER BY id) - 1 AS rn FROM households
                     WHERE location IS NOT NULL
                ), total AS (SELECT count(*) AS size FROM hh)
                INSERT INTO visits (id, household_id, enumerator_id, base_version, device_time, received_at,
                                    location, location_accuracy_m, outcome, consent, answers, content_hash, flags,
                                    priority, review_status)
                SELECT gen_random_uuid(), h.id, :enumerator, h.version, now() - (n % 43200) * interval '1 minute',
                       now() - (n % 43200) * interval '1 minute', h.location, 10,
                       (ARRAY['found','found','found','found','found','found','not_found','moved_within',
                              'refused','deceased'])[1 + (n % 10)],
                       true,
                       '{"members": [], "house_condition": {"floor": "ceramic"}, "aid_reported": [],
                         "new_household": null}'::jsonb,
                       repeat('0', 64),
                       CASE WHEN n % 7 = 0 THEN '["far_from_registered"]'::jsonb
                            WHEN n % 11 = 0 THEN '["photos_missing", "clock_skew"]'::jsonb
                            ELSE '[]'::jsonb END,
                       (n % 13) * 5,
                       CASE WHEN n % 5 = 0 THEN 'approved' ELSE 'pending' END
                  FROM generate_series(1, :count) AS n CROSS JOIN total
                  JOIN hh h ON h.rn = (n::bigint * 7919) % total.size
                """
            ),
            {"enumerator": enumerator, "count": count},
        )
        connection.execute(sa.text("VACUUM ANALYZE visits"))
    engine.dispose()


def _cpu(url: str) -> tuple[float, dict[int, float]]:
    """A reading of the CPU seconds used so far by this process and by the database's backends."""
    backends = cpu_seconds(backend_pids(url))
    return time.process_time(), backends


def _cpu_since(url: str, before: tuple[float, dict[int, float]]) -> float:
    mine = time.process_time() - before[0]
    return mine + cpu_spent(before[1], cpu_seconds(backend_pids(url)))


def _timed(function, runs: int, url: str) -> tuple[float, float, float]:
    """Median and first wall time, and the mean CPU time (this process + the database's backends) of a run."""
    times, cpu = [], []
    for _ in range(runs):
        used = _cpu(url)
        started = time.perf_counter()
        function()
        times.append(time.perf_counter() - started)
        cpu.append(_cpu_since(url, used))
    return statistics.median(times), times[0], statistics.mean(cpu)


def _measure(url: str, runs: int) -> None:
    from flask_jwt_extended import create_access_token

    from server import create_app
    from server.auth.access import Actor
    from server.auth.models import User, UserScope
    from server.auth.passwords import hash_password
    from server.extensions import db
    from server.review import service
    from server.types import Role

    app = create_app({"PROFILE": "development", "SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        reviewer = db.session.execute(sa.select(User).where(User.username == "reviewbench")).scalar_one_or_none()
        if reviewer is None:  # --reuse: made by an earlier run
            reviewer = User(
                username="reviewbench", full_name="Bench", role="reviewer", password_hash=hash_password("x" * 12)
            )
            reviewer.scopes = [UserScope(region_code="64.72")]
            db.session.add(reviewer)
            db.session.commit()
        reviewer_id = reviewer.id
        with app.test_request_context():
            token = create_access_token(identity=str(reviewer_id))
    client = app.test_client()
    headers = {"Authorization": f"Bearer {token}"}

    def get(path: str) -> dict:
        response = client.get(path, headers=headers)
        assert response.status_code == 200, response.get_json()
        return response.get_json()

    first = get("/api/v1/review/queue?limit=50")
    cursor = first["meta"]["next_cursor"]
    rows = [
        ("queue page 1 (priority)", lambda: get("/api/v1/review/queue?limit=50")),
        ("queue page 2 (cursor)", lambda: get(f"/api/v1/review/queue?limit=50&cursor={cursor}")),
        ("queue by date", lambda: get("/api/v1/review/queue?limit=50&sort=date")),
        ("queue flag filter", lambda: get("/api/v1/review/queue?limit=50&flag=far_from_registered")),
        ("facets (pending)", lambda: get("/api/v1/review/facets")),
    ]
    engine = sa.create_engine(url)
    with engine.connect() as connection:
        total = connection.execute(sa.text("SELECT count(*) FROM visits")).scalar()
        pending = connection.execute(sa.text("SELECT count(*) FROM visits WHERE review_status = 'pending'")).scalar()
        print(f"visits: {total} ({pending} pending); reviewer scope 64.72 (the whole city)")
        base_page = (
            "SELECT v.id, v.priority, v.received_at, h.head_name"
            " FROM visits v JOIN households h ON h.id = v.household_id"
            " WHERE v.review_status = 'pending' AND (h.region_code = '64.72' OR h.region_code LIKE '64.72.%')"
            " ORDER BY v.priority DESC, v.received_at DESC, v.id DESC LIMIT 50"
        )
        base_facets = (
            "SELECT v.outcome, count(*) FROM visits v JOIN households h ON h.id = v.household_id"
            " WHERE v.review_status = 'pending' AND (h.region_code = '64.72' OR h.region_code LIKE '64.72.%')"
            " GROUP BY v.outcome"
        )
        baselines = {
            "queue page 1 (priority)": base_page,
            "facets (pending)": base_facets,
        }
        print(f"{'':28} {'median':>9} {'cold':>9} {'CPU':>9}   PostgreSQL baseline (median, CPU)")
        for label, function in rows:
            median, cold, cpu = _timed(function, runs, url)
            base = ""
            if label in baselines:
                sql = baselines[label]
                query = lambda sql=sql: connection.execute(sa.text(sql)).all()  # noqa: E731
                base_median, _, base_cpu = _timed(query, runs, url)
                base = f"   {base_median * 1000:7.1f} ms {base_cpu * 1000:7.1f} ms"
            print(f"{label:28} {median * 1000:7.1f} ms {cold * 1000:7.1f} ms {cpu * 1000:7.1f} ms{base}")

        ids = [
            row[0]
            for row in connection.execute(
                sa.text(
                    "SELECT id FROM visits WHERE review_status = 'pending' AND outcome = 'found' AND flags = '[]'"
                    " ORDER BY id LIMIT 2000"
                )
            )
        ]
    bulk_ids, base_ids = ids[:1000], ids[1000:2000]
    with app.app_context():
        actor = Actor(
            user_id=reviewer_id, username="reviewbench", role=Role.REVIEWER, region_codes=("64.72",), device_id=None
        )
        used = _cpu(url)
        started = time.perf_counter()
        result = service.bulk_decide(actor, "approve", ids=bulk_ids)
        db.session.commit()
        bulk, bulk_cpu = time.perf_counter() - started, _cpu_since(url, used)
        changes = db.session.execute(
            sa.text("SELECT count(*) FROM registry_changes WHERE source_kind = 'review'")
        ).scalar()
        db.session.remove()
    with engine.begin() as connection:
        used = _cpu(url)
        started = time.perf_counter()
        connection.execute(
            sa.text(
                "UPDATE visits SET review_status = 'approved', reviewed_by_id = :r, reviewed_at = now(),"
                " review_version = review_version + 1 WHERE id = ANY(:ids)"
            ),
            {"r": reviewer_id, "ids": base_ids},
        )
        connection.execute(
            sa.text(
                "INSERT INTO visit_reviews (visit_id, reviewer_id, decision, via)"
                " SELECT unnest(CAST(:ids AS uuid[])), :r, 'approve', 'bulk'"
            ),
            {"r": reviewer_id, "ids": base_ids},
        )
        connection.execute(
            sa.text(
                "UPDATE households SET verification_status = 'approved' WHERE id IN"
                " (SELECT household_id FROM visits WHERE id = ANY(:ids))"
            ),
            {"ids": base_ids},
        )
        base_bulk, base_cpu = time.perf_counter() - started, _cpu_since(url, used)
    engine.dispose()
    print(
        f"bulk approval of 1,000 clean visits: {bulk:.2f} s, CPU {bulk_cpu:.2f} s ({result['counts']}, {changes} "
        f"registry changes); PostgreSQL set-based baseline {base_bulk * 1000:.0f} ms, CPU {base_cpu * 1000:.0f} ms"
    )


if __name__ == "__main__":
    main()
