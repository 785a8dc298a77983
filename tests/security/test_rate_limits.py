"""Login limits that mean what they say (issue 20): counters in PostgreSQL shared by every worker, failures
counted per account *and* address, so a stranger's wrong passwords cannot lock the owner out elsewhere."""

from __future__ import annotations

import sqlalchemy as sa

from server.extensions import db, limiter
from server.security.ratelimit import PostgresStorage
from tests.factories import TEST_PASSWORD, make_user


def _login(client, username, password, address):
    return client.post(
        "/api/v1/auth/login",
        json={"username": username, "password": password, "device_name": "hp"},
        environ_base={"REMOTE_ADDR": address},
    )


def test_the_default_store_is_the_database(app):
    assert app.config["RATELIMIT_STORAGE_URI"] == "verval+postgresql://"
    with app.app_context():
        assert isinstance(limiter.storage, PostgresStorage)


def test_a_stranger_cannot_lock_the_owner_out_from_another_address(client, db_session):
    owner = make_user("enumerator")
    for _ in range(5):
        assert _login(client, owner.username, "tebakan-salah-1", "198.51.100.7").status_code == 401
    at_the_stranger = _login(client, owner.username, TEST_PASSWORD, "198.51.100.7")
    assert at_the_stranger.status_code == 429  # the stranger's address must wait (Retry-After)
    assert int(at_the_stranger.headers["Retry-After"]) > 0
    assert _login(client, owner.username, TEST_PASSWORD, "203.0.113.20").status_code == 200  # the owner is in


def test_failures_per_address_are_limited_across_accounts(app, client, db_session):
    app.config["LOGIN_FAILURES_PER_ADDRESS"] = "3 per minute"
    try:
        answers = [_login(client, f"tebak{n}", "salah-salah-1", "198.51.100.8").status_code for n in range(5)]
    finally:
        app.config["LOGIN_FAILURES_PER_ADDRESS"] = "30 per minute;300 per hour"
    assert answers == [401, 401, 401, 429, 429]
    assert _login(client, "tebak9", "salah-salah-1", "198.51.100.9").status_code == 401  # others unaffected


def test_counters_live_in_postgresql(app, client, db_session):
    _login(client, "siapa-saja", "salah-salah-1", "198.51.100.10")
    with app.app_context(), db.engine.connect() as connection:
        keys = connection.execute(
            sa.text("SELECT key FROM rate_limit_counters WHERE key LIKE '%198.51.100.10%'")
        ).scalars()
        assert any("login-failures" in key for key in keys)


def test_a_window_that_ended_starts_again_from_one(app):
    with app.app_context():
        storage = limiter.storage
        storage.clear("uji/window")
        assert storage.incr("uji/window", expiry=60) == 1
        assert storage.incr("uji/window", expiry=60) == 2
        assert storage.get("uji/window") == 2
        with db.engine.connect() as connection:
            connection.execute(
                sa.text(
                    "UPDATE rate_limit_counters SET expires_at = now() - interval '1 second' WHERE key = 'uji/window'"
                )
            )
            connection.commit()
        assert storage.get("uji/window") == 0
        assert storage.incr("uji/window", expiry=60) == 1
        storage.clear("uji/window")


def test_the_compose_store_can_be_built():
    """docker-compose.yml sets redis://redis:6379/0: its client library is installed (built, not connected)."""
    from limits.storage import RedisStorage, storage_from_string

    assert isinstance(storage_from_string("redis://redis.invalid:6379/0"), RedisStorage)
