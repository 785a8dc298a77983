"""Helpers of the tests that work on a committed database (the `sync_app`, `sync_ctx` and `sync_client`
fixtures in tests/conftest.py): a token, a campaign, assignments."""

from __future__ import annotations

from datetime import date

from flask_jwt_extended import create_access_token

from server.campaigns.models import Assignment, Campaign
from server.extensions import db


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
