"""One rule of what is on an enumerator's phone (campaigns.queries): a live assignment in an active campaign.
Reads, edits, the pull and the push agree on it (on 939c0e2 reads and edits accepted an inactive campaign's
assignment while the push refused it)."""

from __future__ import annotations

import uuid

from server.extensions import db
from tests.factories import make_household, make_user
from tests.sync.conftest import assign, bearer, campaign


def _assigned_in_a_closed_campaign():
    enumerator = make_user("enumerator")
    household = make_household()
    closed = campaign()
    closed.active = False
    assign(closed, [household], enumerator)
    db.session.flush()
    return enumerator, household


def test_an_inactive_campaigns_assignment_is_off_the_phone_everywhere(client):
    enumerator, household = _assigned_in_a_closed_campaign()
    auth = bearer(enumerator)
    assert client.get(f"/api/v1/households/{household.id}", headers=auth).status_code == 404
    patch = client.patch(
        f"/api/v1/households/{household.id}", json={"address": "Jl. Baru"}, headers={**auth, "If-Match": '"1"'}
    )
    assert patch.status_code == 404
    listed = client.get("/api/v1/households", headers=auth).get_json()["data"]
    assert str(household.id) not in {item["id"] for item in listed}
    pulled = client.get("/api/v1/sync/pull", headers=auth).get_json()["data"]["households"]
    assert pulled == []
    item = {
        "id": str(uuid.uuid4()),
        "household_id": str(household.id),
        "base_version": household.version,
        "device_time": "2026-11-28T09:12:00+08:00",
        "outcome": "found",
        "consent": True,
    }
    pushed = client.post("/api/v1/sync/push", json={"items": [item]}, headers=auth).get_json()["data"]["results"]
    assert pushed[0]["status"] == "invalid"


def test_the_same_assignment_in_an_active_campaign_is_on_the_phone_everywhere(client):
    enumerator, household = _assigned_in_a_closed_campaign()
    assign(campaign(), [household], enumerator)
    auth = bearer(enumerator)
    assert client.get(f"/api/v1/households/{household.id}", headers=auth).status_code == 200
    listed = client.get("/api/v1/households", headers=auth).get_json()["data"]
    assert str(household.id) in {item["id"] for item in listed}
    pulled = client.get("/api/v1/sync/pull", headers=auth).get_json()["data"]["households"]
    assert [entry["id"] for entry in pulled] == [str(household.id)]
