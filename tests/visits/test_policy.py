"""Campaign settings (flag overrides, review policy) through the API, the flag catalogue endpoint, and the
review policy's choice: hold all; or hold flagged and let clean visits through, except a random sample."""

from __future__ import annotations

import uuid

import pytest
import sqlalchemy as sa

from server.audit.models import AuditEntry
from server.extensions import db
from server.households.models import Household
from server.visits.flags import FLAGS, HOLD_ALL, HOLD_FLAGGED, held_in_sample, rules_for
from server.visits.models import Visit, VisitReview
from server.visits.policy import select_auto_approvals
from tests.factories import make_household, make_user
from tests.photos.test_uploads import _create, _patch, jpeg, sha, store  # noqa: F401 (fixture)
from tests.sync.conftest import assign, campaign
from tests.visits.test_push import _push, visit_item


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


def _policy_world(households, policy):
    enumerator = make_user("enumerator")
    homes = [make_household(location="SRID=4326;POINT(117.15 -0.5)", location_accuracy_m=10) for _ in range(households)]
    round_ = campaign()
    round_.settings = {"review_policy": policy}
    assign(round_, homes, enumerator)
    db.session.commit()
    return enumerator, homes


def _reviews(visit_id: str) -> list[VisitReview]:
    db.session.expire_all()
    return db.session.execute(sa.select(VisitReview).where(VisitReview.visit_id == uuid.UUID(visit_id))).scalars().all()


GPS = {"lon": 117.15, "lat": -0.5, "accuracy_m": 8.0}


def test_hold_flagged_approves_clean_visits_as_the_policy_and_holds_flagged_ones(sync_ctx, sync_client):
    enumerator, homes = _policy_world(2, {"mode": "hold_flagged"})
    clean = visit_item(homes[0], gps=GPS)
    flagged = visit_item(homes[1], gps={"no_fix": True, "reason": "hujan"})
    results = _push(sync_client, enumerator, [clean, flagged])
    assert [r["status"] for r in results] == ["created", "created"]
    db.session.expire_all()
    approved, held = db.session.get(Visit, uuid.UUID(clean["id"])), db.session.get(Visit, uuid.UUID(flagged["id"]))
    assert approved.review_status == "approved" and approved.reviewed_by_id is None
    assert held.review_status == "pending"
    (review,) = _reviews(clean["id"])
    assert review.decision == "approve" and review.via == "policy" and review.reviewer_id is None
    audit = db.session.execute(
        sa.select(AuditEntry).where(AuditEntry.action == "visit.review", AuditEntry.object_id == clean["id"])
    ).scalar_one()
    assert audit.actor_id is None and audit.actor_username == "policy" and audit.changes["via"] == "policy"
    # Exactly what a reviewer's approval does to the household.
    assert db.session.get(Household, homes[0].id).verification_status != "visited"
    assert db.session.get(Household, homes[1].id).verification_status == "visited"
    assert _reviews(flagged["id"]) == []
    # A replay of the approved visit is a duplicate and decides nothing again.
    assert _push(sync_client, enumerator, [clean])[0]["status"] == "duplicate"
    assert len(_reviews(clean["id"])) == 1


def test_hold_all_and_the_random_hold_keep_clean_visits_pending(sync_ctx, sync_client):
    enumerator, homes = _policy_world(1, {"mode": "hold_all"})
    item = visit_item(homes[0], gps=GPS)
    _push(sync_client, enumerator, [item])
    assert _reviews(item["id"]) == []
    enumerator, homes = _policy_world(1, {"mode": "hold_flagged", "clean_sample_percent": 100})
    item = visit_item(homes[0], gps=GPS)
    _push(sync_client, enumerator, [item])
    db.session.expire_all()
    assert db.session.get(Visit, uuid.UUID(item["id"])).review_status == "pending"


@pytest.mark.usefixtures("store")
def test_a_visit_that_becomes_clean_when_its_photo_arrives_is_approved_then(sync_ctx, sync_client):
    enumerator, (home,) = _policy_world(1, {"mode": "hold_flagged"})
    data = jpeg(40, 30, seed=4)
    photo = {"id": str(uuid.uuid4()), "kind": "house_front", "sha256": sha(data)}
    item = visit_item(home, gps=GPS, photos=[photo])
    assert _push(sync_client, enumerator, [item])[0]["visit"]["flags"] == ["photos_missing"]
    assert _reviews(item["id"]) == []
    location = _create(sync_client, enumerator, photo, len(data)).headers["Location"]
    assert _patch(sync_client, enumerator, location, 0, data).status_code == 204
    db.session.expire_all()
    visit = db.session.get(Visit, uuid.UUID(item["id"]))
    assert visit.flags == [] and visit.review_status == "approved"
    assert [review.via for review in _reviews(item["id"])] == ["policy"]
