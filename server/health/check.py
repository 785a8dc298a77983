"""`python -m server.health.check`: one clear line when DATABASE_URL is wrong, unreachable or lacks PostGIS.

Runs before the app is built (a bad URL would otherwise end in a traceback from deep inside SQLAlchemy).
"""

from __future__ import annotations

import os
import sys

import sqlalchemy as sa
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError


def check(uri: str) -> str | None:
    """The problem with `uri` in one line, or None when it reaches a PostgreSQL server that has PostGIS."""
    if not uri:
        return "DATABASE_URL is not set"
    try:
        url = make_url(uri)
    except ArgumentError:
        return "DATABASE_URL is not a valid database URL (expected postgresql://user@host/dbname)"
    target = url.render_as_string(hide_password=True)
    if url.get_backend_name() != "postgresql":
        return f"DATABASE_URL must point at PostgreSQL, not {url.get_backend_name()}"
    engine = sa.create_engine(url, connect_args={"connect_timeout": 5}, poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as connection:
            available = connection.execute(
                sa.text("SELECT 1 FROM pg_available_extensions WHERE name = 'postgis'")
            ).first()
    except DBAPIError as error:
        reason = str(error.orig).strip().splitlines()[0] if error.orig else type(error).__name__
        return f"cannot reach the database {target}: {reason}"
    finally:
        engine.dispose()
    if available is None:
        return f"PostGIS is not installed on the server of {target} (Debian: apt-get install postgresql-15-postgis-3)"
    return None


def main() -> int:
    problem = check(os.environ.get("DATABASE_URL", ""))
    if problem:
        print(f"verval: {problem}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
