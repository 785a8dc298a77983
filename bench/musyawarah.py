"""Benchmark of the musyawarah kelurahan (issue 19) on the demo city: one kelurahan's package (the rows built
from the change history, approved visits and aid analytics; the lists XLSX; the berita acara PDF) and the city
rekap (snapshot of every round, XLSX and PDF).

    DATABASE_URL=... .venv/bin/python bench/musyawarah.py [--households 42124] [--runs 3]

Creates a scratch database `verval_bench_musyawarah` (dropped at the end) holding the demo city; in the
biggest kelurahan every household without a decided visit gets one (mostly found, some deceased, not found,
moved), approved through the review's own decisions (so proposals and corrections are real); then, in-process
as an admin:

- package, first: the kelurahan's package with the aid analytics of the campaign's period computed first
  (cold; what the first package of a period pays once);
- package: the same again (median of `--runs`), split into rows, XLSX and PDF;
- rekap: every kelurahan's round opened and its rows built, then the city rekap (snapshot, XLSX, PDF),
  median of `--runs`.

Targets: one kelurahan's package < 3 s; the city rekap < 10 s.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
import uuid

import sqlalchemy as sa
from harness import load_demo, scratch_database

NAME = "verval_bench_musyawarah"


def timed(function, runs: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(runs):
        started = time.perf_counter()
        result = function()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times), result


def stacking_trigger(url: str, *, enabled: bool) -> None:
    """As bench/analytics.py: the demo's receipts are loaded without the per-statement stacking trigger."""
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


def run(url: str, args) -> None:
    from server import create_app
    from server.auth.access import Actor
    from server.extensions import db
    from server.musyawarah import berita, lists, queries, rekap, service
    from server.review.service import bulk_decide
    from server.types import ReviewVia, Role

    app = create_app({"PROFILE": "development", "SQLALCHEMY_DATABASE_URI": url})
    app.config["JOB_STORE"] = tempfile.mkdtemp(prefix="verval-bench-musyawarah-")
    app.config["JOBS_INLINE"] = False
    with app.test_request_context():
        admin_id = db.session.execute(sa.text("SELECT id FROM users WHERE role = 'admin' ORDER BY id LIMIT 1")).scalar()
        admin = Actor(user_id=admin_id or 1, username="admin", role=Role.ADMIN, region_codes=(), device_id=None)
        campaign_id = db.session.execute(sa.text("SELECT id FROM campaigns ORDER BY id LIMIT 1")).scalar_one()
        region, households = db.session.execute(
            sa.text(
                "SELECT region_code, count(*) FROM households WHERE registry_status = 'active'"
                " GROUP BY region_code ORDER BY count(*) DESC LIMIT 1"
            )
        ).one()
        enumerator = db.session.execute(sa.text("SELECT id FROM users WHERE role = 'enumerator' LIMIT 1")).scalar()
        planted = db.session.execute(
            sa.text(
                """
                INSERT INTO visits (id, household_id, campaign_id, enumerator_id, device_time, received_at,
                                    no_fix_reason, outcome, consent, answers, content_hash, review_status)
                SELECT gen_random_uuid(), h.id, :campaign, :enumerator, timestamptz '2026-06-01 09:00+08',
                       timestamptz '2026-06-01 10:00+08', 'bench',
                       (ARRAY['found', 'found', 'found', 'found', 'found', 'found', 'found', 'found', 'found',
                              'found', 'found', 'found', 'found', 'found', 'found', 'found', 'deceased',
                              'not_found', 'moved_outside', 'building_gone'])[1 + abs(hashtext(h.id::text)) % 20],
                       TRUE, '{"members": []}'::jsonb, md5(h.id::text), 'pending'
                  FROM households h
                 WHERE h.region_code = :region AND h.registry_status = 'active'
                   AND NOT EXISTS (SELECT 1 FROM visits v WHERE v.household_id = h.id
                                    AND v.review_status IN ('pending', 'approved', 'revisit'))
                RETURNING id
                """
            ),
            {"campaign": campaign_id, "enumerator": enumerator, "region": region},
        ).scalars()
        ids = list(planted)
        db.session.commit()
        started = time.perf_counter()
        bulk_decide(None, "approve", ids=ids, via=ReviewVia.POLICY)
        db.session.commit()
        print(
            f"kelurahan {region}: {households} active households, {len(ids)} visits approved in "
            f"{time.perf_counter() - started:.1f} s"
        )
        found = service.open_round(admin, campaign_id, region)
        db.session.commit()

        started = time.perf_counter()
        result = service.generate_package(admin, found.id, uuid.uuid4())
        db.session.commit()
        first_ms = (time.perf_counter() - started) * 1000
        print(f"package, first (aid analytics of the period computed): {first_ms:.0f} ms; rows {result['rows']}")

        def package():
            outcome = service.generate_package(admin, found.id, uuid.uuid4())
            db.session.commit()
            return outcome

        package_ms, result = timed(package, args.runs)
        items = queries.items_of(round_id=found.id)
        rows_ms, _ = timed(lambda: (service.build_items(found, admin), db.session.rollback()), args.runs)
        context = {
            "round": found,
            "kelurahan": "x",
            "kecamatan": "y",
            "campaign": "z",
            "generated_at": found.created_at,
        }
        with tempfile.TemporaryFile() as out:
            xlsx_ms, _ = timed(lambda: (out.seek(0), lists.write_lists(out, items, context)), args.runs)
            size = out.tell()
        counts = queries.counts_of(round_id=found.id)
        pdf_ms, pdf = timed(
            lambda: berita.berita_acara_pdf({**context, "counts": counts, "lists_name": "daftar.xlsx"}), args.runs
        )
        print(
            f"package: {package_ms:.0f} ms (median of {args.runs}) for {len(items)} rows — rows {rows_ms:.0f} ms,"
            f" XLSX {xlsx_ms:.0f} ms ({size / 1024:.0f} KiB), PDF {pdf_ms:.0f} ms ({len(pdf) / 1024:.0f} KiB);"
            f" target < 3000 ms"
        )

        codes = db.session.execute(
            sa.text("SELECT code FROM regions WHERE level = 'kelurahan' AND code LIKE '64.72.%' ORDER BY code")
        ).scalars()
        started = time.perf_counter()
        total_rows = 0
        for code in codes:
            other = service.open_round(admin, campaign_id, code)
            total_rows += sum(service.build_items(other, admin).values())
            other.state = "ready" if other.state == "open" else other.state
            db.session.commit()
        print(
            f"rounds opened and rows built for every kelurahan: {total_rows} rows in "
            f"{time.perf_counter() - started:.1f} s"
        )
        rekap_ms, outcome = timed(
            lambda: (rekap.generate_rekap(admin, campaign_id, "64.72", uuid.uuid4()), db.session.commit())[0],
            args.runs,
        )
        print(
            f"city rekap: {rekap_ms:.0f} ms (median of {args.runs}) for {len(outcome['snapshot']['rows'])} kelurahan;"
            f" target < 10000 ms"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--households", type=int, default=42124)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    if "DATABASE_URL" not in os.environ:
        sys.exit("DATABASE_URL is needed (the server to create the scratch database on)")
    with scratch_database(NAME) as url:
        stacking_trigger(url, enabled=False)
        print(f"demo city ({args.households} households) loaded in {load_demo(url, args.households):.0f} s")
        stacking_trigger(url, enabled=True)
        run(url, args)


if __name__ == "__main__":
    main()
