"""The musyawarah kelurahan end to end on a hand-built kelurahan: a round goes open → ready → held → locked;
the lists hold exactly the approved findings (grouped by section, NIK and No. KK kept as 16-digit text); the
berita acara's text names the kelurahan, the counts and the signature blocks; decisions recorded on rows or
imported from the filled-in XLSX apply accepted changes and revert overturned ones; a locked round refuses
decisions until an admin unlocks it; an older registry import does not override a locked round."""

from __future__ import annotations

import io
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook
from pypdf import PdfReader

from server.aid.models import AidProgram, AidReceipt
from server.audit.models import AuditEntry
from server.campaigns.models import Campaign
from server.extensions import db
from server.history.models import RegistryChange
from server.households.models import Household, Member
from server.imports.queries import rejections_of
from server.imports.service import import_registry
from server.musyawarah.models import MusyawarahRound
from server.review.service import decide
from server.types import HouseholdSource, RegistryStatus, ReviewVia
from tests.factories import make_household, make_member, make_nik, make_user
from tests.review.conftest import make_visit

KELURAHAN = "64.72.01.1001"


@pytest.fixture
def city(db_session):
    """A campaign and, in Rawa Makmur, one household per kind of finding; one more elsewhere and one whose
    visit still waits for review (neither belongs in the lists)."""
    supervisor = make_user("supervisor", full_name="Supervisor Uji")
    enumerator = make_user("enumerator", full_name="Petugas Uji")
    campaign = Campaign(name="Verval 2026", period_start=date(2026, 1, 1), period_end=date(2026, 12, 31))
    db.session.add(campaign)
    db.session.flush()
    homes = {}

    def home(key, rw, rt, **values):
        household = make_household(rw=rw, rt=rt, head_name=f"Kepala {key}", **values)
        head = make_member(household, nik=make_nik(), name=f"Kepala {key}")
        homes[key] = (household, head)
        return household, head

    def approve(household, outcome="found", answers=None):
        visit = make_visit(household, enumerator, outcome=outcome, answers=answers, campaign_id=campaign.id)
        decide(None, visit.id, "approve", via=ReviewVia.POLICY)
        return visit

    corrected, head = home("corrected", "001", "002")
    approve(corrected, answers={"members": [{"member_id": str(head.id), "presence": "present", "name": "Nama Baru"}]})
    deceased, _ = home("deceased", "002", "001")
    approve(deceased, "deceased")
    pkh = db.session.execute(sa.select(AidProgram).where(AidProgram.code == "PKH")).scalar_one()
    db.session.add(  # still paid: an inclusion error the forum sees
        AidReceipt(
            program_id=pkh.id,
            household_id=deceased.id,
            period_start=date(2026, 1, 1),
            period_end=date(2026, 12, 31),
            amount=3_000_000,
            source="agency_list",
            status="disbursed",
        )
    )
    missing, _ = home("missing", "001", "001")
    approve(missing, "not_found")
    members, _ = home("members", "002", "003")
    child = make_member(members, relationship_code=3, name="Anak Pindah")
    approve(members, answers={"members": [{"member_id": str(child.id), "presence": "moved"}]})
    proposal = make_household(
        registry_id=None, source=HouseholdSource.FIELD, registry_status=RegistryStatus.PROPOSED, rw="003", rt="001"
    )
    homes["proposal"] = (proposal, None)
    approve(
        proposal, answers={"members": [{"presence": "new", "name": "Warga Baru", "sex": 2, "relationship_code": 1}]}
    )
    waiting, _ = home("waiting", "001", "001")
    make_visit(waiting, enumerator, outcome="deceased", campaign_id=campaign.id)
    elsewhere, _ = home("elsewhere", "001", "001", region_code="64.72.01.1002")
    approve(elsewhere, "deceased")
    db.session.flush()
    return {"campaign": campaign, "supervisor": supervisor, "homes": homes}


def _open(client, headers, campaign_id, region=KELURAHAN):
    response = client.post(
        "/api/v1/musyawarah", json={"campaign_id": campaign_id, "region_code": region}, headers=headers
    )
    assert response.status_code == 201, response.get_json()
    return response.get_json()["data"]


def _package(client, headers, round_id):
    response = client.post(f"/api/v1/musyawarah/{round_id}/package", headers=headers)
    assert response.status_code == 202, response.get_json()
    job = response.get_json()["data"]
    assert job["state"] == "done", job
    return job


def _items(client, headers, round_id):
    response = client.get(f"/api/v1/musyawarah/{round_id}/items", headers=headers)
    assert response.status_code == 200, response.get_json()
    return response.get_json()["data"]


def _state(client, headers, round_id):
    return client.get(f"/api/v1/musyawarah/{round_id}", headers=headers).get_json()["data"]


def _by_household(items, homes):
    names = {household.id: key for key, (household, _head) in homes.items()}
    return {(item["section"], names[uuid.UUID(item["household_id"])]) for item in items}


def _household(household_id) -> Household:
    db.session.expire_all()
    return db.session.get(Household, household_id)


def test_lists_hold_exactly_the_approved_findings_and_the_files_read_back(client, auth_headers, city):
    headers = auth_headers(city["supervisor"])
    opened = _open(client, headers, city["campaign"].id)
    assert opened["state"] == "open" and opened["kelurahan"] == "Rawa Makmur"
    assert _open(client, headers, city["campaign"].id)["id"] == opened["id"]  # asking again: the same round
    _package(client, headers, opened["id"])
    items = _items(client, headers, opened["id"])
    assert _by_household(items, city["homes"]) == {
        ("tetap", "corrected"),
        ("tetap", "members"),
        ("perbaikan", "corrected"),
        ("hapus", "deceased"),
        ("hapus", "missing"),
        ("anggota", "members"),
        ("usulan_baru", "proposal"),
        ("inklusi", "deceased"),
        ("tanpa_bantuan", "corrected"),  # desil 2, present, no aid at all
        ("tanpa_bantuan", "members"),
    }
    inclusion = next(item for item in items if item["section"] == "inklusi")
    assert inclusion["evidence"]["reason"] == "meninggal" and "PKH" in inclusion["evidence"]["change"]
    removal = {item["evidence"]["name"]: item for item in items if item["section"] == "hapus"}
    assert removal["Kepala deceased"]["evidence"]["reason"] == "meninggal"
    assert removal["Kepala missing"]["evidence"]["reason"] == "tidak ditemukan"
    evidence = removal["Kepala deceased"]["evidence"]
    assert evidence["enumerator"] == "Petugas Uji" and evidence["outcome"] == "deceased" and evidence["photos"] == 0
    assert "status_change" not in evidence["flags"]  # made directly in the test: no push flags
    state = _state(client, headers, opened["id"])
    assert state["state"] == "ready" and state["counts"]["hapus"]["rows"] == 2

    # The XLSX: one sheet per section, RW/RT groups, every NIK and No. KK as 16-digit text.
    lists = client.get(f"/api/v1/musyawarah/{opened['id']}/lists.xlsx", headers=headers)
    assert lists.status_code == 200
    book = load_workbook(io.BytesIO(lists.data))
    assert book.sheetnames[:5] == ["Tetap", "Perbaikan data", "Usulan hapus", "Perubahan anggota", "Usulan baru"]
    sheet = book["Usulan hapus"]
    header = [cell.value for cell in sheet[3]]
    rows = [dict(zip(header, (cell.value for cell in row), strict=False)) for row in sheet.iter_rows(min_row=4)]
    data_rows = [row for row in rows if row["ID baris"] is not None]
    groups = [row["No."] for row in rows if row["ID baris"] is None]
    assert groups == ["RW 001 / RT 001", "RW 002 / RT 001"]  # grouped by RW/RT, in order
    deceased_household, deceased_head = city["homes"]["deceased"]
    row = next(row for row in data_rows if row["Nama kepala keluarga"] == "Kepala deceased")
    assert row["NIK"] == deceased_head.nik and isinstance(row["NIK"], str) and len(row["NIK"]) == 16
    assert row["No. KK"] == deceased_household.kk_number and len(row["No. KK"]) == 16
    assert row["Keputusan (setuju / tidak setuju)"] is None and row["Keterangan"] is None
    assert row["Alasan"] == "meninggal" and row["Petugas"] == "Petugas Uji" and row["Jumlah foto"] == 0

    # The berita acara: its text holds the kelurahan, the counts and the signature blocks.
    pdf = client.get(f"/api/v1/musyawarah/{opened['id']}/berita-acara.pdf", headers=headers)
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF-")
    reader = PdfReader(io.BytesIO(pdf.data))
    assert reader.pages[0].mediabox.width == pytest.approx(595.3, abs=1)  # A4
    text = " ".join(" ".join(page.extract_text().split()) for page in reader.pages)
    assert "RAWA MAKMUR" in text and "Palaran" in text
    assert "Usulan penghapusan / Proposed removals 2 0 0" in text
    assert "Tetap (terverifikasi di lapangan) / Confirmed in the field 2 0 0" in text
    assert "Kesalahan inklusi / Inclusion errors 1 0 0" in text
    assert "Layak tanpa bantuan / Eligible without aid 2 0 0" in text
    assert "Jumlah / Total 10" in text
    for signatory in ("Lurah", "Ketua LPM", "Petugas verval / Pekerja sosial", "Dinas Sosial"):
        assert signatory in text


def test_a_round_goes_open_ready_held_locked_and_decisions_settle_the_registry(client, auth_headers, city):
    headers = auth_headers(city["supervisor"])
    round_id = _open(client, headers, city["campaign"].id)["id"]
    early = client.post(
        f"/api/v1/musyawarah/{round_id}/decisions",
        json={"decisions": [{"item_id": 1, "decision": "setuju"}]},
        headers=headers,
    )
    assert early.status_code == 409 and early.get_json()["error"]["code"] == "musyawarah.wrong_state"
    _package(client, headers, round_id)
    items = {(item["section"], item["evidence"]["name"]): item for item in _items(client, headers, round_id)}
    homes = city["homes"]
    deceased, missing, members, corrected = (homes[key][0] for key in ("deceased", "missing", "members", "corrected"))
    proposal = homes["proposal"][0]
    versions = {key: _household(household.id).version for key, (household, _h) in homes.items()}

    no_reason = client.post(
        f"/api/v1/musyawarah/{round_id}/decisions",
        json={"decisions": [{"item_id": items[("hapus", "Kepala missing")]["id"], "decision": "tidak_setuju"}]},
        headers=headers,
    )
    assert no_reason.status_code == 422
    decisions = [
        {"item_id": items[("hapus", "Kepala deceased")]["id"], "decision": "setuju"},
        {"item_id": items[("hapus", "Kepala missing")]["id"], "decision": "tidak_setuju", "remarks": "Masih tinggal"},
        {"item_id": items[("anggota", "Kepala members")]["id"], "decision": "setuju"},
        {
            "item_id": items[("perbaikan", "Nama Baru")]["id"],
            "decision": "tidak_setuju",
            "remarks": "Salah ketik",
        },
        {"item_id": items[("usulan_baru", proposal.head_name)]["id"], "decision": "setuju"},
    ]
    response = client.post(f"/api/v1/musyawarah/{round_id}/decisions", json={"decisions": decisions}, headers=headers)
    assert response.status_code == 200, response.get_json()
    outcome = response.get_json()["data"]
    assert outcome["counts"] == {"decided": 5, "changed": 0, "unchanged": 0, "refused": 0}
    assert outcome["state"] == "ready"
    assert outcome["undecided"] == 5  # tetap 2, inklusi 1, tanpa_bantuan 2

    # accepted: the household removed as deceased (its head too), version bumped for the phones
    settled = _household(deceased.id)
    assert settled.registry_status == RegistryStatus.DECEASED and settled.version == versions["deceased"] + 1
    assert {m.presence_status for m in settled.members} == {"deceased"}
    states = db.session.execute(
        sa.select(RegistryChange.state, RegistryChange.household_version).where(
            RegistryChange.household_id == deceased.id, RegistryChange.source_kind == "review"
        )
    ).all()
    assert set(states) == {("accepted", settled.version)}
    # overturned: still active, its proposals overturned with the forum's reason
    kept = _household(missing.id)
    assert kept.registry_status == RegistryStatus.ACTIVE and kept.version == versions["missing"]
    reasons = db.session.execute(
        sa.select(RegistryChange.state, RegistryChange.reason).where(RegistryChange.household_id == missing.id)
    ).all()
    assert set(reasons) == {("overturned", "Masih tinggal")}
    # member change accepted
    child = db.session.execute(sa.select(Member).where(Member.name == "Anak Pindah")).scalar_one()
    assert child.presence_status == "moved" and _household(members.id).version == versions["members"] + 1
    # correction not agreed: reverted, and the undoing recorded
    head = homes["corrected"][1]
    assert db.session.get(Member, head.id).name == "Kepala corrected"
    rows = db.session.execute(
        sa.select(RegistryChange.field, RegistryChange.state, RegistryChange.source_kind).where(
            RegistryChange.household_id == corrected.id, RegistryChange.member_id == head.id
        )
    ).all()
    assert set(rows) == {("name", "reverted", "review"), ("name", "applied", "musyawarah")}
    # new household accepted into the registry
    assert _household(proposal.id).registry_status == RegistryStatus.ACTIVE

    again = client.post(f"/api/v1/musyawarah/{round_id}/decisions", json={"decisions": decisions[:1]}, headers=headers)
    assert again.get_json()["data"]["results"][0]["status"] == "unchanged"  # the same decision again
    not_yet = client.post(
        f"/api/v1/musyawarah/{round_id}/lock",
        data={"file": (io.BytesIO(b"%PDF-1.4 signed"), "ba.pdf", "application/pdf")},
        headers=headers,
    )
    assert not_yet.status_code == 409 and not_yet.get_json()["error"]["code"] == "musyawarah.wrong_state"
    held = client.post(f"/api/v1/musyawarah/{round_id}/decisions/all", json={"decision": "setuju"}, headers=headers)
    assert held.status_code == 200 and held.get_json()["data"]["state"] == "held"

    bad = client.post(
        f"/api/v1/musyawarah/{round_id}/lock",
        data={"file": (io.BytesIO(b"not a scan"), "ba.pdf", "application/pdf")},
        headers=headers,
    )
    assert bad.status_code == 422
    locked = client.post(
        f"/api/v1/musyawarah/{round_id}/lock",
        data={"file": (io.BytesIO(b"%PDF-1.4 signed berita acara"), "ba-rawa-makmur.pdf", "application/pdf")},
        headers=headers,
    )
    assert locked.status_code == 200, locked.get_json()
    assert locked.get_json()["data"]["state"] == "locked" and locked.get_json()["data"]["has_scan"]
    scan = client.get(f"/api/v1/musyawarah/{round_id}/scan", headers=headers)
    assert scan.status_code == 200 and scan.data == b"%PDF-1.4 signed berita acara"

    # locked: no decisions, no new package; only an admin unlocks, with a reason
    refused = client.post(f"/api/v1/musyawarah/{round_id}/decisions/all", json={"decision": "setuju"}, headers=headers)
    assert refused.status_code == 409 and refused.get_json()["error"]["code"] == "musyawarah.locked"
    repackage = client.post(f"/api/v1/musyawarah/{round_id}/package", headers=headers)
    assert repackage.status_code == 409 and repackage.get_json()["error"]["code"] == "musyawarah.locked"
    assert (
        client.post(f"/api/v1/musyawarah/{round_id}/unlock", json={"reason": "Salah"}, headers=headers).status_code
        == 403
    )
    admin = auth_headers(make_user("admin"))
    unlocked = client.post(f"/api/v1/musyawarah/{round_id}/unlock", json={"reason": "Lampiran keliru"}, headers=admin)
    assert unlocked.status_code == 200 and unlocked.get_json()["data"]["state"] == "held"
    actions = db.session.execute(
        sa.select(AuditEntry.action).where(
            AuditEntry.object_id == str(round_id), AuditEntry.object_type == "musyawarah"
        )
    ).scalars()
    assert {"musyawarah.open", "musyawarah.package", "musyawarah.held", "musyawarah.lock", "musyawarah.unlock"} <= set(
        actions
    )
    decided = db.session.execute(sa.select(AuditEntry).where(AuditEntry.action == "musyawarah.decide")).scalars().all()
    assert len(decided) == 10


def test_decisions_imported_from_the_filled_in_lists(client, auth_headers, city):
    headers = auth_headers(city["supervisor"])
    round_id = _open(client, headers, city["campaign"].id)["id"]
    _package(client, headers, round_id)
    lists = client.get(f"/api/v1/musyawarah/{round_id}/lists.xlsx", headers=headers)
    book = load_workbook(io.BytesIO(lists.data))
    filled = {"Kepala deceased": ("setuju", None), "Kepala missing": ("Tidak Setuju", "Ditemukan kembali")}
    for sheet, names in (
        ("Usulan hapus", filled),
        ("Perbaikan data", {"Nama Baru": ("tidak setuju", "Keliru")}),
    ):
        for row in book[sheet].iter_rows(min_row=4):
            if row[7].value in names:
                row[17].value, row[18].value = names[row[7].value]
    out = io.BytesIO()
    book.save(out)
    response = client.post(
        f"/api/v1/musyawarah/{round_id}/decisions/import",
        data={"file": (io.BytesIO(out.getvalue()), "daftar.xlsx")},
        headers=headers,
    )
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["data"]["counts"] == {"decided": 3, "changed": 0, "unchanged": 0, "refused": 0}
    homes = city["homes"]
    # the correction the forum did not agree to is reverted
    assert db.session.get(Member, homes["corrected"][1].id).name == "Kepala corrected"
    again = client.post(  # the same file again changes nothing
        f"/api/v1/musyawarah/{round_id}/decisions/import",
        data={"file": (io.BytesIO(out.getvalue()), "daftar.xlsx")},
        headers=headers,
    )
    assert again.get_json()["data"]["counts"] == {"decided": 0, "changed": 0, "unchanged": 3, "refused": 0}
    assert _household(homes["deceased"][0].id).registry_status == RegistryStatus.DECEASED
    assert _household(homes["missing"][0].id).registry_status == RegistryStatus.ACTIVE
    overturned = db.session.execute(
        sa.select(RegistryChange.state, RegistryChange.reason).where(
            RegistryChange.household_id == homes["missing"][0].id
        )
    ).all()
    assert set(overturned) == {("overturned", "Ditemukan kembali")}
    garbage = client.post(
        f"/api/v1/musyawarah/{round_id}/decisions/import",
        data={"file": (io.BytesIO(b"not a workbook"), "daftar.xlsx")},
        headers=headers,
    )
    assert garbage.status_code == 422


def test_rounds_are_area_scoped_and_the_city_rekap_is_a_frozen_snapshot(client, auth_headers, city):
    headers = auth_headers(city["supervisor"])
    elsewhere = auth_headers(make_user("supervisor", regions=("64.72.02",)))
    round_id = _open(client, headers, city["campaign"].id)["id"]
    assert client.get(f"/api/v1/musyawarah/{round_id}", headers=elsewhere).status_code == 404
    outside = client.post(
        "/api/v1/musyawarah", json={"campaign_id": city["campaign"].id, "region_code": KELURAHAN}, headers=elsewhere
    )
    assert outside.status_code == 404
    not_kelurahan = client.post(
        "/api/v1/musyawarah", json={"campaign_id": city["campaign"].id, "region_code": "64.72.01"}, headers=headers
    )
    assert not_kelurahan.status_code == 422
    assert client.get("/api/v1/musyawarah", headers=elsewhere).get_json()["data"] == []
    _package(client, headers, round_id)
    response = client.post(
        "/api/v1/musyawarah/rekap", json={"campaign_id": city["campaign"].id, "region": "64.72.01"}, headers=headers
    )
    assert response.status_code == 202, response.get_json()
    job = response.get_json()["data"]
    assert job["state"] == "done"
    frozen = job["result"]["snapshot"]
    rawa = next(row for row in frozen["rows"] if row["region_code"] == KELURAHAN)
    assert rawa["state"] == "ready" and rawa["sections"]["hapus"]["rows"] == 2
    assert frozen["states"]["ready"] == 1 and frozen["states"]["none"] == len(frozen["rows"]) - 1
    xlsx = client.get(f"/api/v1/jobs/{job['id']}/file", headers=headers)
    assert xlsx.status_code == 200
    sheet = load_workbook(io.BytesIO(xlsx.data))["Rekap"]
    rawa_row = next(row for row in sheet.iter_rows(values_only=True) if row[0] == KELURAHAN)
    assert rawa_row[2] == "Rawa Makmur" and rawa_row[3] == "ready"
    pdf = client.get(f"/api/v1/musyawarah/rekap/{job['id']}.pdf", headers=headers)
    assert pdf.status_code == 200
    text = " ".join(PdfReader(io.BytesIO(pdf.data)).pages[0].extract_text().split())
    assert "Rawa Makmur" in text and "Wali Kota" in text


SAMPLE = (Path(__file__).parent.parent / "imports" / "data" / "registry_sample.csv").read_bytes()


def test_an_older_registry_import_does_not_override_a_locked_round(app, db_session):
    import_registry(SAMPLE, "a.csv", actor=None, dry_run=False)
    campaign = Campaign(name="Verval", period_start=date(2026, 1, 1), period_end=date(2026, 12, 31))
    db.session.add(campaign)
    db.session.flush()
    household = db.session.execute(sa.select(Household).where(Household.registry_id == "DTKS-0001")).scalar_one()
    db.session.add(
        MusyawarahRound(
            campaign_id=campaign.id, region_code=household.region_code, state="locked", locked_at=datetime.now(UTC)
        )
    )
    db.session.flush()
    old_file = SAMPLE.decode().replace(",001,002,64.72.01.1001,2,-0.6172", ",009,002,64.72.01.1001,2,-0.6172")
    imported = import_registry(
        old_file.encode(), "old.csv", actor=None, dry_run=False, as_of=date.today() - timedelta(days=7)
    )
    db.session.expire_all()
    assert db.session.get(Household, household.id).rt == "001"
    warnings = [r for r in rejections_of(import_id=imported.id) if r.code == "warning.locked_round_newer"]
    assert {(w.record_key, w.column) for w in warnings} == {("DTKS-0001", "rt")}
    assert imported.counts["locked_conflicts"] == 1
    # A file extracted after the lock is the newer word.
    newer = import_registry(
        old_file.encode(), "new.csv", actor=None, dry_run=False, as_of=date.today() + timedelta(days=1)
    )
    db.session.expire_all()
    assert db.session.get(Household, household.id).rt == "009" and newer.counts["locked_conflicts"] == 0


def test_a_campaign_id_must_be_a_json_whole_number(client, auth_headers, city):
    """Opening a round or asking the city rekap with `"12"` or `2.6` as the campaign: 422 naming the field, and
    no round or job is made."""
    headers = auth_headers(city["supervisor"])
    campaign_id = city["campaign"].id
    for written in (str(campaign_id), campaign_id + 0.6):
        opened = client.post(
            "/api/v1/musyawarah", json={"campaign_id": written, "region_code": KELURAHAN}, headers=headers
        )
        rekap = client.post("/api/v1/musyawarah/rekap", json={"campaign_id": written}, headers=headers)
        for answer in (opened, rekap):
            assert answer.status_code == 422, answer.get_json()
            assert "campaign_id" in answer.get_json()["error"]["details"]["fields"]
    assert client.get("/api/v1/musyawarah", headers=headers).get_json()["data"] == []
