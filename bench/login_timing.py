"""Login refusal timing through gunicorn: an unknown username against a real one with a wrong password.

Before issue 20 the unknown user was answered without argon2 (8 ms against 188 ms: which usernames exist
showed in the timing). Now both run one argon2 verification. Prints the median and p90 of each, measured
alternately in the same run (rate limits raised for the run only).

    DATABASE_URL=$(scripts/devdb.sh url) .venv/bin/python bench/login_timing.py [--rounds 40]
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

import requests
from harness import PASSWORD, gunicorn, scratch_database


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=40)
    rounds = parser.parse_args().rounds
    with scratch_database(f"verval_bench_login_{os.getpid()}") as url:
        _make_user(url)
        limits = {
            "LOGIN_LIMIT_PER_ADDRESS": "100000 per minute",
            "LOGIN_FAILURES_PER_ADDRESS": "100000 per minute",
            "LOGIN_LIMIT_PER_ACCOUNT": "100000 per minute",
        }
        with gunicorn(url, workers=1, **limits) as (base, _):
            times: dict[str, list[float]] = {"unknown user": [], "wrong password": []}
            for number in range(rounds + 3):
                for label, username in (("unknown user", f"tidak-ada-{number}"), ("wrong password", "pengukur")):
                    started = time.perf_counter()
                    response = requests.post(
                        f"{base}/api/v1/auth/login",
                        json={"username": username, "password": "salah-salah-1", "device_name": "bench"},
                        timeout=30,
                    )
                    elapsed = time.perf_counter() - started
                    assert response.status_code == 401, response.text
                    if number >= 3:  # warm-up
                        times[label].append(elapsed * 1000)
    load = os.getloadavg()[0]
    print(f"login refusals through gunicorn (1 worker), {rounds} each, alternating; load average {load:.1f}")
    for label, values in times.items():
        values.sort()
        p90 = values[int(len(values) * 0.9) - 1]
        print(f"  {label:15} median {statistics.median(values):6.1f} ms   p90 {p90:6.1f} ms")


def _make_user(url: str) -> None:
    from server import create_app
    from server.auth.models import User
    from server.auth.passwords import hash_password
    from server.extensions import db
    from server.types import Role

    app = create_app({"PROFILE": "development", "SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        db.session.add(
            User(username="pengukur", full_name="Pengukur", role=Role.ENUMERATOR, password_hash=hash_password(PASSWORD))
        )
        db.session.commit()
        db.session.remove()
        db.engine.dispose()


if __name__ == "__main__":
    main()
