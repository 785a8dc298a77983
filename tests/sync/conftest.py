"""Sync tests run on their own database where work is really committed: the pull's cursor reasons about
transaction ids, which a test transaction that is never committed would hold open for ever."""

from __future__ import annotations

from datetime import date

import pytest
from flask_jwt_extended import create_access_token

from server.campaigns.models import Assignment, Campaign
from server.extensions import db


@pytest.fixture(scope="package")
def sync_app(make_committed_app):
    return make_committed_app("_sync")


@pytest.fixture
def sync_ctx(sync_app):
    """An app context on the committed database; whatever the test commits stays (data is per-test unique)."""
    with sync_app.app_context():
        yield sync_app
        db.session.rollback()
        db.session.remove()


@pytest.fixture
def sync_client(sync_app):
    return sync_app.test_client()


def bearer(user) -> dict[str, str]:
    return {"Authorization": f"Bearer {create_access_token(identity=str(user.id))}"}


def campaign() -> Campaign:
    active = Campaign(name="Uji", period_start=date(2026, 1, 1), period_end=date(2026, 12, 31), active=True)
    db.session.add(active)
    db.session.flush()
    return active


def assign(round_: Campaign, households, enumerator) -> None:
    for household in households:
        db.session.add(Assignment(campaign_id=round_.id, household_id=household.id, enumerator_id=enumerator.id))
    db.session.flush()
