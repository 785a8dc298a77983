"""Security tests that push visits need a database where work is really committed (as the sync tests do)."""

from __future__ import annotations

import pytest

from server.extensions import db


@pytest.fixture(scope="package")
def sync_app(make_committed_app):
    return make_committed_app("_security")


@pytest.fixture
def sync_ctx(sync_app):
    with sync_app.app_context():
        yield sync_app
        db.session.rollback()
        db.session.remove()


@pytest.fixture
def sync_client(sync_app):
    return sync_app.test_client()
