"""Import and assignment pages: a registry file with a bad row is checked (nothing changes), its rejected rows
shown and downloadable, the import confirmed as a job; a kelurahan assigned with the counts shown first."""

from __future__ import annotations

import io
import re
from datetime import date
from pathlib import Path

import sqlalchemy as sa

from server.campaigns.models import Assignment, Campaign
from server.households.models import Household
from tests.factories import make_household, make_user
from tests.staff.conftest import csrf_of

SAMPLE = (Path(__file__).resolve().parents[1] / "imports" / "data" / "registry_sample.csv").read_text()
BAD = (
    "DTKS-0099,6472011503150099,Salah Satu,Jl. Salah,001,002,64.72.01.1001,2,-0.6172,117.1840,"
    "12345,Salah Satu,L,1980-05-17,Samarinda,1\n"
)


def _count(db_session, registry_id: str) -> int:
    query = sa.select(sa.func.count()).select_from(Household).where(Household.registry_id == registry_id)
    return db_session.execute(query).scalar_one()


def test_upload_check_rejections_confirm(client, staff_login, db_session):
    token = staff_login(client, make_user("supervisor", ["64.72"]))
    checked = client.post(
        "/staff/impor",
        data={"csrf_token": token, "file": (io.BytesIO((SAMPLE + BAD).encode()), "registri.csv")},
        content_type="multipart/form-data",
    )
    assert checked.status_code == 302
    report = client.get(checked.headers["Location"]).text
    assert "Belum ada yang diubah" in report and "DTKS-0099" in report and "Konfirmasi impor" in report
    assert _count(db_session, "DTKS-0001") == 0  # a dry run changes nothing
    csv_url = re.search(r'href="(/staff/impor/\d+/penolakan.csv)"', report).group(1)
    rejections = client.get(csv_url)
    assert rejections.status_code == 200 and "DTKS-0099" in rejections.text and "nik" in rejections.text
    confirm_url = re.search(r'action="(/staff/impor/\d+/konfirmasi)"', report).group(1)
    upload = re.search(r'name="upload" value="([^"]+)"', report).group(1)
    job = client.post(confirm_url, data={"csrf_token": csrf_of(report), "upload": upload})
    assert job.status_code == 302 and "/staff/tugas/" in job.headers["Location"]
    assert "Selesai." in client.get(job.headers["Location"]).text
    assert _count(db_session, "DTKS-0001") == 1 and _count(db_session, "DTKS-0099") == 0


def test_assign_a_kelurahan_with_counts_first(client, staff_login, db_session):
    supervisor = make_user("supervisor", ["64.72.01"])
    enumerator = make_user("enumerator", ["64.72.01.1001"], full_name="Sari Petugas")
    campaign = Campaign(name="Putaran Uji", period_start=date(2026, 1, 1), period_end=date(2026, 12, 31))
    db_session.add(campaign)
    for _ in range(3):
        make_household(region_code="64.72.01.1001")
    token = staff_login(client, supervisor)
    form = {"csrf_token": token, "campaign_id": str(campaign.id), "kelurahan": "64.72.01.1001",
            "enumerator_id": str(enumerator.id)}  # fmt: skip
    preview = client.post("/staff/penugasan", data={**form, "action": "preview"})
    assert preview.status_code == 200 and "3 rumah tangga terpilih" in preview.text
    assert db_session.execute(sa.select(sa.func.count()).select_from(Assignment)).scalar_one() == 0
    done = client.post("/staff/penugasan", data={**form, "action": "confirm", "expected": "3"})
    assert "Ditugaskan: 3 rumah tangga baru" in done.text
    live = sa.select(sa.func.count()).select_from(Assignment).where(Assignment.enumerator_id == enumerator.id)
    assert db_session.execute(live).scalar_one() == 3
    # The round's progress, per kelurahan and per enumerator (none visited yet).
    page = client.get(f"/staff/penugasan?putaran={campaign.id}").text
    assert "Kemajuan putaran Putaran Uji" in page
    count = r"<td class=\"num\">(\d+)</td>"
    rows = re.findall(r"<tr><th scope=\"row\">([^<]+)</th>" + count + count, page)
    assert ("Rawa Makmur", "3", "0") in rows and ("Sari Petugas", "3", "0") in rows
