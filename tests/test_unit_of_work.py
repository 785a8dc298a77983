"""One unit of work per request: a failing request leaves nothing behind, yet its refusal is still audited."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from flask import jsonify

from server import create_app
from server.audit.models import AuditEntry
from server.audit.service import record
from server.errors import CONFLICT, AppError
from server.extensions import db
from server.households.models import Household
from server.unit_of_work import outlive_rollback, transactional, unit_of_work
from tests.factories import make_household


@pytest.fixture
def probe_app(database_url, db_session):
    """An app with two write routes that fail after flushing: one raises, one answers 409."""
    # Probe routes are not part of the API document.
    application = create_app({"PROFILE": "test", "SQLALCHEMY_DATABASE_URI": database_url, "CHECK_RESPONSES": False})

    def write_then_refuse(refuse):
        household = make_household(registry_id="UOW-PROBE")
        db.session.flush()
        outlive_rollback(lambda: record("probe.refused", object_type="household", object_id=household.registry_id))
        return refuse()

    @application.post("/api/v1/probe/raise")
    @transactional
    def probe_raise():
        def refuse():
            raise AppError(CONFLICT)

        return write_then_refuse(refuse)

    @application.post("/api/v1/probe/answer")
    @transactional
    def probe_answer():
        return write_then_refuse(lambda: (jsonify({"error": {"code": "conflict"}}), 409))

    return application


@pytest.mark.parametrize("route", ["raise", "answer"])
def test_a_refused_write_leaves_nothing_behind_but_its_audit(probe_app, db_session, route):
    response = probe_app.test_client().post(f"/api/v1/probe/{route}")
    assert response.status_code == 409
    assert db_session.execute(sa.select(Household).where(Household.registry_id == "UOW-PROBE")).first() is None
    audited = db_session.execute(sa.select(AuditEntry.object_id).where(AuditEntry.action == "probe.refused"))
    assert audited.scalars().all() == ["UOW-PROBE"]


def test_a_command_commits_all_or_nothing(db_session):
    with pytest.raises(RuntimeError), unit_of_work():
        make_household(registry_id="UOW-COMMAND")
        db.session.flush()
        raise RuntimeError("half way")
    assert db_session.execute(sa.select(Household).where(Household.registry_id == "UOW-COMMAND")).first() is None
    with unit_of_work():
        make_household(registry_id="UOW-COMMAND")
    assert db_session.execute(sa.select(Household).where(Household.registry_id == "UOW-COMMAND")).first()


# The owners of transactions: the request/command unit of work, and the job worker (a job's work and its
# outcome are one transaction, its claim and its failure each another).
TRANSACTION_OWNERS = {"unit_of_work.py", "jobs/worker.py", "jobs/service.py", "staff/sessions.py"}


def test_no_route_or_service_commits_by_itself():
    from pathlib import Path

    server = Path(__file__).resolve().parents[1] / "server"
    committing = [
        name
        for path in server.rglob("*.py")
        if (name := str(path.relative_to(server))) not in TRANSACTION_OWNERS and "session.commit()" in path.read_text()
    ]
    assert committing == []
