"""Test harness: one database per pytest run, migrated once; every test runs in a transaction rolled back at its end.

The server URL comes from VERVAL_TEST_ADMIN_URL or DATABASE_URL (any database on a server with PostGIS);
the run creates its own `verval_test_<pid>` database there and drops it afterwards, so parallel runs
never meet.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from flask import request_started
from flask_jwt_extended import create_access_token
from flask_migrate import upgrade
from sqlalchemy.engine import make_url
from sqlalchemy.orm import scoped_session, sessionmaker

from server import create_app
from server.extensions import db, limiter
from server.openapi import check
from server.regions.service import load_regions


def _server_url():
    url = os.environ.get("VERVAL_TEST_ADMIN_URL") or os.environ.get("DATABASE_URL")
    if not url:
        pytest.exit("set DATABASE_URL (make test does) to a PostgreSQL server with PostGIS", returncode=2)
    return make_url(url)


@pytest.fixture(scope="session")
def create_database():
    """Factory: a fresh empty database on the test server; all are dropped at the end of the run."""
    server = _server_url()
    admin = sa.create_engine(server.set(database="postgres"), isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
    created: list[str] = []

    def make(suffix: str = "", template: str | None = None) -> str:
        name = f"verval_test_{os.getpid()}{suffix}"
        copy = f' TEMPLATE "{template}"' if template else ""
        with admin.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            connection.execute(sa.text(f'CREATE DATABASE "{name}"{copy}'))
        created.append(name)
        return server.set(database=name).render_as_string(hide_password=False)

    yield make
    with admin.connect() as connection:
        for name in created:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session")
def database_url(create_database) -> str:
    return create_database()


@pytest.fixture(scope="session")
def app(database_url):
    """The app on the session database, migrated to head, with the reference data every test relies on."""
    application = create_app({"PROFILE": "test", "SQLALCHEMY_DATABASE_URI": database_url})
    with application.app_context():
        upgrade()
        load_regions()
        _seed_reference_data()
        db.session.commit()
        db.session.remove()
    return application


@pytest.fixture(scope="session")
def committed_template(create_database) -> str:
    """A database migrated once, with the reference data, that committed databases are copied from
    (CREATE DATABASE … TEMPLATE: a file copy, far faster than migrating again)."""
    url = create_database("_template")
    application = create_app({"PROFILE": "test", "SQLALCHEMY_DATABASE_URI": url})
    with application.app_context():
        upgrade()
        load_regions()
        _seed_reference_data()
        db.session.commit()
        db.session.remove()
        db.engine.dispose()  # a template must have no connection when it is copied
    return make_url(url).database


@pytest.fixture(scope="session")
def make_committed_app(create_database, committed_template):
    """Factory: an app on a fresh database of its own (a copy of the migrated template), for tests whose work
    must really commit (concurrency, sync cursors); nothing is rolled back there."""
    made = []

    def make(suffix: str):
        url = create_database(suffix, template=committed_template)
        application = create_app({"PROFILE": "test", "SQLALCHEMY_DATABASE_URI": url})
        made.append(application)
        return application

    yield make
    for application in made:
        with application.app_context():
            db.session.remove()
            db.engine.dispose()


@pytest.fixture(scope="module")
def sync_app(make_committed_app, request):
    """An app on a committed database of the test module's own (sync, visits, photos, security …): work
    there really commits, as the pull's cursor reasons about transaction ids. Each module starts from a
    clean copy, so one module's data never meets another's."""
    app = make_committed_app("_" + re.sub(r"\W", "_", request.module.__name__)[-40:])
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def sync_ctx(sync_app):
    """An app context on the committed database; whatever the test commits stays."""
    with sync_app.app_context():
        yield sync_app
        db.session.rollback()
        db.session.remove()


@pytest.fixture
def sync_client(sync_app):
    return sync_app.test_client()


def _seed_reference_data() -> None:
    """Programs are reference data too; seeded when the aid catalogue exists."""
    try:
        from server.aid.catalog import seed_programs
    except ImportError:
        return
    seed_programs()


@pytest.fixture
def db_session(app) -> Iterator[scoped_session]:
    """Binds db.session to one connection inside a transaction; commits become savepoints; all rolled back."""
    with app.app_context():
        connection = db.engine.connect()
        transaction = connection.begin()
        original = db.session
        # Each request's teardown closes the session; expire_on_commit=False keeps the test's own
        # objects readable afterwards (re-query them to see what a request changed).
        factory = sessionmaker(bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False)
        db.session = scoped_session(factory)
        try:
            yield db.session
        finally:
            db.session.remove()
            db.session = original
            transaction.rollback()
            connection.close()


@pytest.fixture
def client(app, db_session):
    """The test client. What the test set up before a request is committed (to the test's savepoint) when the
    request starts, as real data would be: a request that fails rolls back its own work, not the test's."""

    def commit_setup(sender, **extra):
        db_session.commit()

    with request_started.connected_to(commit_setup, app):
        yield app.test_client()


@pytest.fixture(autouse=True)
def _answers_match_the_document():
    """Fails the test whose requests got an answer the OpenAPI document does not describe."""
    check.recorded.clear()
    yield
    mismatches, check.recorded[:] = list(check.recorded), []
    assert not mismatches, "answers that differ from /api/openapi.json:\n" + "\n".join(dict.fromkeys(mismatches))


@pytest.fixture(autouse=True)
def _fresh_rate_limits(app):
    """Every test starts with empty login counters (in-memory limiter storage is process-wide)."""
    with app.app_context():
        limiter.reset()


@pytest.fixture
def auth_headers(db_session):
    """Factory: Authorization headers carrying a valid access token for `user` (optionally bound to a device)."""

    def make(user, device_id=None) -> dict[str, str]:
        claims = {"device": str(device_id)} if device_id else {}
        token = create_access_token(identity=str(user.id), additional_claims=claims)
        return {"Authorization": f"Bearer {token}"}

    return make


@pytest.fixture(scope="session", autouse=True)
def _no_personal_data_in_the_suites_logs():
    """Every log record the in-process suite produces, formatted as production writes it (JSON lines),
    holds no password, token or 16-digit number at the end of the run (issue 20)."""
    import logging
    import re

    from server.config import DEMO_PASSWORD
    from server.logs import JsonFormatter
    from tests.factories import TEST_PASSWORD

    lines: list[str] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            lines.append(self.format(record))

    handler = Collect(level=logging.DEBUG)
    handler.setFormatter(JsonFormatter())
    logging.getLogger().addHandler(handler)
    yield
    logging.getLogger().removeHandler(handler)
    text = "\n".join(lines)
    assert TEST_PASSWORD not in text and DEMO_PASSWORD not in text
    assert re.findall(r"(?<!\d)\d{16}(?!\d)", text) == []
    assert re.findall(r"eyJ[\w-]+\.[\w-]+\.[\w-]+", text) == []
