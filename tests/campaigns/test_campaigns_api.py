"""Campaigns and assignments: rounds, assigning by ids / kelurahan / RT-RW within the supervisor's area,
reassignment leaving a tombstone for the former phone, unassignment, progress; all audited."""

from __future__ import annotations

import sqlalchemy as sa

from server.audit.models import AuditEntry
from server.campaigns.models import Assignment, Tombstone
from server.extensions import db
from tests.factories import make_household, make_user

KELURAHAN = "64.72.01.1001"
OTHER_KECAMATAN_KELURAHAN = "64.72.02.1009"


def _campaign(client, headers, **overrides):
    body = {"name": "Verval Tahap II", "period_start": "2026-10-01", "period_end": "2026-12-31", **overrides}
    response = client.post("/api/v1/campaigns", json=body, headers=headers)
    assert response.status_code == 201, response.get_json()
    return response.get_json()["data"]


def _live(campaign_id):
    rows = db.session.execute(
        sa.select(Assignment.household_id, Assignment.enumerator_id).where(
            Assignment.campaign_id == campaign_id, Assignment.unassigned_at.is_(None)
        )
    ).all()
    return dict(rows)


def test_campaigns_are_created_listed_and_updated_by_managers(client, auth_headers, db_session):
    headers = auth_headers(make_user("supervisor", ["64.72.01"]))
    campaign = _campaign(client, headers)
    assert campaign["active"] is True
    listed = client.get("/api/v1/campaigns", headers=auth_headers(make_user("reviewer"))).get_json()["data"]
    assert campaign["id"] in {c["id"] for c in listed}
    bad = client.patch(f"/api/v1/campaigns/{campaign['id']}", json={"period_end": "2026-01-01"}, headers=headers)
    assert bad.status_code == 422 and "period_end" in bad.get_json()["error"]["details"]["fields"]
    closed = client.patch(f"/api/v1/campaigns/{campaign['id']}", json={"active": False}, headers=headers)
    assert closed.get_json()["data"]["active"] is False
    assert client.post("/api/v1/campaigns", json={}, headers=auth_headers(make_user("enumerator"))).status_code == 403
    assert client.get("/api/v1/campaigns/999999", headers=headers).status_code == 404


def test_assign_by_ids_kelurahan_and_rt_rw(client, auth_headers, db_session):
    supervisor = make_user("supervisor", ["64.72.01"])
    headers = auth_headers(supervisor)
    enumerator = make_user("enumerator", [KELURAHAN])
    rt1 = [make_household(region_code=KELURAHAN, rt="001", rw="002") for _ in range(2)]
    rt2 = [make_household(region_code=KELURAHAN, rt="002", rw="002") for _ in range(3)]
    campaign = _campaign(client, headers)
    url = f"/api/v1/campaigns/{campaign['id']}/assignments"

    by_rt = client.post(
        url, json={"enumerator_id": enumerator.id, "kelurahan": KELURAHAN, "rt": "001", "rw": "002"}, headers=headers
    )
    assert by_rt.get_json()["data"] == {"assigned": 2, "reassigned": 0, "unchanged": 0, "unassigned": 0}
    by_id = client.post(url, json={"enumerator_id": enumerator.id, "household_ids": [str(rt2[0].id)]}, headers=headers)
    assert by_id.get_json()["data"]["assigned"] == 1
    whole = client.post(url, json={"enumerator_id": enumerator.id, "kelurahan": KELURAHAN}, headers=headers)
    counts = whole.get_json()["data"]
    assert counts["unchanged"] == 3 and counts["assigned"] >= 2
    live = _live(campaign["id"])
    assert {h.id for h in rt1 + rt2} <= set(live) and set(live.values()) == {enumerator.id}
    entry = db.session.execute(sa.select(AuditEntry).where(AuditEntry.action == "assignment.assign")).scalars().first()
    assert entry.changes["rt"] == "001" and entry.actor_id == supervisor.id


def test_reassign_and_unassign_leave_tombstones_for_the_former_phone(client, auth_headers, db_session):
    headers = auth_headers(make_user("supervisor", ["64.72.01"]))
    first, second = make_user("enumerator", [KELURAHAN]), make_user("enumerator", ["64.72.01"])
    homes = [make_household(region_code=KELURAHAN) for _ in range(3)]
    campaign = _campaign(client, headers)
    url = f"/api/v1/campaigns/{campaign['id']}/assignments"
    ids = [str(h.id) for h in homes]
    client.post(url, json={"enumerator_id": first.id, "household_ids": ids}, headers=headers)
    moved = client.post(url, json={"enumerator_id": second.id, "household_ids": ids[:2]}, headers=headers)
    assert moved.get_json()["data"] == {"assigned": 2, "reassigned": 2, "unchanged": 0, "unassigned": 0}
    gone = client.post(f"{url}/unassign", json={"household_ids": ids[2:]}, headers=headers)
    assert gone.get_json()["data"]["unassigned"] == 1
    assert _live(campaign["id"]) == {homes[0].id: second.id, homes[1].id: second.id}
    tombstones = db.session.execute(sa.select(Tombstone.household_id, Tombstone.user_id, Tombstone.reason)).all()
    assert {(t.household_id, t.user_id) for t in tombstones} >= {(h.id, first.id) for h in homes}


def test_scope_rules_for_households_and_enumerators(client, auth_headers, db_session):
    headers = auth_headers(make_user("supervisor", ["64.72.01"]))
    enumerator = make_user("enumerator", [KELURAHAN])
    elsewhere = make_household(region_code=OTHER_KECAMATAN_KELURAHAN)
    inside_other_kelurahan = make_household(region_code="64.72.01.1002")
    campaign = _campaign(client, headers)
    url = f"/api/v1/campaigns/{campaign['id']}/assignments"
    hidden = client.post(
        url, json={"enumerator_id": enumerator.id, "household_ids": [str(elsewhere.id)]}, headers=headers
    )
    assert hidden.status_code == 404
    assert (
        client.post(
            url, json={"enumerator_id": enumerator.id, "kelurahan": OTHER_KECAMATAN_KELURAHAN}, headers=headers
        ).status_code
        == 404
    )
    outside_enumerator = client.post(
        url, json={"enumerator_id": enumerator.id, "household_ids": [str(inside_other_kelurahan.id)]}, headers=headers
    )
    assert outside_enumerator.status_code == 422
    reviewer = make_user("reviewer")
    assert (
        client.post(url, json={"enumerator_id": reviewer.id, "kelurahan": KELURAHAN}, headers=headers).status_code
        == 422
    )
    both = client.post(
        url, json={"enumerator_id": enumerator.id, "kelurahan": KELURAHAN, "household_ids": []}, headers=headers
    )
    assert both.status_code == 422
    assert _live(campaign["id"]) == {}


def test_progress_counts_per_enumerator_and_kelurahan(client, auth_headers, db_session):
    headers = auth_headers(make_user("supervisor", ["64.72.01"]))
    enumerator = make_user("enumerator", [KELURAHAN])
    homes = [make_household(region_code=KELURAHAN) for _ in range(3)]
    homes[0].verification_status = "approved"
    db.session.flush()
    campaign = _campaign(client, headers)
    client.post(
        f"/api/v1/campaigns/{campaign['id']}/assignments",
        json={"enumerator_id": enumerator.id, "household_ids": [str(h.id) for h in homes]},
        headers=headers,
    )
    progress = client.get(f"/api/v1/campaigns/{campaign['id']}/progress", headers=headers).get_json()["data"]
    assert progress["by_enumerator"] == [
        {
            "key": enumerator.username,
            "name": enumerator.full_name,
            "assigned": 3,
            "visited": 0,
            "approved": 1,
            "revisit": 0,
        }
    ]
    assert progress["by_kelurahan"][0]["key"] == KELURAHAN and progress["by_kelurahan"][0]["assigned"] == 3


def test_an_enumerator_id_must_be_a_json_whole_number(client, auth_headers, db_session):
    """`"12"` or `2.6` is not an id: 422 naming the field, and nothing is assigned (no silent rounding)."""
    headers = auth_headers(make_user("supervisor", ["64.72.01"]))
    enumerator = make_user("enumerator", [KELURAHAN])
    make_household(region_code=KELURAHAN)
    campaign = _campaign(client, headers)
    url = f"/api/v1/campaigns/{campaign['id']}/assignments"
    for written in (str(enumerator.id), enumerator.id + 0.6):
        answer = client.post(url, json={"enumerator_id": written, "kelurahan": KELURAHAN}, headers=headers)
        assert answer.status_code == 422, answer.get_json()
        assert "enumerator_id" in answer.get_json()["error"]["details"]["fields"]
    assert _live(campaign["id"]) == {}
    assert (
        client.post(url, json={"enumerator_id": enumerator.id, "kelurahan": KELURAHAN}, headers=headers).status_code
        == 200
    )
