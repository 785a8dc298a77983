"""The aid match proposals page: a supervisor sees the rows of their aid list that matched nobody exactly with
the name-similar candidates, confirms one (the receipt gets that member) or rejects one (nothing applied); a
decided proposal cannot be decided again; another supervisor sees none of them and cannot decide them."""

from __future__ import annotations

import io
import re

import sqlalchemy as sa

from server.aid.models import AidProgram, AidReceipt
from server.imports.models import AidMatchProposal
from tests.factories import make_household, make_member, make_nik, make_user
from tests.imports.helpers import report_of
from tests.staff.conftest import csrf_of

PAGE = "/staff/impor/usulan-bantuan"


def _plant(client, auth_headers, db_session, supervisor):
    program = AidProgram(code="T-PBI-UI", name="PBI Uji", level="national", unit="person", form="premium",
                         category="health", period="quarterly")  # fmt: skip
    db_session.add(program)
    household = make_household(region_code="64.72.01.1001", head_name="Rizky Pratama")
    member = make_member(household, name="Muhammad Rizky Pratama", nik=make_nik(4101), relationship_code=1)
    other = make_household(region_code="64.72.01.1001", head_name="Dewi Lestari")
    make_member(other, name="Dewi Lestari", nik=make_nik(4102, female=True), relationship_code=1)
    text = (
        "nik,nama,kode_kelurahan,nominal\n"
        '6.47201E+15,Muhamad Rizki Pratama,64.72.01.1001,"Rp 42.000"\n'
        "6472011705809998,Dewi Lestary,64.72.01.1001,\n"
    )
    upload = client.post(
        "/api/v1/imports/aid",
        data={
            "file": (io.BytesIO(text.encode()), "pbi.csv"),
            "program": program.code,
            "period_start": "2026-01-01",
            "period_end": "2026-03-31",
        },
        headers=auth_headers(supervisor),
        content_type="multipart/form-data",
    )
    assert report_of(client, auth_headers(supervisor), upload)["counts"]["proposals_created"] == 2
    proposals = db_session.execute(sa.select(AidMatchProposal).order_by(AidMatchProposal.row_number)).scalars().all()
    return program, member, proposals


def test_supervisor_confirms_one_candidate_and_rejects_another(client, auth_headers, staff_login, db_session):
    supervisor = make_user("supervisor", ["64.72.01"])
    program, member, (fuzzy, wrong) = _plant(client, auth_headers, db_session, supervisor)
    staff_login(client, supervisor)
    page = client.get(PAGE)
    assert page.status_code == 200
    assert "Muhamad Rizki Pratama" in page.text and "Muhammad Rizky Pratama" in page.text
    assert "T-PBI-UI" in page.text and "Dewi Lestary" in page.text
    assert f'value="{member.household_id}/{member.id}"' in page.text
    assert "/staff/impor/usulan-bantuan" in client.get("/staff/impor").text  # reached from the imports page

    # Confirming without a choice is explained, not applied.
    empty = client.post(f"{PAGE}/{fuzzy.id}/konfirmasi", data={"csrf_token": csrf_of(page.text)})
    assert empty.status_code == 422 and "Pilih salah satu kandidat" in empty.text
    done = client.post(
        f"{PAGE}/{fuzzy.id}/konfirmasi",
        data={"csrf_token": csrf_of(page.text), "kandidat": f"{member.household_id}/{member.id}"},
    )
    assert done.status_code == 302 and "selesai=confirmed" in done.headers["Location"]
    db_session.expire_all()
    receipt = db_session.execute(
        sa.select(AidReceipt).where(AidReceipt.program_id == program.id, AidReceipt.listed_row == 2)
    ).scalar_one()
    assert (receipt.member_id, receipt.listed_match) == (member.id, "confirmed")
    after = client.get(done.headers["Location"])
    assert "Usulan dikonfirmasi" in after.text and "Muhamad Rizki Pratama" not in after.text  # no longer pending

    rejected = client.post(f"{PAGE}/{wrong.id}/tolak", data={"csrf_token": csrf_of(page.text)})
    assert rejected.status_code == 302
    db_session.expire_all()
    assert db_session.get(AidMatchProposal, wrong.id).state == "rejected"
    assert "Tidak ada usulan yang menunggu keputusan" in client.get(PAGE).text
    decided = client.get(f"{PAGE}?keadaan=semua").text
    assert decided.count('class="badge ok"') == 1 and decided.count('class="badge bad"') == 1

    again = client.post(f"{PAGE}/{wrong.id}/tolak", data={"csrf_token": csrf_of(page.text)})
    assert again.status_code == 409 and "sudah diputuskan" in again.text


def test_another_supervisor_neither_sees_nor_decides_them(client, auth_headers, staff_login, db_session):
    owner = make_user("supervisor", ["64.72.01"])
    _, member, (fuzzy, _) = _plant(client, auth_headers, db_session, owner)
    token = staff_login(client, make_user("supervisor", ["64.72.01"]))
    page = client.get(PAGE).text
    assert "Muhamad Rizki Pratama" not in page and "Tidak ada usulan" in page
    refused = client.post(
        f"{PAGE}/{fuzzy.id}/konfirmasi", data={"csrf_token": token, "kandidat": f"{member.household_id}/{member.id}"}
    )
    assert refused.status_code == 404
    db_session.expire_all()
    assert db_session.get(AidMatchProposal, fuzzy.id).state == "pending"


def test_without_the_csrf_token_nothing_is_decided(client, auth_headers, staff_login, db_session):
    supervisor = make_user("supervisor", ["64.72.01"])
    _, _, (fuzzy, _) = _plant(client, auth_headers, db_session, supervisor)
    staff_login(client, supervisor)
    assert client.post(f"{PAGE}/{fuzzy.id}/tolak").status_code == 400
    db_session.expire_all()
    assert db_session.get(AidMatchProposal, fuzzy.id).state == "pending"
    assert re.search(r"Dewi Lestary", client.get(PAGE).text)


def test_an_aid_list_uploaded_on_the_page_is_checked_then_confirmed(client, staff_login, db_session):
    """The imports page takes an aid list too: a dry run with its counts, then the import as a job, whose
    fuzzy rows wait on the proposals page."""
    program = AidProgram(code="T-BPNT-UI", name="BPNT Uji", level="national", unit="family", form="non_cash",
                         category="food", period="monthly")  # fmt: skip
    db_session.add(program)
    household = make_household(region_code="64.72.01.1001", head_name="Bambang Sutrisno")
    make_member(household, name="Bambang Sutrisno", relationship_code=1)
    token = staff_login(client, make_user("supervisor", ["64.72.01"]))
    text = (
        "no_kk,nama,kode_kelurahan\n"
        f"{household.kk_number},Bambang Sutrisno,64.72.01.1001\n"
        "6472012001209998,Bambang Sutrisna,64.72.01.1001\n"
    )
    form = {"csrf_token": token, "program": program.code, "period_start": "2026-01-01", "period_end": "2026-01-31"}
    missing = client.post("/staff/impor/bantuan", data={**form, "period_end": ""})
    assert missing.status_code == 422 and "periode" in missing.text
    checked = client.post(
        "/staff/impor/bantuan", data={**form, "file": (io.BytesIO(text.encode()), "bpnt.csv")},
        content_type="multipart/form-data",
    )  # fmt: skip
    assert checked.status_code == 302, checked.text[:400]
    report = client.get(checked.headers["Location"]).text
    assert "Belum ada yang diubah" in report and "cocok persis" in report
    assert db_session.execute(sa.select(AidReceipt).where(AidReceipt.program_id == program.id)).first() is None
    confirm_url = re.search(r'action="(/staff/impor/\d+/konfirmasi)"', report).group(1)
    hidden = dict(re.findall(r'type="hidden" name="([a-z_]+)" value="([^"]*)"', report))
    assert hidden["program"] == program.code and hidden["period_end"] == "2026-01-31"
    job = client.post(confirm_url, data=hidden)
    assert job.status_code == 302 and "/staff/tugas/" in job.headers["Location"]
    assert "Selesai." in client.get(job.headers["Location"]).text
    db_session.expire_all()
    receipts = db_session.execute(sa.select(AidReceipt).where(AidReceipt.program_id == program.id)).scalars().all()
    assert len(receipts) == 2 and {r.household_id for r in receipts} == {household.id, None}
    assert "Bambang Sutrisna" in client.get(PAGE).text  # the fuzzy row waits for a decision
