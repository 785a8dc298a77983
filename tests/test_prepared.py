"""Prepared statements of the hot paths (server/prepared.py): prepared once per connection, kept by it across
transactions (rolled-back ones too), and prepared by every new connection that runs them."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from server import prepared
from server.extensions import db

SQL = "SELECT CAST($1 AS integer) + 1 AS n"
PID = sa.text("SELECT pg_backend_pid()")


@pytest.fixture
def sent(sync_ctx):
    """The first word of every statement sent to PostgreSQL."""
    words: list[str] = []

    def before(conn, cursor, statement, parameters, context, executemany):
        words.append(statement.split()[0])

    sa.event.listen(db.engine, "before_cursor_execute", before)
    yield words
    sa.event.remove(db.engine, "before_cursor_execute", before)


def test_prepared_once_per_connection_and_kept_after_a_rollback(sent):
    assert prepared.execute("probe_plus_one", SQL, [1]).scalar_one() == 2
    assert prepared.execute("probe_plus_one", SQL, [2]).scalar_one() == 3
    assert sent == ["PREPARE", "EXECUTE", "EXECUTE"]
    first = db.session.execute(PID).scalar_one()
    db.session.rollback()
    again = db.session.execute(PID).scalar_one()
    sent.clear()
    assert prepared.execute("probe_plus_one", SQL, [41]).scalar_one() == 42
    # The same connection after the rollback still holds it; another one prepares it for itself.
    assert sent == (["EXECUTE"] if again == first else ["PREPARE", "EXECUTE"])


def test_a_new_connection_prepares_it_again(sent):
    assert prepared.execute("probe_plus_one", SQL, [1]).scalar_one() == 2
    db.session.rollback()
    db.session.remove()
    db.engine.dispose()  # every pooled connection closed: the next one is new
    sent.clear()
    assert prepared.execute("probe_plus_one", SQL, [5]).scalar_one() == 6
    assert sent == ["PREPARE", "EXECUTE"]
