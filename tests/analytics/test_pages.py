"""The analytics pages of the staff workspace agree with the hand-built city: the summary's numbers and
Rupiah, the drill-down list behind a number, viewers' suppressed cells and no lists for them."""

from __future__ import annotations

import html
import re

from tests.analytics.dataset import K1, build
from tests.factories import make_user
from tests.staff.conftest import login

YEAR = "period_start=2019-01-01&period_end=2019-12-31"


def _text(page: str) -> str:
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page)))


def test_summary_page_shows_the_hand_worked_figures_and_links_to_the_lists(client, db_session):
    city = build()
    assert login(client, make_user("supervisor", ["64.72"])).status_code == 302
    page = client.get(f"/staff/analitik/?{YEAR}")
    assert page.status_code == 200, page.text[:500]
    text = _text(page.text)
    assert "Versi aturan" in text and "Komponen PKH per anggota keluarga tidak dimodelkan" in text
    assert "Keluarga penerima bantuan 10 · Rp 1.646.500 per bulan" in text  # 19,758,000 / 12
    # The exclusive rule's line: 1 household, Rp 600.000 a month, Rp 7.200.000 a year, an estimate.
    assert re.search(r"Bantuan menumpuk: T-BST vs T-PKH dari data 1 1 Rp 600\.000 Rp 7\.200\.000 3 perkiraan", text)
    assert re.search(r"Penerima meninggal terverifikasi lapangan 1 1 Rp 100\.000 Rp 1\.200\.000", text)
    assert re.search(r"Penerima meninggal ditetapkan musyawarah 1 1 Rp 50\.000 Rp 600\.000", text)
    assert re.search(r"Tidak ada di registri \(daftar instansi\) dari daftar instansi 0 1 Rp 42\.000", text)
    assert "Per kecamatan" in text and "<svg" in page.text
    link = re.search(
        rf'href="(/staff/analitik/rumah-tangga\?[^"]*kind=stacking[^"]*rule_id={city.rules["excl"].id}[^"]*)"',
        page.text.replace("&amp;", "&"),
    )
    assert link, "the number links to its households"
    listed = client.get(link.group(1))
    assert listed.status_code == 200
    assert city.households["H1"].kk_number in listed.text and city.households["H2"].kk_number not in listed.text
    kelurahan = _text(client.get(f"/staff/analitik/?{YEAR}&region={K1}").text)
    assert "Per RW/RT" in kelurahan and "RW 002 / RT 001" in kelurahan


def test_viewer_sees_suppressed_cells_and_no_lists(client, db_session):
    build()
    assert login(client, make_user("viewer", ["64.72"])).status_code == 302
    text = _text(client.get(f"/staff/analitik/?{YEAR}").text)
    assert "di bawah 5" in text and "7.200.000" not in text
    assert client.get(f"/staff/analitik/rumah-tangga?{YEAR}&kind=gap").status_code == 403


def test_the_pages_downloads_work_with_the_session_and_a_big_list_is_a_job_with_its_file(client, db_session):
    """The page's links download through the workspace's session (the API's file routes want a token); a
    city-wide list is started on the page, made by a job, and its page offers the file to its owner only."""
    import io

    import openpyxl

    city = build()
    supervisor = make_user("supervisor", ["64.72"])
    assert login(client, supervisor).status_code == 302
    page = client.get(f"/staff/analitik/?{YEAR}").text.replace("&amp;", "&")
    summary = re.search(r'href="(/staff/analitik/ringkasan\.xlsx\?[^"]*)"', page)
    assert summary, "the summary's XLSX link"
    answer = client.get(summary.group(1))
    assert answer.status_code == 200 and answer.mimetype.endswith("spreadsheetml.sheet")
    listed = client.get(f"/staff/analitik/rumah-tangga.csv?{YEAR}&kind=stacking")
    assert listed.status_code == 200 and city.households["H1"].kk_number in listed.text
    assert client.get("/staff/analitik/kunjungan.csv").status_code == 200
    assert 'action="/staff/analitik/ekspor"' in page and "Buat berkas" in page
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    started = client.post(
        "/staff/analitik/ekspor",
        data={"csrf_token": csrf, "what": "households", "format": "xlsx", "period_start": "2019-01-01",
              "period_end": "2019-12-31", "campaign_id": ""},
    )  # fmt: skip
    assert started.status_code == 302 and "/staff/tugas/" in started.headers["Location"]
    job = client.get(started.headers["Location"]).text
    file = re.search(r'href="(/staff/tugas/[^"]+/berkas)"', job)
    assert "Selesai" in job and file, job[:2000]
    sheet = openpyxl.load_workbook(io.BytesIO(client.get(file.group(1)).data), read_only=True).active
    assert len(list(sheet.iter_rows(values_only=True))) == 13  # header + the 12 households
    other = client.application.test_client()
    assert login(other, make_user("supervisor", ["64.72"])).status_code == 302
    assert other.get(file.group(1)).status_code == 404
    refused = client.post("/staff/analitik/ekspor", data={"csrf_token": csrf, "what": "households"})
    assert refused.status_code == 422
