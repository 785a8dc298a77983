"""Staff workspace pages on the demo city: server time of every page and household list query (issue 15).

    DATABASE_URL="$(scripts/devdb.sh url)" .venv/bin/python bench/staff_pages.py [--visits 40000] [--runs 5]

Works on the database of DATABASE_URL as it is (a demo city from `make run` / `flask demo-data`); when it
holds fewer than --visits visits, synthetic visits are added first (unvisited households first, then second
visits; recorded near the household's point, outcomes, accuracies, review states and days spread like a field
month; ~2 % far from the point), so the figures are for the issue's "demo city with 40,000 visits". Pages
are requested in-process through the Flask test client as a logged-in admin and as the demo supervisor;
each figure is the median of --runs (after one warm-up), measured around the request (the app's own time,
no network).

CPU is this process's plus the database backends' (/proc), per request: on a machine shared with other
sessions the wall time stretches with the load, the CPU time much less.

    DATABASE_URL=… .venv/bin/python bench/staff_pages.py --before /path/to/old/checkout [--rounds 2]

compares two versions of the code in one run on the same database, alternating: the other checkout's
`server` package is imported instead of this one (`--code TREE`; the measuring stays this script's), and
the indexes this tree's migrations added since (NEW_INDEXES) are dropped for its rounds and made again after.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import sqlalchemy as sa

HERE = Path(__file__).resolve().parent
# The code under test: this checkout, or another one's (`--code TREE`, read before anything imports `server`).
CODE = Path(sys.argv[sys.argv.index("--code") + 1]).resolve() if "--code" in sys.argv else HERE.parent
sys.path.insert(0, str(HERE))
from harness import backend_pids, cpu_seconds, cpu_spent  # noqa: E402

sys.path.insert(0, str(CODE))  # after harness, which puts this checkout first

# Indexes of this tree's migrations that an older checkout measured with `--before` must not profit from.
NEW_INDEXES = {
    "ix_households_region_code_head_name": "CREATE INDEX ix_households_region_code_head_name"
    " ON households (region_code, head_name)",  # 0026, 0030
    "ix_visits_household_latest": "CREATE INDEX ix_visits_household_latest ON visits (household_id,"
    " device_time DESC) INCLUDE (outcome) WHERE review_status <> 'superseded'",  # 0029
    "ix_households_flags": "CREATE INDEX ix_households_flags ON households USING gin (flags jsonb_path_ops)",  # 0033
}

VISITS_SQL = """
INSERT INTO visits (id, household_id, campaign_id, enumerator_id, device_time, received_at, location,
                    location_accuracy_m, outcome, consent, answers, content_hash, flags, priority, review_status)
SELECT gen_random_uuid(), h.id, (SELECT min(id) FROM campaigns), e.id, t.at - interval '5 minutes', t.at,
       ST_SetSRID(ST_MakePoint(
           ST_X(h.location) + (random() - 0.5) * CASE WHEN random() < 0.02 THEN 0.02 ELSE 0.0004 END,
                               ST_Y(h.location) + (random() - 0.5) * 0.0004), 4326),
       5 + random() * 40,
       (ARRAY['found','found','found','found','found','found','found','not_found','moved_within','deceased',
              'duplicate'])[1 + floor(random() * 11)::int],
       true, '{}'::jsonb, md5(h.id::text), '[]'::jsonb, 0,
       (ARRAY['pending','pending','approved','approved','approved','rejected','revisit'])[1 + floor(random() * 7)::int]
  FROM (SELECT id, location, row_number() OVER (ORDER BY md5(id::text)) AS n FROM households
         WHERE location IS NOT NULL
         -- households not visited yet first; then second visits (the demo city leaves only unlocated ones)
         ORDER BY EXISTS (SELECT 1 FROM visits v WHERE v.household_id = households.id), md5(id::text)
         LIMIT :count) h
  CROSS JOIN LATERAL (SELECT now() - (random() * interval '30 days') AS at) t
  JOIN LATERAL (SELECT id FROM users WHERE role = 'enumerator' ORDER BY id OFFSET mod(h.n, greatest(1,
       (SELECT count(*) FROM users WHERE role = 'enumerator'))) LIMIT 1) e ON true
"""


def add_visits(engine, wanted: int) -> int:
    with engine.begin() as connection:
        have = connection.execute(sa.text("SELECT count(*) FROM visits")).scalar_one()
        if have < wanted:
            connection.execute(sa.text(VISITS_SQL), {"count": wanted - have})
            connection.execute(
                sa.text(
                    "UPDATE households h SET verification_status = CASE v.review_status WHEN 'pending' THEN 'visited'"
                    " ELSE v.review_status END FROM visits v WHERE v.household_id = h.id"
                    " AND h.verification_status = 'unverified'"
                )
            )
        connection.execute(sa.text("ANALYZE visits; ANALYZE households"))
        return connection.execute(sa.text("SELECT count(*) FROM visits")).scalar_one()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--visits", type=int, default=40_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--code", help="import the server from this checkout instead (see the docstring)")
    parser.add_argument("--before", help="compare with this (older) checkout in one run, alternating")
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    if args.before:
        compare(args)
        return
    os.environ.setdefault("VERVAL_PROFILE", "development")
    import server
    from server import create_app
    from server.extensions import db
    from tests.staff.conftest import csrf_of

    assert Path(server.__file__).resolve().is_relative_to(CODE), (server.__file__, CODE)

    url = os.environ["DATABASE_URL"]
    app = create_app({"RATELIMIT_ENABLED": False})
    with app.app_context():
        print(f"code: {CODE}  visits: {add_visits(db.engine, args.visits)}  load: {os.getloadavg()[0]:.1f}")
        household = db.session.execute(
            sa.text(
                "SELECT household_id FROM visits WHERE household_id IN (SELECT id FROM households"
                " WHERE region_code LIKE '64.72.01.%') LIMIT 1"
            )
        ).scalar_one()
        visit = db.session.execute(
            sa.text("SELECT v.id FROM visits v JOIN households h ON h.id = v.household_id"
                    " WHERE h.region_code LIKE '64.72.01.%' AND v.location IS NOT NULL LIMIT 1")
        ).scalar_one()  # fmt: skip
        # A member's NIK and a family card's number (exact searches), from the middle of the city.
        nik = db.session.execute(sa.text("SELECT nik FROM members WHERE nik IS NOT NULL OFFSET 70000 LIMIT 1"))
        kk = db.session.execute(
            sa.text("SELECT kk_number FROM households WHERE kk_number IS NOT NULL OFFSET 20000 LIMIT 1")
        )
        enumerator = db.session.execute(sa.text("SELECT min(id) FROM users WHERE role = 'enumerator'"))
        numbers = {"nik": nik.scalar_one(), "kk": kk.scalar_one(), "enumerator": enumerator.scalar_one()}
        db.session.remove()

    def client_for(username: str):
        client = app.test_client()
        token = csrf_of(client.get("/staff/masuk").text)
        answer = client.post(
            "/staff/masuk", data={"username": username, "password": "demo-verval", "csrf_token": token}
        )
        assert answer.status_code == 302, answer.text[:300]
        return client

    from server.staff import dashboard

    for username in ("admin", "supervisor"):
        client = client_for(username)
        list_queries(app, url, username, args.runs, numbers)
        first = client.get("/staff/rumah-tangga?sort=name_desc").text
        cursor = first.split("cursor=")[1].split('"')[0] if "cursor=" in first else ""
        for name, page in PAGES:
            page = page.format(household=household, visit=visit, name_desc_cursor=cursor, **numbers)
            client.get(page)

            def get(page=page, client=client):
                answer = client.get(page)
                assert answer.status_code == 200, (page, answer.status_code)

            report(username, name, *timed(url, get, args.runs))
        # The first (uncached) computation of the Beranda's figures and of the queue's facet counts, too.
        for name, page in (
            ("Beranda, figures computed", "/staff/beranda"),
            ("Review queue, counts computed", "/staff/tinjauan"),
        ):
            firsts = []
            for _ in range(args.runs):
                dashboard.forget()
                firsts.append(timed(url, lambda page=page, client=client: client.get(page), 1))
            walls, cpus = [f[0] for f in firsts], [f[2] for f in firsts]
            report(username, name, statistics.median(walls), max(walls), statistics.median(cpus))


def timed(url: str, call, runs: int) -> tuple[float, float, float]:
    """Median and max wall ms of `runs` calls, and CPU ms per call (this process + the database's backends)."""
    backends = cpu_seconds(backend_pids(url))
    mine = time.process_time()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        call()
        times.append((time.perf_counter() - start) * 1000)
    cpu = (time.process_time() - mine) + cpu_spent(backends, cpu_seconds(backend_pids(url)))
    return statistics.median(times), max(times), cpu * 1000 / runs


def report(username: str, name: str, median: float, top: float, cpu: float) -> None:
    print(f"{username:10s} {name:42s} median {median:6.0f} ms  max {top:6.0f} ms  CPU {cpu:5.0f} ms")
    line = {"user": username, "name": name, "median": median, "max": top, "cpu": cpu}
    print("RESULT " + json.dumps(line), flush=True)


def compare(args) -> None:
    """Alternate rounds of the other checkout (`--before`, without NEW_INDEXES) and this one on one database;
    medians across rounds side by side, with the machine's load."""
    url = os.environ["DATABASE_URL"]
    engine = sa.create_engine(url)
    results: dict[str, dict[tuple, list]] = {"before": {}, "after": {}}
    common = ["--visits", str(args.visits), "--runs", str(args.runs)]
    for round_ in range(args.rounds):
        for side in ("before", "after") if round_ % 2 == 0 else ("after", "before"):
            if side == "before":
                with engine.begin() as connection:
                    for name in NEW_INDEXES:
                        connection.execute(sa.text(f"DROP INDEX IF EXISTS {name}"))
            command = [sys.executable, __file__, *common] + (["--code", args.before] if side == "before" else [])
            load = os.getloadavg()[0]
            output = subprocess.run(command, capture_output=True, text=True, check=False)
            if side == "before":
                with engine.begin() as connection:
                    for create in NEW_INDEXES.values():
                        connection.execute(sa.text(create.replace("CREATE INDEX", "CREATE INDEX IF NOT EXISTS")))
            if output.returncode:
                sys.exit(output.stdout[-2000:] + output.stderr[-4000:])
            print(f"round {round_ + 1} {side:6s} load {load:.1f} -> {os.getloadavg()[0]:.1f}", flush=True)
            for line in output.stdout.splitlines():
                if line.startswith("RESULT "):
                    row = json.loads(line[7:])
                    results[side].setdefault((row["user"], row["name"]), []).append(row)
    engine.dispose()
    print(f"{'':10s} {'':42s} {'wall ms before':>15s} {'after':>7s} {'CPU ms before':>14s} {'after':>7s}")
    for key, rows in results["after"].items():
        old = results["before"].get(key, [])
        wall = [statistics.median(r["median"] for r in side) if side else float("nan") for side in (old, rows)]
        cpu = [statistics.median(r["cpu"] for r in side) if side else float("nan") for side in (old, rows)]
        print(f"{key[0]:10s} {key[1]:42s} {wall[0]:15.0f} {wall[1]:7.0f} {cpu[0]:14.0f} {cpu[1]:7.0f}")


def list_queries(app, url: str, username: str, runs: int, numbers: dict[str, str]) -> None:
    """households.service.list_households (what the API and the page call) for each query, 50 rows."""
    from marshmallow import ValidationError

    from server.auth.access import Actor
    from server.auth.models import User
    from server.extensions import db
    from server.households import service
    from server.households.schemas import HouseholdListQuerySchema

    for query in LIST_QUERIES:
        query = {key: value.format(**numbers) for key, value in query.items()}
        with app.test_request_context():
            user = db.session.execute(sa.select(User).where(User.username == username)).scalar_one()
            actor = Actor(user.id, user.username, user.role, tuple(user.region_codes), None)
            try:
                params = HouseholdListQuerySchema().load(query)
            except ValidationError:  # a filter the other checkout (`--code`) does not have yet
                continue
            db.session.execute(sa.text("SET LOCAL jit = off"))
            service.list_households(actor, params)
            median, top, cpu = timed(
                url, lambda params=params, actor=actor: service.list_households(actor, params), runs
            )
            db.session.rollback()
            label = "&".join(f"{k}={v}" for k, v in query.items()) or "(no filter)"
            label = label.replace(numbers["nik"], "NIK").replace(numbers["kk"], "No. KK")
            report(username, f"list query {label}", median, top, cpu)


PAGES = [
    ("Beranda (figures cached for a minute)", "/staff/beranda"),
    ("Beranda, one kecamatan", "/staff/beranda?kecamatan=64.72.01"),
    ("Households", "/staff/rumah-tangga"),
    ("Households q=Agus", "/staff/rumah-tangga?q=Agus"),
    ("Households has_stacking", "/staff/rumah-tangga?has_stacking=true"),
    ("Households has_no_aid", "/staff/rumah-tangga?has_no_aid=true"),
    ("Households program=PKH", "/staff/rumah-tangga?program=PKH"),
    ("Household detail", "/staff/rumah-tangga/{household}"),
    ("Households sort=name", "/staff/rumah-tangga?sort=name"),
    ("Households sort=name_desc, 2nd page", "/staff/rumah-tangga?sort=name_desc&cursor={name_desc_cursor}"),
    ("Households sort=decile_desc", "/staff/rumah-tangga?sort=decile_desc"),
    ("Households sort=verification", "/staff/rumah-tangga?sort=verification"),
    ("Households sort=updated_desc", "/staff/rumah-tangga?sort=updated_desc"),
    ("Households q=Agus sort=name", "/staff/rumah-tangga?q=Agus&sort=name"),
    ("Households q=NIK", "/staff/rumah-tangga?q={nik}"),
    ("Households q=No. KK", "/staff/rumah-tangga?q={kk}"),
    ("Review queue (priority)", "/staff/tinjauan"),
    ("Review queue sort=name", "/staff/tinjauan?sort=name"),
    ("Review queue sort=region_desc", "/staff/tinjauan?sort=region_desc"),
    ("Review queue sort=date_asc", "/staff/tinjauan?sort=date_asc"),
    ("Visit review (with its map)", "/staff/tinjauan/kunjungan/{visit}"),
    ("Aid match proposals", "/staff/impor/usulan-bantuan"),
]
# The household list query alone (the service the API and the page share), per order: issue 15's 100 ms.
LIST_QUERIES = [
    {},
    {"q": "Agus"},
    {"q": "{nik}"},
    {"q": "{kk}"},
    {"has_stacking": "true"},
    {"q": "Agus", "sort": "name"},
    {"assigned": "true"},
    {"assigned": "false"},
    {"enumerator_id": "{enumerator}"},
    {"region": "64.72.01.1001"},
    {"region": "64.72.10"},
    {"flag": "outside_kelurahan"},
    {"q": "Siti"},
] + [{"sort": sort} for sort in ("name", "name_desc", "decile", "decile_desc", "verification", "updated_desc")]

if __name__ == "__main__":
    main()
