"""Benchmark of `flask demo-data`: the full demo city (42,124 households, ~150,000 members) into a fresh database.

    DATABASE_URL=... .venv/bin/python bench/demo_data.py [--households 42124] [--seed 1]

Creates a scratch database `verval_bench_demo` on the same server (dropped at the end), migrates it, then
times the real command in its own process (start-up, regions, catalogue, generation, COPY, users,
campaign, commit) and a second `--if-empty` run, which must do nothing. The target is under 60 s.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
NAME = "verval_bench_demo"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--households", type=int, default=42124)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    server = make_url(os.environ["DATABASE_URL"])
    admin = sa.create_engine(server.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{NAME}" WITH (FORCE)'))
        connection.execute(sa.text(f'CREATE DATABASE "{NAME}"'))
    url = server.set(database=NAME).render_as_string(hide_password=False)
    try:
        run(url, args)
    finally:
        with admin.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{NAME}" WITH (FORCE)'))
        admin.dispose()


def run(url: str, args) -> None:
    from flask_migrate import upgrade

    from server import create_app
    from server.extensions import db

    app = create_app({"PROFILE": "test", "SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        upgrade()
        db.session.remove()
        db.engine.dispose()

    command = [
        sys.executable,
        "-m",
        "flask",
        "demo-data",
        "--households",
        str(args.households),
        "--seed",
        str(args.seed),
    ]
    env = {**os.environ, "DATABASE_URL": url, "FLASK_APP": "server:create_app", "VERVAL_PROFILE": "development"}

    def timed(label: str, extra: list[str]) -> float:
        started = time.perf_counter()
        done = subprocess.run(command + extra, env=env, cwd=ROOT, capture_output=True, text=True, check=False)
        elapsed = time.perf_counter() - started
        if done.returncode:
            sys.exit(f"{label} failed: {done.stderr.strip() or done.stdout.strip()}")
        print(f"{label:<24} {elapsed:6.1f} s  {done.stdout.strip()}")
        return elapsed

    first = timed("demo-data (fresh db)", [])
    again = timed("demo-data --if-empty", ["--if-empty"])
    engine = sa.create_engine(url)
    with engine.connect() as connection:
        counts = {
            table: connection.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar_one()
            for table in ("households", "members", "aid_receipts", "users", "assignments")
        }
    engine.dispose()
    print("database: " + ", ".join(f"{count} {table}" for table, count in counts.items()))
    verdict = "OK" if first < 60 and counts["households"] == args.households else "TOO SLOW OR INCOMPLETE"
    print(f"target: {args.households} households under 60 s (process start to commit): {verdict}; no-op {again:.1f} s")


if __name__ == "__main__":
    main()
