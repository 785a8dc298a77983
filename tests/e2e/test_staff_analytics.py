"""Browser: the analytics pages in Debian Chromium under the enforced CSP: the summary of the hand-built 2019
city (tests/analytics/dataset.py) with its chart and the estimate note, a number's households, the
kelurahan's RW/RT table; checked with axe-core and for stray developer text (screenshots for the README)."""

from __future__ import annotations

import pytest

from tests.e2e.staff_pages import check_page, desktop, log_in, make_staff_user, shoot

YEAR = "period_start=2019-01-01&period_end=2019-12-31"


@pytest.fixture(scope="module")
def analytics_city(e2e_database):
    from server import create_app
    from server.extensions import db
    from tests.analytics import dataset

    url = e2e_database[0]
    make_staff_user(url, "supervisor", "analitik-e2e")
    app = create_app({"PROFILE": "test", "SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        exists = db.session.execute(db.text("SELECT 1 FROM aid_programs WHERE code = 'T-BST'")).first()
        if not exists:
            dataset.build()
            db.session.commit()
        db.session.remove()
        db.engine.dispose()


def test_summary_drilldown_and_rt_rw(browser, live_server, analytics_city):
    context = desktop(browser, live_server)
    page = context.new_page()
    log_in(page, "analitik-e2e")
    page.wait_for_url("**/staff/beranda")
    page.get_by_role("link", name="Analitik").click()
    page.wait_for_url("**/staff/analitik/")
    page.get_by_label("Periode mulai").fill("2019-01-01")
    page.get_by_label("Periode selesai").fill("2019-12-31")
    page.get_by_role("button", name="Tampilkan").click()
    page.get_by_role("heading", name="Rupiah per bulan menurut jenis temuan").wait_for()
    row = page.get_by_role("row").filter(has_text="T-BST vs T-PKH")
    assert "Rp 600.000" in row.inner_text() and "Rp 7.200.000" in row.inner_text()
    assert page.locator("svg.chart rect").count() > 0
    assert page.get_by_text("Komponen PKH per anggota keluarga tidak dimodelkan", exact=False).count() == 1
    check_page(page, "analytics summary")
    shoot(page, "analitik")

    row.get_by_role("link", name="1").click()
    page.wait_for_url("**/staff/analitik/rumah-tangga**")
    page.get_by_role("heading", name="Bantuan menumpuk").wait_for()
    assert page.get_by_role("row").count() == 2  # the header and H1
    check_page(page, "analytics households")
    shoot(page, "analitik-rumah-tangga")

    page.goto(f"/staff/analitik/?{YEAR}&region=64.72.01.1001")
    page.get_by_role("heading", name="Per RW/RT").wait_for()
    assert page.get_by_role("cell", name="RW 002 / RT 001").count() == 1
    check_page(page, "analytics kelurahan")
    context.close()
