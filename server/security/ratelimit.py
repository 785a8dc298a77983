"""A `limits` storage in PostgreSQL, so every gunicorn worker (and every machine) counts against the same
numbers without another server: `RATELIMIT_STORAGE_URI = "verval+postgresql://"` (the default: the app's
own database). Compose uses Redis instead (`redis://redis:6379/0`); both are shared stores.

Fixed windows: one row per (limit, who) with its count and the end of its window, bumped by one atomic
`INSERT … ON CONFLICT DO UPDATE` (no read-then-write race between workers). The time is passed in, never
`now()` inside the upsert (DESIGN.md, Citus). Each counter is written on its own autocommit connection
from the app's pool, outside the request's transaction: it counts even when the request rolls back (a
failed login must count). Expired rows are swept now and then.
"""

from __future__ import annotations

import contextlib
import random
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from limits.storage import Storage
from sqlalchemy.exc import SQLAlchemyError

SCHEME = "verval+postgresql"
SWEEP_PROBABILITY = 0.01

INCR = sa.text(
    """
    INSERT INTO rate_limit_counters AS c (key, count, expires_at) VALUES (:key, :amount, :expires_at)
    ON CONFLICT (key) DO UPDATE SET
      count = CASE WHEN c.expires_at <= :now THEN :amount ELSE c.count + :amount END,
      expires_at = CASE WHEN c.expires_at <= :now THEN EXCLUDED.expires_at ELSE c.expires_at END
    RETURNING count
    """
)
GET = sa.text("SELECT count, expires_at FROM rate_limit_counters WHERE key = :key AND expires_at > :now")
CLEAR = sa.text("DELETE FROM rate_limit_counters WHERE key = :key")
RESET = sa.text("DELETE FROM rate_limit_counters")
SWEEP = sa.text("DELETE FROM rate_limit_counters WHERE expires_at < :before")


class PostgresStorage(Storage):
    STORAGE_SCHEME = [SCHEME]

    def __init__(self, uri: str | None = None, wrap_exceptions: bool = False, **options):
        super().__init__(uri, wrap_exceptions=wrap_exceptions, **options)

    @contextlib.contextmanager
    def _connection(self) -> Iterator[sa.Connection]:
        from server.extensions import db  # the current app's engine (one per app; tests make several)

        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            yield connection

    @property
    def base_exceptions(self) -> type[Exception]:
        return SQLAlchemyError

    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        now = datetime.now(UTC)
        with self._connection() as connection:
            count = connection.execute(
                INCR, {"key": key, "amount": amount, "now": now, "expires_at": now + timedelta(seconds=expiry)}
            ).scalar_one()
            if random.random() < SWEEP_PROBABILITY:
                connection.execute(SWEEP, {"before": now - timedelta(minutes=5)})
        return count

    def get(self, key: str) -> int:
        row = self._row(key)
        return row.count if row else 0

    def get_expiry(self, key: str) -> float:
        row = self._row(key)
        return row.expires_at.timestamp() if row else time.time()

    def check(self) -> bool:
        try:
            with self._connection() as connection:
                connection.execute(sa.text("SELECT 1"))
            return True
        except Exception:  # outside an app context, or the database is away: not healthy
            return False

    def reset(self) -> int | None:
        with self._connection() as connection:
            return connection.execute(RESET).rowcount

    def clear(self, key: str) -> None:
        with self._connection() as connection:
            connection.execute(CLEAR, {"key": key})

    def _row(self, key: str):
        with self._connection() as connection:
            return connection.execute(GET, {"key": key, "now": datetime.now(UTC)}).first()


STORAGE_URI = f"{SCHEME}://"
