"""Browser: the staff workspace's pages at 1366x768 under the enforced CSP, each checked with axe-core and
for plain words: Beranda, the household search (htmx, as you type), a household's detail and an edit; a
viewer sees masked numbers. With VERVAL_SCREENSHOTS=1 each page is also shot at 1366x768 and 768x1024."""

from __future__ import annotations

import re

import pytest

from tests.e2e.conftest import wait_for
from tests.e2e.staff_pages import check_page, desktop, log_in, make_staff_user, shoot


@pytest.fixture(scope="module")
def staff(e2e_database):
    make_staff_user(e2e_database[0], "supervisor", "supervisor-e2e")
    make_staff_user(e2e_database[0], "viewer", "pemantau-e2e")


def test_supervisor_dashboard_search_detail_and_edit(browser, live_server, staff):
    context = desktop(browser, live_server)
    page = context.new_page()
    log_in(page, "supervisor-e2e")
    page.wait_for_url("**/staff/beranda")
    page.get_by_role("heading", name="Kemajuan per kecamatan").wait_for()
    check_page(page, "beranda")
    shoot(page, "1-beranda")

    page.get_by_role("link", name="Rumah tangga").click()
    page.wait_for_url("**/staff/rumah-tangga")
    check_page(page, "households")
    page.get_by_label("Cari").fill("Warga Uji 07")
    # htmx swaps the results in as the clerk types (no page load), and the address follows.
    wait_for(page, "() => location.search.includes('q=Warga')")
    page.get_by_role("link", name="Warga Uji 07").first.wait_for()
    shoot(page, "2-households")
    page.get_by_role("link", name="Warga Uji 07").first.click()
    page.get_by_role("heading", name="Anggota keluarga").wait_for()
    check_page(page, "household detail")
    page.get_by_label("Alamat").fill("Jl. Juanda Gg. 7 No. 12")
    page.get_by_role("button", name="Simpan").click()
    page.get_by_text("Tersimpan.").wait_for()
    assert page.get_by_text("Jl. Juanda Gg. 7 No. 12").count() >= 1
    check_page(page, "household saved")
    shoot(page, "3-household")
    context.close()


def test_a_viewer_sees_masked_numbers(browser, live_server, staff):
    context = desktop(browser, live_server)
    page = context.new_page()
    log_in(page, "pemantau-e2e")
    page.wait_for_url("**/staff/beranda")
    page.goto("/staff/rumah-tangga")
    page.get_by_role("link", name="Warga Uji 03").first.click()
    page.get_by_role("heading", name="Anggota keluarga").wait_for()
    text = page.evaluate("() => document.body.innerText")
    assert re.findall(r"\d{16}", text) == [], "a full NIK or No. KK on a viewer's page"
    assert page.get_by_role("button", name="Simpan").count() == 0
    check_page(page, "household for a viewer")
    context.close()
