"""Review test helpers: visits made directly (the push has its own tests), reviewers with headers."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest

from server.extensions import db
from server.visits.models import Visit
from tests.factories import make_user


def make_visit(household, enumerator, *, outcome="found", answers=None, base_version=None, **overrides) -> Visit:
    values = {
        "id": uuid.uuid4(),
        "household_id": household.id,
        "enumerator_id": enumerator.id,
        "base_version": base_version if base_version is not None else household.version,
        "device_time": datetime.now(UTC),
        "location": "SRID=4326;POINT(117.15 -0.5)",
        "location_accuracy_m": 8.0,
        "outcome": outcome,
        "consent": True,
        "answers": {"members": [], "house_condition": {}, "aid_reported": [], "new_household": None} | (answers or {}),
        "content_hash": "0" * 64,
        "flags": [],
        "review_status": "pending",
    }
    values.update(overrides)
    visit = Visit(**values)
    db.session.add(visit)
    db.session.flush()
    return visit


@pytest.fixture
def reviewer(db_session):
    return make_user("reviewer", regions=("64.72.01",))


@pytest.fixture
def enumerator(db_session):
    return make_user("enumerator", regions=("64.72.01",))
