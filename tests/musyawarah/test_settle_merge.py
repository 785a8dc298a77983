"""A merge (or duplicate) the musyawarah accepts moves the source's present members into the target: one
present head stays (the target's; the moved head becomes 'other'), members the target already lists by NIK
and members no longer present stay behind, the source is marked merged, both households' change history
records the move (and rebuilds their older versions), and a phone's next pull brings the target's new
members and drops the source."""

from __future__ import annotations

import uuid
from datetime import date

import sqlalchemy as sa

from server.campaigns.models import Assignment, Campaign
from server.extensions import db
from server.history.models import RegistryChange
from server.history.service import household_at_version
from server.households.models import Household, Member
from server.review.service import decide
from server.types import Presence, RegistryStatus, ReviewVia
from tests.factories import make_household, make_member, make_nik, make_user
from tests.review.conftest import make_visit
from tests.staff.conftest import staff_login  # noqa: F401 (fixture)

KELURAHAN = "64.72.01.1001"


def _pull(client, headers, cursor=None):
    households, tombstones = {}, []
    while True:
        url = "/api/v1/sync/pull?limit=500" + (f"&cursor={cursor}" if cursor else "")
        response = client.get(url, headers=headers)
        assert response.status_code == 200, response.get_json()
        body = response.get_json()
        households |= {household["id"]: household for household in body["data"]["households"]}
        tombstones += body["data"]["tombstones"]
        cursor = body["meta"]["next_cursor"]
        if not body["meta"]["has_more"]:
            return households, tombstones, cursor


def _members(household_id) -> dict[str, Member]:
    db.session.expire_all()
    rows = db.session.execute(sa.select(Member).where(Member.household_id == household_id)).scalars()
    return {member.name: member for member in rows}


def _merge_case():
    supervisor = make_user("supervisor", full_name="Supervisor Uji")
    enumerator = make_user("enumerator", full_name="Petugas Uji")
    campaign = Campaign(name="Verval 2026", period_start=date(2026, 1, 1), period_end=date(2026, 12, 31), active=True)
    db.session.add(campaign)
    db.session.flush()
    target = make_household(head_name="Kepala Tujuan", rw="001", rt="001")
    make_member(target, nik=make_nik(), name="Kepala Tujuan", relationship_code=1)
    twin = make_member(target, nik=make_nik(), name="Anak Tujuan", relationship_code=3)
    source = make_household(head_name="Kepala Ganda", rw="001", rt="002")
    make_member(source, nik=make_nik(), name="Kepala Ganda", relationship_code=1)
    make_member(source, nik=make_nik(), name="Istri Ganda", relationship_code=2)
    make_member(source, nik=twin.nik, name="Anak Tujuan (ganda)", relationship_code=3)  # the same person
    make_member(source, nik=make_nik(), name="Kakek Ganda", relationship_code=6, presence_status=Presence.DECEASED)
    for household in (target, source):
        db.session.add(Assignment(campaign_id=campaign.id, household_id=household.id, enumerator_id=enumerator.id))
    visit = make_visit(source, enumerator, outcome="duplicate", campaign_id=campaign.id)
    decide(None, visit.id, "approve", target_household_id=target.id, via=ReviewVia.POLICY)
    db.session.flush()
    return supervisor, enumerator, campaign, target, source


def _removal_row(client, headers, campaign_id, household_id):
    opened = client.post(
        "/api/v1/musyawarah", json={"campaign_id": campaign_id, "region_code": KELURAHAN}, headers=headers
    )
    round_id = opened.get_json()["data"]["id"]
    assert client.post(f"/api/v1/musyawarah/{round_id}/package", headers=headers).status_code == 202
    items = client.get(f"/api/v1/musyawarah/{round_id}/items", headers=headers).get_json()["data"]
    row = next(i for i in items if i["section"] == "hapus" and uuid.UUID(i["household_id"]) == household_id)
    assert row["evidence"]["reason"] == "ganda"
    return round_id, row


def test_an_accepted_duplicate_moves_the_present_members_into_the_target(client, auth_headers, db_session):
    supervisor, enumerator, campaign, target, source = _merge_case()
    phone = auth_headers(enumerator)
    _households, _tombstones, cursor = _pull(client, phone)
    versions = {"target": target.version, "source": source.version}
    headers = auth_headers(supervisor)
    round_id, row = _removal_row(client, headers, campaign.id, source.id)

    response = client.post(
        f"/api/v1/musyawarah/{round_id}/decisions",
        json={"decisions": [{"item_id": row["id"], "decision": "setuju"}]},
        headers=headers,
    )
    assert response.status_code == 200, response.get_json()
    result = response.get_json()["data"]["results"][0]
    assert result["status"] == "decided" and result["members_moved"] == 2 and result["heads_demoted"] == 1

    # the target: its own head stays the one present head; the source's head joins as 'other' (8)
    joined = _members(target.id)
    assert set(joined) == {"Kepala Tujuan", "Anak Tujuan", "Kepala Ganda", "Istri Ganda"}
    assert joined["Kepala Tujuan"].relationship_code == 1 and joined["Kepala Ganda"].relationship_code == 8
    assert joined["Istri Ganda"].relationship_code == 2
    # the source: marked merged into the target; the same person listed twice and the dead stay behind
    settled = db.session.get(Household, source.id)
    assert settled.registry_status == RegistryStatus.MERGED and settled.merged_into_id == target.id
    assert set(_members(source.id)) == {"Anak Tujuan (ganda)", "Kakek Ganda"}
    assert settled.version == versions["source"] + 1
    assert db.session.get(Household, target.id).version == versions["target"] + 1 == result["target_version"]

    # the change history records the move on both sides, and older versions are rebuilt with it
    moved_head = joined["Kepala Ganda"].id
    rows = db.session.execute(
        sa.select(RegistryChange.household_id, RegistryChange.member_id, RegistryChange.field, RegistryChange.state)
        .where(RegistryChange.source_kind == "musyawarah")
        .order_by(RegistryChange.id)
    ).all()
    assert {(r.household_id, r.member_id, r.field) for r in rows} == {
        (source.id, moved_head, "member_left"),
        (source.id, joined["Istri Ganda"].id, "member_left"),
        (target.id, moved_head, "member_joined"),
        (target.id, moved_head, "relationship_code"),
        (target.id, joined["Istri Ganda"].id, "member_joined"),
        (source.id, None, "registry_status"),  # ganda → digabung
    }
    assert {r.state for r in rows} == {"applied"}
    before_source = household_at_version(source.id, versions["source"])
    assert {m["name"] for m in before_source["members"].values()} >= {"Kepala Ganda", "Istri Ganda"}
    assert before_source["members"][str(moved_head)]["relationship_code"] == 1
    assert before_source["household"]["registry_status"] == "active"
    before_target = household_at_version(target.id, versions["target"])
    assert {m["name"] for m in before_target["members"].values()} == {"Kepala Tujuan", "Anak Tujuan"}

    # the phone: the target comes with its new members, the source is dropped as merged into it
    households, tombstones, _ = _pull(client, phone, cursor)
    pulled = households[str(target.id)]
    assert pulled["version"] == versions["target"] + 1
    assert {m["name"] for m in pulled["members"]} == set(joined)
    gone = next(t for t in tombstones if t["household_id"] == str(source.id))
    assert gone["reason"] == "merged" and gone["merged_into_id"] == str(target.id)


def test_a_merge_into_a_household_merged_meanwhile_is_refused_per_row(client, auth_headers, db_session):
    supervisor, _enumerator, campaign, target, source = _merge_case()
    headers = auth_headers(supervisor)
    round_id, row = _removal_row(client, headers, campaign.id, source.id)
    elsewhere = make_household()
    target.registry_status, target.merged_into_id = RegistryStatus.MERGED, elsewhere.id
    db.session.flush()
    response = client.post(
        f"/api/v1/musyawarah/{round_id}/decisions",
        json={"decisions": [{"item_id": row["id"], "decision": "setuju"}]},
        headers=headers,
    )
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["data"]["results"][0] == {
        "item_id": row["id"],
        "status": "refused",
        "code": "household.merged",
    }
    assert db.session.get(Household, source.id).registry_status == RegistryStatus.ACTIVE
    assert set(_members(source.id)) == {"Kepala Ganda", "Istri Ganda", "Anak Tujuan (ganda)", "Kakek Ganda"}


def test_the_household_page_names_the_move_and_masks_the_moved_numbers(client, auth_headers, staff_login, db_session):  # noqa: F811
    supervisor, _enumerator, campaign, target, source = _merge_case()
    headers = auth_headers(supervisor)
    round_id, row = _removal_row(client, headers, campaign.id, source.id)
    client.post(
        f"/api/v1/musyawarah/{round_id}/decisions",
        json={"decisions": [{"item_id": row["id"], "decision": "setuju"}]},
        headers=headers,
    )
    moved_nik = _members(target.id)["Istri Ganda"].nik
    staff_login(client, make_user("viewer", ["64.72.01"]))
    page = client.get(f"/staff/rumah-tangga/{target.id}").text
    assert "Anggota masuk" in page and "member_joined" not in page
    assert "Istri Ganda" in page and moved_nik not in page  # the history's member values masked for a viewer
    left = client.get(f"/staff/rumah-tangga/{source.id}").text
    assert "Anggota keluar" in left and moved_nik not in left
