"""The demo city plants every kind of analytics finding (server/demo/problems.py): its 2026 summary shows
non-zero stacking, gaps, each inclusion-error kind verified and settled, the agency lists' kinds and the
unknown desil, and 2021 shows the BST x PKH exclusivity; the same seed plants the same problems."""

from __future__ import annotations

from datetime import date

import pytest

from server.analytics import service
from server.auth.access import Actor
from server.demo.service import load_demo_city
from server.types import Role

ADMIN = Actor(user_id=0, username="uji", role=Role.ADMIN, region_codes=(), device_id=None)
EVERY_KIND_2026 = {
    ("stacking", "records"),
    ("gap", "verified"),
    ("gap_program", "verified"),
    ("dead", "verified"),
    ("moved", "verified"),
    ("not_found", "verified"),
    ("duplicate", "verified"),
    ("dead", "settled"),
    ("paid_twice", "records"),
    ("nik_in_two_households", "records"),
    ("above_desil", "records"),
    ("deactivated", "records"),
    ("invalid_nik", "lists"),
    ("not_in_registry", "lists"),
    ("unknown_desil", "records"),
}


@pytest.fixture
def demo(app, db_session):
    with app.test_request_context():
        yield load_demo_city(households=600, seed=7)


def _counts(start: date, end: date) -> dict:
    figures = service.summary(ADMIN, start, end, refresh=True)["figures"]
    return {
        (f["kind"], f["side"]): (f["households"] or 0) + (f["receipts"] if f["kind"] in service.LIST_KINDS else 0)
        for f in figures
        if f["program"] is None
    }


def test_the_demo_city_shows_every_kind_of_finding(demo):
    assert demo["approved_visits"] >= 20 and demo["planted"]["paid_twice"] >= 2
    counts = _counts(date(2026, 1, 1), date(2026, 12, 31))
    missing = sorted(kind for kind in EVERY_KIND_2026 if counts.get(kind, 0) == 0)
    assert missing == [], counts
    pandemic = service.summary(ADMIN, date(2021, 1, 1), date(2021, 12, 31), refresh=True)
    exclusive = [f for f in pandemic["figures"] if f["kind"] == "stacking" and f["programs"] == ["BST-COVID", "PKH"]]
    assert exclusive and exclusive[0]["households"] >= 2
