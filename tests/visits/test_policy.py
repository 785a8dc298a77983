"""Campaign settings (flag overrides, review policy) through the API, the flag catalogue endpoint, and the
review policy's choice: hold all; or hold flagged and let clean visits through, except a random sample."""

from __future__ import annotations

import uuid

from server.visits.flags import FLAGS, HOLD_ALL, HOLD_FLAGGED, held_in_sample, rules_for
from server.visits.policy import select_auto_approvals
from tests.factories import make_user


def test_campaign_settings_are_validated_stored_and_returned(client, auth_headers, db_session):
    headers = auth_headers(make_user("supervisor", ["64.72.01"]))
    body = {"name": "Verval", "period_start": "2026-10-01", "period_end": "2026-12-31"}
    created = client.post("/api/v1/campaigns", json=body, headers=headers).get_json()["data"]
    assert created["settings"] == {}
    settings = {
        "flags": {"far_from_registered": {"threshold": 300, "weight": 60}},
        "review_policy": {"mode": "hold_flagged", "clean_sample_percent": 10},
    }
    updated = client.patch(f"/api/v1/campaigns/{created['id']}", json={"settings": settings}, headers=headers)
    assert updated.status_code == 200 and updated.get_json()["data"]["settings"] == settings
    for bad in (
        {"flags": {"not_a_flag": {"weight": 1}}},
        {"flags": {"no_fix": {"weight": -1}}},
        {"review_policy": {"mode": "approve_everything"}},
        {"review_policy": {"mode": "hold_flagged", "clean_sample_percent": 150}},
        {"colour": "red"},
    ):
        refused = client.patch(f"/api/v1/campaigns/{created['id']}", json={"settings": bad}, headers=headers)
        assert refused.status_code == 422, bad
        assert "settings" in refused.get_json()["error"]["details"]["fields"]


def test_the_flag_catalogue_is_served_as_data(client, auth_headers, db_session):
    answer = client.get("/api/v1/visits/flags", headers=auth_headers(make_user("enumerator")))
    assert answer.status_code == 200
    flags = {flag["code"]: flag for flag in answer.get_json()["data"]}
    assert list(flags) == list(FLAGS)
    assert flags["far_from_registered"]["threshold"] == 150 and flags["far_from_registered"]["unit"] == "m"
    assert flags["stale_base_version"]["conflict"] and not flags["no_fix"]["conflict"]


def test_hold_all_holds_everything_and_hold_flagged_lets_clean_visits_through():
    ids = [uuid.UUID(int=n) for n in range(1, 5)]
    hold_all = rules_for({})
    hold_flagged = rules_for({"review_policy": {"mode": HOLD_FLAGGED}})
    assert hold_all.policy_mode == HOLD_ALL
    candidates = [(ids[0], [], "pending"), (ids[1], ["no_fix"], "pending"), (ids[2], [], "approved")]
    assert select_auto_approvals([(*c, hold_all) for c in candidates]) == []
    assert select_auto_approvals([(*c, hold_flagged) for c in candidates]) == [ids[0]]


def test_a_random_share_of_clean_visits_is_held_and_the_draw_is_stable():
    rules = rules_for({"review_policy": {"mode": HOLD_FLAGGED, "clean_sample_percent": 10}})
    ids = [uuid.uuid5(uuid.NAMESPACE_URL, f"visit-{n}") for n in range(4000)]
    approved = select_auto_approvals([(visit_id, [], "pending", rules) for visit_id in ids])
    held = len(ids) - len(approved)
    assert 0.08 * len(ids) < held < 0.12 * len(ids)
    # The same visit gets the same answer on a replay, on any server.
    assert approved == select_auto_approvals([(visit_id, [], "pending", rules) for visit_id in ids])
    assert not any(held_in_sample(visit_id, 0) for visit_id in ids)
    assert all(held_in_sample(visit_id, 100) for visit_id in ids)
