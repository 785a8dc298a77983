"""City-wide exports: every household with its programmes and findings of a period (a job, XLSX with NIK and
No. KK as text), every visit of a campaign (CSV streamed; XLSX as a job with progress and a download), inside
the caller's area and audited."""

from __future__ import annotations

import csv
import hashlib
import io
import uuid
from datetime import UTC, datetime

import openpyxl
import sqlalchemy as sa

from server.audit.models import AuditEntry
from server.campaigns.models import Campaign
from server.visits.models import Visit
from tests.analytics.dataset import K1, K2, build
from tests.factories import make_household, make_user


def test_household_list_job_writes_every_household_with_its_findings(client, auth_headers, db_session):
    city = build()
    headers = auth_headers(make_user("admin"))
    response = client.post(
        "/api/v1/analytics/exports",
        json={"what": "households", "format": "xlsx", "period_start": "2019-01-01", "period_end": "2019-12-31"},
        headers=headers,
    )
    assert response.status_code == 202, response.get_json()
    job = client.get(response.headers["Location"], headers=headers).get_json()["data"]
    assert job["state"] == "done", job
    assert job["result"]["rows"] == 12
    file = client.get(job["result"]["links"]["file"], headers=headers)
    sheet = openpyxl.load_workbook(io.BytesIO(file.data), read_only=True).active
    rows = list(sheet.iter_rows(values_only=True))
    header = rows[0]
    by_kk = {row[header.index("kk_number")]: row for row in rows[1:]}
    h1 = by_kk[city.households["H1"].kk_number]
    assert isinstance(h1[header.index("head_nik")], str) and len(h1[header.index("head_nik")]) == 16
    assert h1[header.index("programs")] == "T-BST T-PKH" and h1[header.index("findings")] == "stacking"
    h12 = by_kk[city.households["H12"].kk_number]
    assert set(h12[header.index("findings")].split()) == {"dead:settled", "deactivated"}
    # Agency amounts only: H2 2,400,000 + 1,200,000 a year = 300,000 a month.
    assert by_kk[city.households["H2"].kk_number][header.index("rupiah_month_agency")] == 300_000
    bad = client.post("/api/v1/analytics/exports", json={"what": "households"}, headers=headers)
    assert bad.status_code == 422


def test_visits_of_a_campaign_as_csv_and_xlsx_in_the_area(client, auth_headers, db_session):
    enumerator = make_user("enumerator", ["64.72"])
    campaign = Campaign(
        name="Verval 2026", period_start=datetime(2026, 1, 1).date(), period_end=datetime(2026, 12, 31).date()
    )
    db_session.add(campaign)
    db_session.flush()
    visits = []
    for region, name in ((K1, "=HYPERLINK(1)"), (K1, "Siti -Aminah"), (K2, "Budi")):
        household = make_household(region_code=region, head_name=name)
        visit = Visit(
            id=uuid.uuid4(),
            household_id=household.id,
            campaign_id=campaign.id,
            enumerator_id=enumerator.id,
            device_time=datetime(2026, 3, 1, 1, 0, tzinfo=UTC),
            no_fix_reason="uji",
            outcome="found",
            consent=True,
            answers={"members": []},
            content_hash=hashlib.sha256(str(household.id).encode()).hexdigest(),
        )
        db_session.add(visit)
        visits.append((visit, household))
    db_session.flush()
    supervisor = make_user("supervisor", ["64.72.01"])
    headers = auth_headers(supervisor)
    response = client.get(f"/api/v1/analytics/visits/export?campaign_id={campaign.id}", headers=headers)
    assert response.status_code == 200 and response.headers["X-Total-Count"] == "2"
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert {row["visit_id"] for row in rows} == {str(v.id) for v, h in visits if h.region_code == K1}
    assert {row["kk_number"] for row in rows} == {h.kk_number for v, h in visits if h.region_code == K1}
    # Made by PostgreSQL's COPY: a formula-like name neutralised as the CSV writer does, times in ISO 8601 UTC.
    assert {row["head_name"] for row in rows} == {"'=HYPERLINK(1)", "Siti -Aminah"}
    assert {row["device_time"] for row in rows} == {"2026-03-01T01:00:00Z"} and rows[0]["outcome"] == "found"
    refused = client.get(f"/api/v1/analytics/visits/export?campaign_id={campaign.id}&format=xlsx", headers=headers)
    assert refused.status_code == 422 and "format" in refused.get_json()["error"]["details"]["fields"]
    started = client.post(
        "/api/v1/analytics/exports", json={"what": "visits", "campaign_id": campaign.id}, headers=headers
    )
    assert started.status_code == 202, started.get_json()
    job = client.get(started.headers["Location"], headers=headers).get_json()["data"]
    assert job["state"] == "done" and job["kind"] == "export.analytics", job
    assert job["progress"] == {"phase": "writing", "done": 2, "total": 2} and job["result"]["rows"] == 2
    xlsx = client.get(job["result"]["links"]["file"], headers=headers)
    assert xlsx.status_code == 200 and xlsx.mimetype.endswith("spreadsheetml.sheet")
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx.data), read_only=True).active
    lines = list(sheet.iter_rows(values_only=True))
    assert len(lines) == 3 and all(isinstance(line[lines[0].index("kk_number")], str) for line in lines[1:])
    assert {line[lines[0].index("visit_id")] for line in lines[1:]} == {
        str(v.id) for v, h in visits if h.region_code == K1
    }
    other = auth_headers(make_user("supervisor", ["64.72.01"]))  # only its owner downloads the file
    assert client.get(job["result"]["links"]["file"], headers=other).status_code == 404
    audited = db_session.execute(
        sa.select(sa.func.count()).select_from(AuditEntry).where(AuditEntry.action == "visit.export")
    ).scalar_one()
    assert audited == 2
    viewer = auth_headers(make_user("viewer", ["64.72"]))
    assert client.get("/api/v1/analytics/visits/export", headers=viewer).status_code == 403
