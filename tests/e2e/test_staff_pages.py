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
    # Searched for, as a viewer would: other browser tests share this server and add households of their own.
    page.goto("/staff/rumah-tangga?q=Warga+Uji+03")
    page.get_by_role("link", name="Warga Uji 03").first.click()
    page.get_by_role("heading", name="Anggota keluarga").wait_for()
    text = page.evaluate("() => document.body.innerText")
    assert re.findall(r"\d{16}", text) == [], "a full NIK or No. KK on a viewer's page"
    assert page.get_by_role("button", name="Simpan").count() == 0
    check_page(page, "household for a viewer")
    context.close()


def test_admin_creates_a_user_and_revokes_their_phone(browser, live_server, e2e_database):
    import requests

    from tests.e2e.conftest import E2E_PASSWORD

    make_staff_user(e2e_database[0], "admin", "admin-e2e")
    context = desktop(browser, live_server)
    page = context.new_page()
    log_in(page, "admin-e2e")
    page.wait_for_url("**/staff/beranda")
    page.get_by_role("link", name="Pengguna").click()
    page.get_by_role("heading", name="Buat pengguna").wait_for()
    check_page(page, "users")
    page.get_by_label("Nama pengguna").fill("petugas-e2e-baru")
    page.get_by_label("Nama lengkap").fill("Dewi Petugas Baru")
    page.get_by_label("Peran").select_option("enumerator")
    page.get_by_label("Kata sandi awal").fill(E2E_PASSWORD)
    page.get_by_label("Palaran").check()
    page.get_by_role("button", name="Buat pengguna").click()
    page.get_by_text("Pengguna petugas-e2e-baru dibuat.").wait_for()
    shoot(page, "7-users")
    # Sorted by full name with the keyboard (the header's link, Enter), then reversed; the order is in the URL.
    page.get_by_role("link", name=re.compile(r"^Nama\s*,")).focus()
    page.keyboard.press("Enter")
    page.wait_for_url("**sort=name")
    header = page.locator("th[aria-sort]")
    assert header.inner_text().startswith("Nama") and header.get_attribute("aria-sort") == "ascending"
    names = page.locator("tbody td:nth-child(2)").all_inner_texts()
    assert names == sorted(names) and "Dewi Petugas Baru" in names
    header.get_by_role("link").click()
    page.wait_for_url("**sort=name_desc")
    assert page.locator("tbody td:nth-child(2)").all_inner_texts() == sorted(names, reverse=True)
    check_page(page, "users sorted by name")

    # The new enumerator logs in on a phone (the API), then the admin revokes that phone.
    login = requests.post(
        f"{live_server.url}/api/v1/auth/login",
        json={"username": "petugas-e2e-baru", "password": E2E_PASSWORD, "device_name": "HP Dewi"},
        timeout=30,
    )
    assert login.status_code == 200
    token = login.json()["data"]["access_token"]
    page.get_by_role("link", name="petugas-e2e-baru").click()
    page.get_by_role("heading", name="Ponsel").wait_for()
    check_page(page, "user detail")
    page.get_by_role("button", name="Cabut ponsel HP Dewi").click()
    page.get_by_text("Ponsel dicabut: tidak dapat sinkron lagi.").wait_for()
    me = requests.get(f"{live_server.url}/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"}, timeout=30)
    assert me.status_code == 401  # the phone's tokens stopped working at once
    shoot(page, "8-user-detail")
    page.get_by_role("link", name="Audit").click()
    page.get_by_role("heading", name="Jejak audit").wait_for()
    assert "device.revoke" in page.locator("tbody").inner_text()
    check_page(page, "audit")
    page.get_by_label("Tindakan").fill("device.")
    page.get_by_role("button", name="Saring").click()
    page.wait_for_url("**action=device.**")
    page.get_by_role("columnheader", name="Tindakan").get_by_role("link").click()  # the filter stays
    page.wait_for_url("**sort=action**")
    assert "action=device." in page.url
    assert page.get_by_role("columnheader", name="Tindakan").get_attribute("aria-sort") == "ascending"
    assert page.get_by_role("columnheader", name="Waktu").get_attribute("aria-sort") is None
    assert "device.revoke" in page.locator("tbody").inner_text()
    check_page(page, "audit sorted by action")
    shoot(page, "13-audit")
    context.close()


def test_supervisor_imports_a_registry_with_bad_rows_and_assigns_a_kelurahan(browser, live_server, staff, tmp_path):
    from tests.e2e.conftest import PROJECT_ROOT

    sample = (PROJECT_ROOT / "tests" / "imports" / "data" / "registry_sample.csv").read_text()
    bad = (
        "DTKS-0099,6472011503150099,Salah Satu,Jl. Salah,001,002,64.72.01.1001,2,-0.6172,117.1840,"
        "12345,Salah Satu,L,1980-05-17,Samarinda,1\n"
    )
    path = tmp_path / "registri-kelurahan.csv"
    path.write_text(sample + bad)
    context = desktop(browser, live_server)
    page = context.new_page()
    log_in(page, "supervisor-e2e")
    page.wait_for_url("**/staff/beranda")
    page.get_by_role("link", name="Impor").click()
    page.get_by_role("heading", name="Impor registri").wait_for()
    check_page(page, "imports")
    page.get_by_label("Berkas", exact=True).set_input_files(str(path))
    page.get_by_role("button", name="Periksa berkas").click()
    page.get_by_role("heading", name="Baris yang ditolak").wait_for()
    assert "DTKS-0099" in page.locator("tbody").inner_text()
    check_page(page, "import check")
    shoot(page, "9-import-check")
    # The download link, fetched with the page's own session (headless Chromium here cancels file downloads).
    href = page.get_by_role("link", name="Unduh semua baris yang ditolak (CSV)").get_attribute("href")
    csv = page.request.get(href)
    assert csv.ok and "attachment" in csv.headers["content-disposition"] and "DTKS-0099" in csv.text()
    page.get_by_role("button", name="Konfirmasi impor").click()
    page.get_by_text("Selesai.").wait_for()
    check_page(page, "the import's job")
    shoot(page, "12-job")
    page.get_by_role("link", name="Lihat hasil impor").click()
    page.get_by_role("heading", name=re.compile("Hasil impor")).wait_for()
    page.get_by_role("link", name="← Impor").click()
    page.get_by_role("columnheader", name="Berkas").get_by_role("link").click()
    page.wait_for_url("**sort=file")
    assert page.get_by_role("columnheader", name="Berkas").get_attribute("aria-sort") == "ascending"
    files = page.locator("tbody td:nth-child(2)").all_inner_texts()
    assert files == sorted(files) and "registri-kelurahan.csv" in files
    check_page(page, "imports sorted by file")
    page.evaluate("() => document.getElementById('daftar-impor').scrollIntoView()")  # the list, not the forms
    shoot(page, "14-imports")

    page.get_by_role("link", name="Penugasan").click()
    page.get_by_label("Kelurahan", exact=True).select_option("64.72.01.1002")
    page.get_by_label("Petugas", exact=True).select_option(label="Rina Petugas (petugas1)")
    page.get_by_role("button", name="Hitung dulu").click()
    page.get_by_text(re.compile(r"\d+ rumah tangga terpilih")).wait_for()
    check_page(page, "assignment preview")
    shoot(page, "10-assignment")
    page.get_by_role("button", name="Konfirmasi penugasan").click()
    page.get_by_text(re.compile(r"Ditugaskan: \d+ rumah tangga baru")).wait_for()
    context.close()
