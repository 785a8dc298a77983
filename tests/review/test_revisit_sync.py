"""Revisit reaches the phone through the pull (reason and comment), and the new visit supersedes the one sent
back; the push accepts today's outbox items unchanged and the optional `duplicate_of` / `moved_to`."""

from __future__ import annotations

import uuid

import sqlalchemy as sa

from server.extensions import db
from server.visits.models import Visit
from tests.factories import make_household, make_user
from tests.sync.conftest import assign, bearer, campaign
from tests.visits.test_push import visit_item


def _pull(client, user):
    response = client.get("/api/v1/sync/pull?limit=500", headers=bearer(user))
    assert response.status_code == 200, response.get_json()
    return response.get_json()["data"]


def _push(client, user, items):
    response = client.post("/api/v1/sync/push", json={"items": items}, headers=bearer(user))
    assert response.status_code == 200, response.get_json()
    return response.get_json()["data"]["results"]


def test_revisit_is_pulled_with_its_reason_and_the_new_visit_supersedes_it(sync_ctx, sync_client):
    enumerator, reviewer = make_user("enumerator"), make_user("reviewer")
    home, target = make_household(), make_household()
    assign(campaign(), [home], enumerator)
    db.session.commit()
    # An item exactly as today's PWA outbox holds it (no duplicate_of / moved_to).
    first = visit_item(home)
    assert _push(sync_client, enumerator, [first])[0]["status"] == "created"
    assert _push(sync_client, enumerator, [first])[0]["status"] == "duplicate"

    response = sync_client.post(
        f"/api/v1/review/visits/{first['id']}/decision",
        json={"decision": "revisit", "reason_code": "photos_missing", "comment": "Foto dapur belum ada"},
        headers={**bearer(reviewer), "If-Match": '"1"'},
    )
    assert response.status_code == 200, response.get_json()
    pulled = _pull(sync_client, enumerator)
    household = next(h for h in pulled["households"] if h["id"] == str(home.id))
    assert household["verification_status"] == "revisit"
    assert household["last_visit"]["review_status"] == "revisit"
    assert household["last_visit"]["review_reason_code"] == "photos_missing"
    assert household["last_visit"]["review_comment"] == "Foto dapur belum ada"
    reasons = {reason["code"]: reason for reason in pulled["reference"]["review_reasons"]}
    assert reasons["photos_missing"]["label_id"] == "Foto kurang"

    second = visit_item(home, device_time="2026-11-29T10:00:00+08:00", duplicate_of=None)
    second["moved_to"] = {"address": "Jl. Baru 3", "note": "kata tetangga"}
    second["duplicate_of"] = str(target.id)
    assert _push(sync_client, enumerator, [second])[0]["status"] in ("created", "accepted_with_conflict")
    db.session.expire_all()
    old, new = (db.session.get(Visit, uuid.UUID(item["id"])) for item in (first, second))
    assert old.review_status == "superseded" and new.review_status == "pending"
    assert new.answers["duplicate_of"] == str(target.id) and new.answers["moved_to"]["address"] == "Jl. Baru 3"
    household = next(h for h in _pull(sync_client, enumerator)["households"] if h["id"] == str(home.id))
    assert household["verification_status"] == "visited" and household["last_visit"]["id"] == second["id"]
    assert (
        db.session.execute(sa.select(sa.func.count()).select_from(Visit).where(Visit.household_id == home.id)).scalar()
        == 2
    )


def test_an_approved_move_stays_on_the_phone_marked_until_settled(sync_ctx, sync_client):
    enumerator, reviewer = make_user("enumerator"), make_user("reviewer")
    home = make_household()
    assign(campaign(), [home], enumerator)
    db.session.commit()
    item = visit_item(home, outcome="moved_outside", moved_to={"address": "Balikpapan"})
    assert _push(sync_client, enumerator, [item])[0]["status"] == "created"
    household = next(h for h in _pull(sync_client, enumerator)["households"] if h["id"] == str(home.id))
    assert household["pending_registry_status"] is None
    response = sync_client.post(
        f"/api/v1/review/visits/{item['id']}/decision",
        json={"decision": "approve"},
        headers={**bearer(reviewer), "If-Match": '"1"'},
    )
    assert response.status_code == 200, response.get_json()
    household = next(h for h in _pull(sync_client, enumerator)["households"] if h["id"] == str(home.id))
    assert household["pending_registry_status"] == "moved" and household["registry_status"] == "active"
    assert household["verification_status"] == "approved"
