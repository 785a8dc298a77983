"""Assignments as the phones see them: after assigning by kelurahan a phone pulls exactly those
households; after a reassignment the former phone drops the household and the new one receives it."""

from __future__ import annotations

from server.extensions import db
from tests.factories import make_household, make_user
from tests.sync.conftest import bearer
from tests.sync.test_pull import _pull_all

KELURAHAN = "64.72.03.1002"


def test_phones_follow_assignment_and_reassignment(sync_ctx, sync_client):
    supervisor = make_user("supervisor", ["64.72.03"])
    first, second = make_user("enumerator", [KELURAHAN]), make_user("enumerator", [KELURAHAN])
    homes = [make_household(region_code=KELURAHAN, rt=f"{n % 2 + 1:03d}", rw="001") for n in range(4)]
    db.session.commit()
    manager = bearer(supervisor)
    campaign = sync_client.post(
        "/api/v1/campaigns",
        json={"name": "Uji tarik", "period_start": "2026-01-01", "period_end": "2026-12-31"},
        headers=manager,
    ).get_json()["data"]
    url = f"/api/v1/campaigns/{campaign['id']}/assignments"
    assert (
        sync_client.post(url, json={"enumerator_id": first.id, "kelurahan": KELURAHAN}, headers=manager).status_code
        == 200
    )

    households, _, _, first_cursor, _ = _pull_all(sync_client, bearer(first))
    assert {str(h.id) for h in homes} <= set(households)
    assert _pull_all(sync_client, bearer(second))[0] == {}

    moved = [str(h.id) for h in homes if h.rt == "001"]
    response = sync_client.post(
        url, json={"enumerator_id": second.id, "kelurahan": KELURAHAN, "rt": "001", "rw": "001"}, headers=manager
    )
    assert response.get_json()["data"]["reassigned"] == len(moved)
    _, tombstones, _, _, _ = _pull_all(sync_client, bearer(first), first_cursor)
    assert {t["household_id"] for t in tombstones} == set(moved)
    assert all(t["reason"] == "unassigned" for t in tombstones)
    households, _, _, _, _ = _pull_all(sync_client, bearer(second))
    assert set(moved) <= set(households) and not ({str(h.id) for h in homes} - set(moved)) & set(households)
