"""Browser: the musyawarah kelurahan in Debian Chromium under the enforced CSP. A supervisor opens Bukuan's
round, generates the package (lists and berita acara), records decisions on a row and then for all, uploads
the signed scan and sees the kelurahan locked; every page checked with axe-core (screenshots for the README:
the round's page with its lists, and the berita acara as rendered into the PDF)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from tests.e2e.staff_pages import SHOTS, check_page, desktop, log_in, make_staff_user, shoot

KELURAHAN = "64.72.01.1003"
CAMPAIGN = "Verval Musyawarah E2E"


@pytest.fixture(scope="module")
def musyawarah_city(e2e_database):
    """Bukuan with findings approved at review: two households confirmed, one found deceased, one not found."""
    from server import create_app
    from server.campaigns.models import Campaign
    from server.extensions import db
    from server.review.service import decide
    from server.types import ReviewVia
    from tests import factories
    from tests.review.conftest import make_visit

    url = e2e_database[0]
    make_staff_user(url, "supervisor", "musyawarah-e2e", regions=("64.72.01",))
    app = create_app({"PROFILE": "test", "SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        if not db.session.execute(db.text("SELECT 1 FROM campaigns WHERE name = :n"), {"n": CAMPAIGN}).first():
            campaign = Campaign(name=CAMPAIGN, period_start=date(2026, 1, 1), period_end=date(2026, 12, 31))
            db.session.add(campaign)
            enumerator = factories.make_user("enumerator", full_name="Rina Petugas")
            db.session.flush()
            for number, (outcome, name) in enumerate(
                [
                    ("found", "Siti Aminah"),
                    ("found", "Budi Santoso"),
                    ("deceased", "Ahmad Yani"),
                    ("not_found", "Dewi Lestari"),
                ]
            ):
                household = factories.make_household(
                    head_name=name, region_code=KELURAHAN, rw="001", rt=f"00{number % 2 + 1}", decile=6
                )
                factories.make_member(household, name=name)
                visit = make_visit(
                    household, enumerator, outcome=outcome, campaign_id=campaign.id, device_time=datetime.now(UTC)
                )
                decide(None, visit.id, "approve", via=ReviewVia.POLICY)
            db.session.commit()
        db.session.remove()
        db.engine.dispose()


def test_a_supervisor_generates_decides_uploads_and_sees_the_kelurahan_locked(browser, live_server, musyawarah_city):
    context = desktop(browser, live_server)
    page = context.new_page()
    log_in(page, "musyawarah-e2e")
    page.wait_for_url("**/staff/beranda")
    page.get_by_role("link", name="Musyawarah").click()
    page.wait_for_url("**/staff/musyawarah/**")
    page.get_by_label("Kampanye", exact=True).select_option(label=CAMPAIGN)
    page.get_by_role("button", name="Tampilkan").click()
    page.wait_for_url("**/staff/musyawarah/?campaign=*")
    page.wait_for_load_state()
    check_page(page, "musyawarah index")
    page.get_by_label("Kelurahan", exact=True).select_option(value=KELURAHAN)
    page.get_by_role("button", name="Buka", exact=True).click()
    page.get_by_role("heading", name="Musyawarah kelurahan Bukuan").wait_for()
    assert page.get_by_text("Daftar dan berita acara belum dibuat.").count() == 1
    check_page(page, "musyawarah round (open)")

    page.get_by_role("button", name="Buat daftar dan berita acara").click()
    page.get_by_role("link", name="Daftar musyawarah (XLSX)").wait_for()
    assert "Daftar siap" in page.locator("#tahap").inner_text()
    with page.expect_download() as download:
        page.get_by_role("link", name="Berita acara (PDF)").click()
    assert download.value.suggested_filename == f"berita-acara-{KELURAHAN}.pdf"
    # The removals: one agreed, the other not, with the forum's reason.
    page.get_by_role("navigation", name="Bagian daftar").get_by_role("link", name="Usulan hapus (2)").click()
    page.get_by_role("heading", name="Usulan hapus").wait_for()
    check_page(page, "musyawarah lists")
    page.locator("#baris").evaluate("element => element.scrollIntoView()")
    shoot(page, "musyawarah-daftar")
    page.get_by_label("Keputusan untuk Ahmad Yani").select_option("setuju")
    page.get_by_label("Keputusan untuk Dewi Lestari").select_option("tidak_setuju")
    page.get_by_label("Keterangan untuk Dewi Lestari").fill("Masih tinggal di RT 002")
    page.get_by_role("button", name="Simpan keputusan").click()
    page.locator("#baris ~ form .badge.bad").wait_for()  # decided: marked, and still changeable until the lock
    assert page.get_by_label("Keputusan untuk Ahmad Yani").input_value() == "setuju"
    assert page.get_by_label("Keterangan untuk Dewi Lestari").input_value() == "Masih tinggal di RT 002"
    page.get_by_role("button", name="Setujui semua baris yang belum diputuskan").click()
    page.get_by_role("heading", name="Kunci dengan berita acara bertanda tangan").wait_for()
    assert "Sudah dimusyawarahkan" in page.locator("#tahap").inner_text()
    assert page.locator("#belum").inner_text() == "0"

    page.get_by_label("Pindaian berita acara (PDF, JPEG atau PNG)").set_input_files(
        files=[{"name": "berita-acara-bukuan.pdf", "mimeType": "application/pdf", "buffer": b"%PDF-1.4 ditandatangani"}]
    )
    page.get_by_role("button", name="Unggah dan kunci").click()
    page.get_by_text("Berita acara yang ditandatangani sudah diunggah").wait_for()
    assert "Dikunci" in page.locator("#tahap").inner_text()
    assert page.get_by_role("button", name="Simpan keputusan").count() == 0
    assert page.get_by_role("link", name="Berita acara bertanda tangan").count() == 1
    assert page.get_by_role("heading", name="Versi berita acara bertanda tangan").count() == 1
    assert page.get_by_label("Keputusan untuk Ahmad Yani").count() == 0  # locked: decisions no longer change
    check_page(page, "musyawarah round (locked)")
    shoot(page, "musyawarah-terkunci")
    context.close()


def test_berita_acara_screenshot(browser, live_server, musyawarah_city):
    """The berita acara's HTML (what WeasyPrint renders into the PDF) as a README screenshot."""
    import os

    if not os.environ.get("VERVAL_SCREENSHOTS"):
        pytest.skip("screenshots only with VERVAL_SCREENSHOTS=1")
    from types import SimpleNamespace

    from server.musyawarah.berita import berita_acara_html

    html = berita_acara_html(
        {
            "round": SimpleNamespace(region_code=KELURAHAN),
            "kelurahan": "Bukuan",
            "kecamatan": "Palaran",
            "campaign": CAMPAIGN,
            "counts": {"tetap": {"rows": 2, "setuju": 2}, "hapus": {"rows": 2, "setuju": 1, "tidak_setuju": 1}},
            "lists_name": f"daftar-musyawarah-{KELURAHAN}.xlsx",
            "generated_at": datetime.now(UTC),
        }
    )
    context = browser.new_context(viewport={"width": 794, "height": 1123})
    page = context.new_page()
    page.set_content(html)
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "staff-musyawarah-berita-acara.png"), full_page=False)
    context.close()
