"""Benchmark of the registry import: a generated city-sized registry (42,124 households, ~150,000 member rows).

    DATABASE_URL=... .venv/bin/python bench/import_registry.py [--households 42124] [--seed 1] [--keep FILE]

Creates a scratch database `verval_bench_import` on the same server (dropped at the end), migrates it,
loads the regions, writes the CSV, then times: a dry run, the first import, a re-import of the same file
(must change nothing) and an import with a few addresses changed. The target is under 60 s.
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import random
import sys
import time
from datetime import date, timedelta
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import make_url

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from server.imports.registry import REGISTRY_COLUMNS

FIRST = ["Budi", "Siti", "Ahmad", "Nur", "Rina", "Joko", "Sri", "Agus", "Dewi", "Hadi", "Wati", "Eko", "Yanti", "Rudi"]
LAST = ["Santoso", "Aminah", "Fauzi", "Rahmawati", "Pratama", "Hidayat", "Saputra", "Lestari", "Wijaya", "Kurniawan"]


def generate(households: int, seed: int, kelurahan: list[tuple[str, float, float]]) -> bytes:
    rng = random.Random(seed)
    used: set[str] = set()
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(REGISTRY_COLUMNS)

    def nik(born: date, female: bool) -> str:
        while True:
            day = born.day + (40 if female else 0)
            value = (
                f"6472{rng.randint(1, 10):02d}{day:02d}{born.month:02d}{born.year % 100:02d}{rng.randint(1, 9999):04d}"
            )
            if value not in used:
                used.add(value)
                return value

    for number in range(1, households + 1):
        code, lat, lon = kelurahan[number % len(kelurahan)]
        issued = date(2010, 1, 1) + timedelta(days=rng.randint(0, 5000))
        kk = f"{code[:2]}{code[3:5]}{code[6:8]}{issued:%d%m%y}{number % 9999 + 1:04d}"
        size = rng.choice([1, 2, 3, 3, 4, 4, 4, 5, 5, 6])
        head_female = rng.random() < 0.2
        head_born = date(1950, 1, 1) + timedelta(days=rng.randint(0, 15000))
        head = f"{rng.choice(FIRST)} {rng.choice(LAST)}"
        household = [
            f"DTKS-{number:06d}",
            kk,
            head,
            f"Jl. {rng.choice(LAST)} No. {rng.randint(1, 200)}",
            f"{rng.randint(1, 40):03d}",
            f"{rng.randint(1, 15):03d}",
            code,
            rng.randint(1, 10),
            f"{lat + rng.uniform(-0.02, 0.02):.6f}",
            f"{lon + rng.uniform(-0.02, 0.02):.6f}",
        ]
        writer.writerow(
            [*household, nik(head_born, head_female), head, 2 if head_female else 1, head_born, "Samarinda", 1]
        )
        for index in range(size - 1):
            female = rng.random() < 0.5
            born = date(1960, 1, 1) + timedelta(days=rng.randint(0, 22000))
            relationship = 2 if index == 0 else rng.choice([3, 3, 3, 4, 5, 6, 8])
            name = f"{rng.choice(FIRST)} {rng.choice(LAST)}"
            writer.writerow([*household, nik(born, female), name, 2 if female else 1, born, "Samarinda", relationship])
    return out.getvalue().encode()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--households", type=int, default=42124)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--keep", type=Path, help="also write the generated CSV here")
    args = parser.parse_args()

    server = make_url(os.environ["DATABASE_URL"])
    name = "verval_bench_import"
    admin = sa.create_engine(server.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = server.set(database=name).render_as_string(hide_password=False)
    try:
        run(url, args)
    finally:
        with admin.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def run(url: str, args) -> None:
    from flask_migrate import upgrade

    from server import create_app
    from server.extensions import db
    from server.imports.service import import_registry
    from server.regions import queries as region_queries
    from server.regions.service import load_regions

    app = create_app({"PROFILE": "test", "SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        upgrade()
        load_regions()
        db.session.commit()
        kelurahan = [
            (code, lat, lon) for code, _kecamatan, lat, lon in region_queries.kelurahan_with_kecamatan_centroids()
        ]
        started = time.perf_counter()
        data = generate(args.households, args.seed, kelurahan)
        rows = data.count(b"\n") - 1
        print(
            f"generated {args.households} households, {rows} member rows, {len(data) / 1e6:.1f} MB "
            f"in {time.perf_counter() - started:.1f} s"
        )
        if args.keep:
            args.keep.write_bytes(data)

        def timed(label: str, payload: bytes, dry_run: bool = False):
            started = time.perf_counter()
            imported = import_registry(payload, "bench.csv", actor=None, dry_run=dry_run)
            db.session.commit()
            elapsed = time.perf_counter() - started
            counts = {
                key: value
                for key, value in imported.counts.items()
                if key.startswith(("households_", "members_", "rows_acc", "rows_rej"))
            }
            print(f"{label:<22} {elapsed:6.1f} s  {counts}")
            return elapsed

        timed("dry run", data, dry_run=True)
        first = timed("first import", data)
        again = timed("re-import (no-op)", data)
        changed = data.decode().replace("Jl. Santoso No. 1,", "Jl. Santoso No. 1A,").encode()
        timed("re-import, some changed", changed)
        households = db.session.execute(sa.text("SELECT count(*), max(version) FROM households")).one()
        members = db.session.execute(sa.text("SELECT count(*) FROM members")).scalar_one()
        print(f"database: {households[0]} households (max version {households[1]}), {members} members")
        verdict = "OK" if max(first, again) < 60 else "TOO SLOW"
        print(f"target: first import and re-import under 60 s: {verdict}")
        db.session.remove()
        db.engine.dispose()


if __name__ == "__main__":
    main()
