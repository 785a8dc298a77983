"""Constant-time login (issue 20): an unknown username costs the same argon2 verification as a wrong
password for a real one, so the time of a 401 does not tell which usernames exist."""

from __future__ import annotations

import time

from server.auth import passwords
from tests.factories import make_user


def _login(client, username, password="salah-sekali-123"):
    return client.post("/api/v1/auth/login", json={"username": username, "password": password, "device_name": "hp"})


def test_the_unknown_user_path_runs_the_same_argon2_verification(app, client, monkeypatch):
    user = make_user("enumerator")
    calls = []
    real = passwords.hasher()

    class Counting:
        def verify(self, password_hash, password):
            calls.append(password_hash.split("$")[:4])  # algorithm, version and cost parameters
            return real.verify(password_hash, password)

        def hash(self, password):
            return real.hash(password)

    monkeypatch.setitem(app.extensions, "password_hasher", Counting())
    assert _login(client, user.username).status_code == 401
    assert _login(client, "tidak-ada-orangnya").status_code == 401
    assert len(calls) == 2
    assert calls[0] == calls[1]  # the dummy hash has the real hashes' parameters


def test_a_dummy_hash_never_lets_anyone_in():
    assert passwords.verify_password(None, "") is False
    assert passwords.verify_password(None, "anything at all") is False


def test_both_refusals_take_about_as_long(app, client, monkeypatch):
    """A coarse guard at the production cost (the test profile's is too cheap to time); the figures are in
    bench/README.md (bench/login_timing.py)."""
    monkeypatch.setitem(app.extensions, "password_hasher", passwords.PRODUCTION_HASHER)
    user = make_user("enumerator")
    _login(client, "warm-up")

    def median(username):
        times = []
        for _ in range(5):
            start = time.perf_counter()
            assert _login(client, username).status_code == 401
            times.append(time.perf_counter() - start)
        return sorted(times)[2]

    known, unknown = median(user.username), median("tidak-ada-orangnya")
    assert unknown > known * 0.5, (known, unknown)


def test_production_hashes_with_argon2_cffis_defaults_and_tests_with_a_cheap_cost(app):
    from argon2 import PasswordHasher

    from server import create_app

    production = create_app({"PROFILE": "production", "SECRET_KEY": "s" * 40, "JWT_SECRET_KEY": "j" * 40})
    default = PasswordHasher()
    used = production.extensions["password_hasher"]
    assert (used.time_cost, used.memory_cost, used.parallelism) == (
        default.time_cost,
        default.memory_cost,
        default.parallelism,
    )
    assert default.memory_cost >= 65536 and default.time_cost >= 3
    assert app.extensions["password_hasher"].memory_cost < default.memory_cost
