"""Statements a hot path runs on every request, prepared once per database connection (`PREPARE`, then
`EXECUTE`): PostgreSQL parses and plans them once instead of on every run. The sync push's lookups are one
statement of a dozen sections; parsing and planning it took about as much of PostgreSQL's CPU as running it
(~5 ms per push of 100 visits).

A statement's parameters are positional: `$1`, `$2` … in its text, `placeholder(n)` where a SQLAlchemy
statement is built (`sql_of` renders it, its own constants inline). A prepared statement lives as long as
its connection (rolled-back transactions keep it too), so each connection of the pool prepares it the first
time it runs it; the pool remembers which it holds in the connection's `info`. This needs the app's own
connections to PostgreSQL, as `make run` and docker-compose.yml have them: a transaction-pooling proxy in
between (PgBouncer in transaction mode) would run an EXECUTE on a server connection that never prepared it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from server.extensions import db

_PREPARED = "verval_prepared"


def placeholder(position: int) -> sa.ColumnElement:
    """The statement's parameter number `position` (from 1), for a statement given to `sql_of`."""
    return sa.literal_column(f"${position}")


def sql_of(statement: sa.Executable) -> str:
    """A SQLAlchemy statement as the text to prepare: its constants inline, its placeholders as $n."""
    compiled = statement.compile(dialect=postgresql.dialect(), compile_kwargs={"literal_binds": True})
    return str(compiled)


def execute(name: str, sql: str, params: Sequence[Any]) -> sa.CursorResult:
    """Run `sql` (prepared as `name` on this connection if it is not yet) with these positional parameters,
    in the session's transaction."""
    connection = db.session.connection()
    prepared = connection.info.setdefault(_PREPARED, set())
    if name not in prepared:
        connection.exec_driver_sql(f"PREPARE {name} AS {sql}")
        prepared.add(name)
    return connection.exec_driver_sql(f"EXECUTE {name} ({', '.join(['%s'] * len(params))})", tuple(params))
