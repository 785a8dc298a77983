"""Staff workspace pages on the demo city: server time of every page and household list query (issue 15).

    DATABASE_URL="$(scripts/devdb.sh url)" .venv/bin/python bench/staff_pages.py [--visits 40000] [--runs 5]

Works on the database of DATABASE_URL as it is (a demo city from `make run` / `flask demo-data`); when it
holds fewer than --visits visits, synthetic visits are added first (recorded near the household's point,
outcomes, accuracies, review states and days spread like a field month; ~2 % far from the point), so the
figures are for the issue's "demo city with 40,000 visits". Pages are requested in-process through the
Flask test client as a logged-in admin and as a kecamatan supervisor; each figure is the median of --runs
(after one warm-up), measured around the request (the app's own time, no network).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

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
         WHERE location IS NOT NULL AND NOT EXISTS (SELECT 1 FROM visits v WHERE v.household_id = households.id)
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
    args = parser.parse_args()
    os.environ.setdefault("VERVAL_PROFILE", "development")
    from server import create_app
    from server.extensions import db
    from tests.staff.conftest import csrf_of

    app = create_app({"RATELIMIT_ENABLED": False})
    with app.app_context():
        print(f"visits: {add_visits(db.engine, args.visits)}")
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

    pages = PAGES
    for username in ("admin", "supervisor"):
        client = client_for(username)
        list_queries(app, username, args.runs)
        first = client.get("/staff/rumah-tangga?sort=name_desc").text
        cursor = first.split("cursor=")[1].split('"')[0] if "cursor=" in first else ""
        for name, url in pages:
            url = url.format(household=household, visit=visit, name_desc_cursor=cursor)
            client.get(url)
            times = []
            for _ in range(args.runs):
                start = time.perf_counter()
                answer = client.get(url)
                times.append((time.perf_counter() - start) * 1000)
                assert answer.status_code == 200, (url, answer.status_code)
            print(f"{username:10s} {name:40s} median {statistics.median(times):6.0f} ms  max {max(times):6.0f} ms")
        # The first (uncached) computation of the Beranda's figures and of the queue's facet counts, too.
        for name, url in (
            ("Beranda, figures computed", "/staff/beranda"),
            ("Review queue, counts computed", "/staff/tinjauan"),
        ):
            dashboard.forget()
            start = time.perf_counter()
            client.get(url)
            print(f"{username:10s} {name:40s}        {(time.perf_counter() - start) * 1000:6.0f} ms")


def list_queries(app, username: str, runs: int) -> None:
    """households.service.list_households (what the API and the page call) for each order, 50 rows."""
    from server.auth.access import Actor
    from server.auth.models import User
    from server.extensions import db
    from server.households import service
    from server.households.schemas import HouseholdListQuerySchema

    for query in LIST_QUERIES:
        with app.test_request_context():
            user = db.session.execute(sa.select(User).where(User.username == username)).scalar_one()
            actor = Actor(user.id, user.username, user.role, tuple(user.region_codes), None)
            params = HouseholdListQuerySchema().load(query)
            db.session.execute(sa.text("SET LOCAL jit = off"))
            service.list_households(actor, params)
            times = []
            for _ in range(runs):
                start = time.perf_counter()
                service.list_households(actor, params)
                times.append((time.perf_counter() - start) * 1000)
            db.session.rollback()
            label = "&".join(f"{k}={v}" for k, v in query.items()) or "(no filter)"
            median, top = statistics.median(times), max(times)
            print(f"{username:10s} list query {label:29s} median {median:6.0f} ms  max {top:6.0f} ms")


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
    ("Review queue (priority)", "/staff/tinjauan"),
    ("Review queue sort=name", "/staff/tinjauan?sort=name"),
    ("Review queue sort=region_desc", "/staff/tinjauan?sort=region_desc"),
    ("Review queue sort=date_asc", "/staff/tinjauan?sort=date_asc"),
    ("Visit review (with its map)", "/staff/tinjauan/kunjungan/{visit}"),
    ("Aid match proposals", "/staff/impor/usulan-bantuan"),
]
# The household list query alone (the service the API and the page share), per order: issue 15's 100 ms.
LIST_QUERIES = [{}, {"q": "Agus"}, {"has_stacking": "true"}] + [
    {"sort": sort} for sort in ("name", "name_desc", "decile", "decile_desc", "verification", "updated_desc")
]

if __name__ == "__main__":
    main()
