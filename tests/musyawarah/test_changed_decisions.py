"""Decisions change after an admin's unlock (and before any lock): what the previous decision did to the
registry is undone (a removal, a correction's reversal, a field proposal's removal, a merge's member moves),
the new decision applied to fresh proposals, and the change history keeps every decision; the same decision
again changes nothing. Locking again signs a new version of the berita acara: a re-lock after changed
decisions needs a newly generated one (its PDF says which version it replaces), and every version is kept."""

from __future__ import annotations

import io
import uuid

import sqlalchemy as sa
from openpyxl import load_workbook
from pypdf import PdfReader

from server.campaigns.models import Assignment
from server.extensions import db
from server.history.models import RegistryChange
from server.households.models import Household, Member
from server.types import RegistryStatus
from tests.factories import make_user
from tests.musyawarah.test_musyawarah import KELURAHAN, _household, _items, _open, _package, city  # noqa: F401
from tests.musyawarah.test_settle_merge import _members, _merge_case, _pull, _removal_row


def _decide(client, headers, round_id, *decisions):
    response = client.post(
        f"/api/v1/musyawarah/{round_id}/decisions", json={"decisions": list(decisions)}, headers=headers
    )
    assert response.status_code == 200, response.get_json()
    return response.get_json()["data"]


def _lock(client, headers, round_id, content=b"%PDF-1.4 signed"):
    return client.post(
        f"/api/v1/musyawarah/{round_id}/lock",
        data={"file": (io.BytesIO(content), "ba.pdf", "application/pdf")},
        headers=headers,
    )


def _history(household_id, member_id=None):
    query = sa.select(RegistryChange.field, RegistryChange.state, RegistryChange.source_kind, RegistryChange.reason)
    query = query.where(RegistryChange.household_id == household_id).order_by(RegistryChange.id)
    if member_id is not None:
        query = query.where(RegistryChange.member_id == member_id)
    return db.session.execute(query).all()


def test_after_an_unlock_decisions_change_and_the_relock_signs_a_new_version(client, auth_headers, city):  # noqa: F811
    headers = auth_headers(city["supervisor"])
    homes = city["homes"]
    round_id = _open(client, headers, city["campaign"].id)["id"]
    _package(client, headers, round_id)
    rows = {(i["section"], i["evidence"]["name"]): i["id"] for i in _items(client, headers, round_id)}
    deceased = rows[("hapus", "Kepala deceased")]
    correction = rows[("perbaikan", "Nama Baru")]
    proposal = rows[("usulan_baru", homes["proposal"][0].head_name)]
    first = _decide(
        client,
        headers,
        round_id,
        {"item_id": deceased, "decision": "setuju"},
        {"item_id": correction, "decision": "tidak_setuju", "remarks": "Salah ketik"},
        {"item_id": proposal, "decision": "tidak_setuju", "remarks": "Bukan warga"},
    )
    assert first["counts"]["decided"] == 3
    everything = client.post(
        f"/api/v1/musyawarah/{round_id}/decisions/all", json={"decision": "setuju"}, headers=headers
    )
    assert everything.get_json()["data"]["state"] == "held"
    assert _lock(client, headers, round_id).status_code == 200
    refused = client.post(
        f"/api/v1/musyawarah/{round_id}/decisions",
        json={"decisions": [{"item_id": deceased, "decision": "tidak_setuju", "remarks": "Masih hidup"}]},
        headers=headers,
    )
    assert refused.status_code == 409 and refused.get_json()["error"]["code"] == "musyawarah.locked"
    admin = auth_headers(make_user("admin"))
    reopened = client.post(
        f"/api/v1/musyawarah/{round_id}/unlock", json={"reason": "Ada keberatan warga"}, headers=admin
    )
    assert reopened.status_code == 200 and reopened.get_json()["data"]["berita_version"] == 2

    household, head = homes["deceased"]
    settled_version = _household(household.id).version
    changed = _decide(
        client,
        headers,
        round_id,
        {"item_id": deceased, "decision": "tidak_setuju", "remarks": "Masih hidup"},
        {"item_id": correction, "decision": "setuju"},
        {"item_id": proposal, "decision": "setuju"},
        {"item_id": rows[("hapus", "Kepala missing")], "decision": "setuju"},  # the same decision again
    )
    assert changed["counts"] == {"decided": 0, "changed": 3, "unchanged": 1, "refused": 0}
    assert changed["state"] == "held" and changed["undecided"] == 0
    # the removal undone: active again, its head present, one version up for the phones
    back = _household(household.id)
    assert back.registry_status == RegistryStatus.ACTIVE and back.version == settled_version + 1
    assert db.session.get(Member, head.id).presence_status == "present"
    history = _history(household.id)
    assert ("registry_status", "reverted", "review", "Masih hidup") in history  # accepted once, undone
    assert ("registry_status", "applied", "musyawarah", None) in history  # the undoing
    assert {row for row in history if row.state == "overturned"} == {  # fresh proposals, overturned
        ("registry_status", "overturned", "review", "Masih hidup"),
        ("presence_status", "overturned", "review", "Masih hidup"),
    }
    # the correction stands again; the field proposal is in the registry after all
    corrected_head = homes["corrected"][1]
    assert db.session.get(Member, corrected_head.id).name == "Nama Baru"
    assert _household(homes["proposal"][0].id).registry_status == RegistryStatus.ACTIVE

    # changed back once more: the history keeps each decision
    again = _decide(
        client,
        headers,
        round_id,
        {"item_id": deceased, "decision": "setuju"},
        {"item_id": correction, "decision": "tidak_setuju", "remarks": "Tetap salah ketik"},
    )
    assert again["counts"]["changed"] == 2
    assert _household(household.id).registry_status == RegistryStatus.DECEASED
    assert db.session.get(Member, head.id).presence_status == "deceased"
    assert db.session.get(Member, corrected_head.id).name == "Kepala corrected"
    states = [
        row.state for row in _history(household.id) if row.field == "registry_status" and row.source_kind == "review"
    ]
    assert states == ["reverted", "overturned", "accepted"]

    # the re-lock signs a new berita acara: refused until the package is generated again
    stale = _lock(client, headers, round_id)
    assert stale.status_code == 409 and stale.get_json()["error"]["code"] == "musyawarah.berita_outdated"
    _package(client, headers, round_id)
    # the lists generated again show what was decided; imported back as they are, they change nothing
    lists = client.get(f"/api/v1/musyawarah/{round_id}/lists.xlsx", headers=headers)
    sheet = load_workbook(io.BytesIO(lists.data))["Usulan hapus"]
    shown = {row[7]: (row[17], row[18]) for row in sheet.iter_rows(min_row=4, values_only=True) if row[0]}
    assert shown["Kepala deceased"] == ("setuju", None) and shown["Kepala missing"] == ("setuju", None)
    same = client.post(
        f"/api/v1/musyawarah/{round_id}/decisions/import",
        data={"file": (io.BytesIO(lists.data), "daftar.xlsx")},
        headers=headers,
    )
    assert same.get_json()["data"]["counts"] == {"decided": 0, "changed": 0, "unchanged": 10, "refused": 0}
    new_rows = [(i["section"], i["evidence"]["name"]) for i in _items(client, headers, round_id) if not i["decision"]]
    assert new_rows == [("tanpa_bantuan", homes["proposal"][0].head_name)]  # in the registry now, without aid
    pdf = client.get(f"/api/v1/musyawarah/{round_id}/berita-acara.pdf", headers=headers)
    text = " ".join(" ".join(page.extract_text().split()) for page in PdfReader(io.BytesIO(pdf.data)).pages)
    assert "Versi 2, menggantikan berita acara versi 1" in text and "Ada keberatan warga" in text
    assert "Usulan penghapusan / Proposed removals 2 2 0" in text  # the decisions it signs
    client.post(f"/api/v1/musyawarah/{round_id}/decisions/all", json={"decision": "setuju"}, headers=headers)
    relocked = _lock(client, headers, round_id, b"%PDF-1.4 signed again")
    assert relocked.status_code == 200, relocked.get_json()
    view = relocked.get_json()["data"]
    assert view["state"] == "locked" and view["berita_version"] == 2
    first_lock, second_lock = view["locks"]
    assert first_lock["number"] == 1 and first_lock["unlock_reason"] == "Ada keberatan warga"
    assert first_lock["counts"]["usulan_baru"] == {"rows": 1, "decided": 1, "setuju": 0, "tidak_setuju": 1}
    assert second_lock["number"] == 2 and second_lock["unlocked_at"] is None
    assert second_lock["counts"]["usulan_baru"] == {"rows": 1, "decided": 1, "setuju": 1, "tidak_setuju": 0}
    assert first_lock["scan_sha256"] != second_lock["scan_sha256"]
    assert client.get(f"/api/v1/musyawarah/{round_id}/scan", headers=headers).data == b"%PDF-1.4 signed again"
    # the city rekap names the kelurahan's signed version
    rekap = client.post(
        "/api/v1/musyawarah/rekap", json={"campaign_id": city["campaign"].id, "region": "64.72.01"}, headers=headers
    ).get_json()["data"]
    rawa = next(row for row in rekap["result"]["snapshot"]["rows"] if row["region_code"] == KELURAHAN)
    assert rawa["state"] == "locked" and rawa["signed_versions"] == 2
    sheet = load_workbook(io.BytesIO(client.get(f"/api/v1/jobs/{rekap['id']}/file", headers=headers).data))["Rekap"]
    rawa_row = next(row for row in sheet.iter_rows(values_only=True) if row[0] == KELURAHAN)
    assert rawa_row[-1] == 2
    pdf = client.get(f"/api/v1/musyawarah/rekap/{rekap['id']}.pdf", headers=headers)
    assert "locked (versi 2)" in " ".join(PdfReader(io.BytesIO(pdf.data)).pages[0].extract_text().split())


def test_an_unlock_that_changes_no_decision_relocks_with_a_new_scan(client, auth_headers, city):  # noqa: F811
    headers = auth_headers(city["supervisor"])
    round_id = _open(client, headers, city["campaign"].id)["id"]
    _package(client, headers, round_id)
    client.post(f"/api/v1/musyawarah/{round_id}/decisions/all", json={"decision": "setuju"}, headers=headers)
    assert _lock(client, headers, round_id, b"%PDF-1.4 wrong page").status_code == 200
    admin = auth_headers(make_user("admin"))
    client.post(f"/api/v1/musyawarah/{round_id}/unlock", json={"reason": "Lampiran keliru"}, headers=admin)
    relocked = _lock(client, headers, round_id, b"%PDF-1.4 right page")
    assert relocked.status_code == 200 and [lock["number"] for lock in relocked.get_json()["data"]["locks"]] == [1, 2]


def test_an_accepted_merge_changed_to_not_agreed_moves_the_members_back(client, auth_headers, db_session):
    supervisor, enumerator, campaign, target, source = _merge_case()
    headers = auth_headers(supervisor)
    round_id, row = _removal_row(client, headers, campaign.id, source.id)
    _decide(client, headers, round_id, {"item_id": row["id"], "decision": "setuju"})
    merged_version = _household(target.id).version
    assert set(_members(target.id)) == {"Kepala Tujuan", "Anak Tujuan", "Kepala Ganda", "Istri Ganda"}
    phone = auth_headers(enumerator)
    households, _tombstones, cursor = _pull(client, phone)
    assert str(source.id) not in households  # dropped while merged

    undone = _decide(
        client, headers, round_id, {"item_id": row["id"], "decision": "tidak_setuju", "remarks": "Bukan ganda"}
    )
    assert undone["results"][0]["status"] == "changed"
    back = _household(source.id)
    assert back.registry_status == RegistryStatus.ACTIVE and back.merged_into_id is None
    members = _members(source.id)
    assert set(members) == {"Kepala Ganda", "Istri Ganda", "Anak Tujuan (ganda)", "Kakek Ganda"}
    assert members["Kepala Ganda"].relationship_code == 1  # the head again
    assert set(_members(target.id)) == {"Kepala Tujuan", "Anak Tujuan"}
    assert _household(target.id).version == merged_version + 1  # phones pull the target without them
    live = db.session.execute(
        sa.select(Assignment).where(Assignment.household_id == source.id, Assignment.unassigned_at.is_(None))
    ).scalars()
    assert len(list(live)) == 1  # back on the enumerator's list
    moves = [
        (row.field, row.state)
        for row in _history(source.id, members["Kepala Ganda"].id)
        if row.field in ("member_left", "member_joined")
    ]
    assert moves == [("member_left", "reverted"), ("member_joined", "applied")]
    # the phone's next pull: the source is back with its members, the target without them
    households, _tombstones, _ = _pull(client, phone, cursor)
    assert {m["name"] for m in households[str(source.id)]["members"]} == {
        "Kepala Ganda",
        "Istri Ganda",
        "Anak Tujuan (ganda)",
        "Kakek Ganda",
    }
    assert {m["name"] for m in households[str(target.id)]["members"]} == {"Kepala Tujuan", "Anak Tujuan"}

    # and agreed once more: folded again
    again = _decide(client, headers, round_id, {"item_id": row["id"], "decision": "setuju"})
    assert again["results"][0]["members_moved"] == 2
    assert db.session.get(Household, source.id).registry_status == RegistryStatus.MERGED
    assert set(_members(target.id)) == {"Kepala Tujuan", "Anak Tujuan", "Kepala Ganda", "Istri Ganda"}
    assert uuid.UUID(str(db.session.get(Household, source.id).merged_into_id)) == target.id
