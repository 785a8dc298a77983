"""Aid recipient import: exact NIK / No. KK matches applied; fuzzy name matches only proposed until confirmed."""

from __future__ import annotations

import io
from datetime import date

import sqlalchemy as sa

from server.aid.models import AidProgram, AidReceipt
from server.imports.models import AidMatchProposal, DataImport
from tests.factories import make_household, make_member, make_nik, make_user
from tests.imports.helpers import job_of, report_of

PERIOD = {"period_start": "2026-01-01", "period_end": "2026-03-31"}


def _program(db_session, code: str, unit: str) -> AidProgram:
    program = AidProgram(
        code=code, name=code, level="national", unit=unit, form="cash", category="cash_transfer", period="quarterly"
    )
    db_session.add(program)
    db_session.flush()
    return program


def _upload(client, headers, program: str, text: str, **extra):
    return client.post(
        "/api/v1/imports/aid",
        data={"file": (io.BytesIO(text.encode()), "list.csv"), "program": program, **PERIOD, **extra},
        headers=headers,
        content_type="multipart/form-data",
    )


def _receipts(db_session, program):
    db_session.expire_all()
    return db_session.execute(sa.select(AidReceipt).where(AidReceipt.program_id == program.id)).scalars().all()


def test_person_program_exact_nik_applied_fuzzy_name_proposed_until_confirmed(client, auth_headers, db_session):
    program = _program(db_session, "T-PBI-JK", "person")
    household = make_household(region_code="64.72.01.1001")
    exact = make_member(household, name="Siti Rahmawati", nik=make_nik(3101, female=True), relationship_code=2)
    fuzzy = make_member(household, name="Muhammad Rizky Pratama", nik=make_nik(3102), relationship_code=3)
    make_member(make_household(region_code="64.72.02.1009"), name="Muhammad Rizki Pratama", nik=make_nik(3103))
    supervisor = make_user("supervisor", ["64.72.01"])
    headers = auth_headers(supervisor)
    text = (
        "nik,nama,kode_kelurahan,nominal,status\n"
        f'{exact.nik},SITI RAHMAWATI,64.72.01.1001,"Rp 600.000",disalurkan\n'
        "6.47201E+15,Muhamad Rizki Pratama,64.72.01.1001,,\n"  # key destroyed by Excel: name decides, not silently
        "6472011705809999,Orang Tak Dikenal Sama Sekali,64.72.01.1001,,\n"
    )
    response = _upload(client, headers, program.code, text)
    job = job_of(response)
    assert job["kind"] == "import.aid" and job["created_by"]["id"] == supervisor.id
    report = report_of(client, headers, response)
    counts = report["counts"]
    assert counts["exact_matches"] == 1 and counts["receipts_inserted"] == 3
    assert counts["proposals_created"] == 1 and counts["unmatched"] == 2
    # Both keys match nobody in the registry: kept as receipts without a recipient, the auditor's kind.
    assert counts["not_in_registry"] == 2 and counts["invalid_nik"] == 1
    assert report["rejections"] == []
    receipts = {r.listed_row: r for r in _receipts(db_session, program)}
    assert sorted(receipts) == [2, 3, 4]
    assert receipts[2].member_id == exact.id and receipts[2].household_id is None
    assert str(receipts[2].amount) == "600000.00" and receipts[2].status == "disbursed"
    assert (receipts[2].listed_nik, receipts[2].listed_name, receipts[2].listed_match) == (
        exact.nik,
        "SITI RAHMAWATI",
        "exact",
    )
    assert (receipts[3].member_id, receipts[3].listed_nik, receipts[3].listed_nik_valid) == (None, None, False)
    assert (receipts[4].listed_nik, receipts[4].listed_nik_valid, receipts[4].listed_match) == (
        "6472011705809999",
        True,
        "none",
    )

    proposals = client.get("/api/v1/imports/proposals?state=pending", headers=headers).get_json()["data"]
    assert len(proposals) == 1
    proposal = proposals[0]
    # Only candidates in the row's kelurahan (and the caller's area): the Sungai Kunjang namesake is not offered.
    assert [c["member_id"] for c in proposal["candidates"]] == [str(fuzzy.id)]
    assert proposal["candidates"][0]["score"] < 1

    wrong = client.post(
        f"/api/v1/imports/proposals/{proposal['id']}/confirm",
        json={"household_id": str(household.id), "member_id": str(exact.id)},
        headers=headers,
    )
    assert wrong.status_code == 422
    assert {r.member_id for r in _receipts(db_session, program)} == {exact.id, None}  # the fuzzy row unapplied

    confirmed = client.post(
        f"/api/v1/imports/proposals/{proposal['id']}/confirm",
        json={"household_id": str(household.id), "member_id": str(fuzzy.id)},
        headers=headers,
    )
    assert confirmed.status_code == 200, confirmed.get_json()
    assert confirmed.get_json()["data"]["state"] == "confirmed"
    # The fuzzy row's receipt got the chosen member: still three receipts, one of them not in the registry.
    after = {r.listed_row: r for r in _receipts(db_session, program)}
    assert (after[3].member_id, after[3].listed_match) == (fuzzy.id, "confirmed")
    assert [after[row].member_id for row in (2, 4)] == [exact.id, None]
    again = client.post(f"/api/v1/imports/proposals/{proposal['id']}/reject", headers=headers)
    assert again.status_code == 409


def test_family_program_matches_kk_and_reimport_adds_nothing(client, auth_headers, db_session):
    program = _program(db_session, "T-BPNT", "family")
    household = make_household(head_name="Bambang Sutrisno")
    make_member(household, name="Bambang Sutrisno")
    other = make_household(head_name="Dewi Lestari")
    make_member(other, name="Dewi Lestari")
    headers = auth_headers(make_user("admin"))
    text = f"no_kk,nama\n{household.kk_number},Bambang Sutrisno\n6472012001209998,Dewi Lestary\n"
    first = report_of(client, headers, _upload(client, headers, program.code, text))["counts"]
    assert first["receipts_inserted"] == 2 and first["proposals_created"] == 1 and first["not_in_registry"] == 1
    receipts = sorted(_receipts(db_session, program), key=lambda r: r.listed_row)
    assert [(r.household_id, r.member_id, r.listed_kk) for r in receipts] == [
        (household.id, None, household.kk_number),
        (None, None, "6472012001209998"),
    ]
    assert (receipts[0].period_start, receipts[0].period_end) == (date(2026, 1, 1), date(2026, 3, 31))
    proposal = db_session.execute(
        sa.select(AidMatchProposal).where(AidMatchProposal.program_id == program.id)
    ).scalar_one()
    assert proposal.candidates[0]["household_id"] == str(other.id) and proposal.candidates[0]["member_id"] is None

    second = report_of(client, headers, _upload(client, headers, program.code, text))["counts"]
    assert second["receipts_inserted"] == 0 and second["receipts_unchanged"] == 2
    assert second["paid_again_in_file"] == 0
    assert second["proposals_created"] == 0 and second["proposals_already_open"] == 1
    assert len(_receipts(db_session, program)) == 2

    rejected = client.post(f"/api/v1/imports/proposals/{proposal.id}/reject", headers=headers)
    assert rejected.status_code == 200 and rejected.get_json()["data"]["state"] == "rejected"
    assert len(_receipts(db_session, program)) == 2


def test_two_rows_paying_one_recipient_are_two_receipts_and_reimport_stays_a_no_op(client, auth_headers, db_session):
    person = _program(db_session, "T-PBI2", "person")
    family = _program(db_session, "T-PKH2", "family")
    household = make_household(head_name="Rahmat Hidayat")
    head = make_member(household, name="Rahmat Hidayat", nik=make_nik(3201))
    other = make_household(head_name="Rahmat H")
    headers = auth_headers(make_user("admin"))
    # PBI-JK: one NIK twice in the file (a double payment), another once.
    spouse = make_member(household, name="Sri Wahyuni", nik=make_nik(3202, female=True), relationship_code=2)
    person_text = f"nik,nama\n{head.nik},Rahmat Hidayat\n{spouse.nik},Sri Wahyuni\n{head.nik},RAHMAT HIDAYAT\n"
    first = report_of(client, headers, _upload(client, headers, person.code, person_text))["counts"]
    assert (first["receipts_inserted"], first["receipts_unchanged"], first["paid_again_in_file"]) == (3, 0, 1)
    receipts = sorted(_receipts(db_session, person), key=lambda r: r.listed_row)
    assert [(r.member_id, r.occurrence, r.listed_row) for r in receipts] == [
        (head.id, 1, 2),
        (spouse.id, 1, 3),
        (head.id, 2, 4),
    ]
    again = report_of(client, headers, _upload(client, headers, person.code, person_text))["counts"]
    # The re-import says 'unchanged' for all three; the double payment is still reported as such.
    assert (again["receipts_inserted"], again["receipts_unchanged"], again["paid_again_in_file"]) == (0, 3, 1)
    assert len(_receipts(db_session, person)) == 3

    # PKH (a family list): the recipient's NIK and name are kept; one NIK listed on two KKs is counted.
    family_text = (
        "no_kk,nik,nama\n"
        f"{household.kk_number},{head.nik},Rahmat Hidayat\n"
        f"{other.kk_number},{head.nik},Rahmat H\n"
        f"{household.kk_number},{head.nik},Rahmat Hidayat\n"
    )
    counts = report_of(client, headers, _upload(client, headers, family.code, family_text))["counts"]
    assert (counts["receipts_inserted"], counts["paid_again_in_file"], counts["nik_on_several_kk"]) == (3, 1, 1)
    stored = sorted(_receipts(db_session, family), key=lambda r: r.listed_row)
    assert [(r.household_id, r.listed_nik, r.listed_name, r.occurrence) for r in stored] == [
        (household.id, head.nik, "Rahmat Hidayat", 1),
        (other.id, head.nik, "Rahmat H", 1),
        (household.id, head.nik, "Rahmat Hidayat", 2),
    ]
    repeat = report_of(client, headers, _upload(client, headers, family.code, family_text))["counts"]
    assert (repeat["receipts_inserted"], repeat["receipts_updated"], repeat["receipts_unchanged"]) == (0, 0, 3)


def test_dry_run_applies_and_proposes_nothing(client, auth_headers, db_session):
    program = _program(db_session, "T-PKH", "family")
    household = make_household()
    headers = auth_headers(make_user("admin"))
    response = _upload(client, headers, program.code, f"no_kk,nama\n{household.kk_number},X\n", dry_run="true")
    assert response.get_json()["data"]["counts"]["receipts_inserted"] == 1
    assert response.get_json()["data"]["dry_run"] is True
    assert _receipts(db_session, program) == []


def test_aid_import_validation(client, auth_headers, db_session):
    program = _program(db_session, "T-PIP", "person")
    headers = auth_headers(make_user("admin"))
    # Program and period are checked before anything is queued.
    assert _upload(client, headers, "NOPE", "nik,nama\n").status_code == 404
    bad_period = _upload(client, headers, program.code, "nik,nama\n", period_end="2025-01-01")
    assert bad_period.status_code == 422
    # The file's columns are the job's business: it fails, saying why, and nothing is recorded.
    missing = job_of(_upload(client, headers, program.code, "no_kk,nama\n6472012001200001,X\n"))
    assert missing["state"] == "failed" and missing["result"] is None
    assert missing["error"]["code"] == "validation.failed"
    assert missing["error"]["details"]["missing_columns"] == ["nik"]
    assert "wajib" in missing["error"]["message"] and "required" in missing["error"]["message"]
    assert db_session.execute(sa.select(sa.func.count()).select_from(DataImport)).scalar_one() == 0
    # A dry run of a small file still answers with the report at once.
    dry = _upload(client, headers, program.code, "nik,nama\n", dry_run="true")
    assert dry.status_code == 201 and dry.get_json()["data"]["dry_run"] is True
    enumerator = auth_headers(make_user("enumerator"))
    assert _upload(client, enumerator, program.code, "nik,nama\n").status_code == 403


def test_cli_aid_import(app, db_session, tmp_path):
    program = _program(db_session, "T-SSN", "family")
    household = make_household()
    path = tmp_path / "ssn.csv"
    path.write_text(f"no_kk,nama\n{household.kk_number},Siapa Saja\n")
    args = ["import", "aid", str(path), "--program", program.code, "--period-start", "2026-01-01"]
    result = app.test_cli_runner().invoke(args=[*args, "--period-end", "2026-12-31"])
    assert result.exit_code == 0, result.output
    assert "receipts_inserted: 1" in result.output
    assert len(_receipts(db_session, program)) == 1
