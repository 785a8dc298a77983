"""Browser: the staff workspace's frame in Debian Chromium under the enforced CSP: login (wrong password in
words, then right), the menu, English and back, logout; an enumerator is sent to the phone app."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import E2E_PASSWORD
from tests.e2e.staff_pages import check_page, desktop, log_in, make_staff_user, shoot


@pytest.fixture(scope="module")
def staff(e2e_database):
    make_staff_user(e2e_database[0], "supervisor", "supervisor-e2e")


def test_login_menu_language_logout(browser, live_server, staff):
    context = desktop(browser, live_server)
    page = context.new_page()
    page.goto("/staff/")
    assert page.url.endswith("/staff/masuk")
    check_page(page, "login")
    shoot(page, "0-login")
    page.get_by_label("Nama pengguna").fill("supervisor-e2e")
    page.get_by_label("Kata sandi").fill("bukan-sandinya-1")
    page.get_by_role("button", name="Masuk").click()
    page.get_by_text("Nama pengguna atau kata sandi salah.").wait_for()
    check_page(page, "login refused")

    log_in(page, "supervisor-e2e")
    page.wait_for_url("**/staff/beranda")
    assert page.get_by_role("link", name="Beranda").get_attribute("aria-current") == "page"
    cookie = next(c for c in context.cookies() if c["name"] == "verval_staff")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Lax" and cookie["path"] == "/staff"
    check_page(page, "beranda")

    page.get_by_role("button", name="English").click()
    page.get_by_role("heading", name="Home").wait_for()
    assert page.evaluate("() => document.documentElement.lang") == "en"
    page.get_by_role("button", name="Bahasa Indonesia").click()
    page.get_by_role("heading", name="Beranda").wait_for()

    page.get_by_role("button", name="Keluar").click()
    page.wait_for_url("**/staff/masuk")
    page.goto("/staff/beranda")
    assert "/staff/masuk" in page.url
    context.close()


def test_an_enumerator_is_sent_to_the_phone_app(browser, live_server, seed):
    context = desktop(browser, live_server)
    page = context.new_page()
    page.goto("/staff/masuk")
    page.get_by_label("Nama pengguna").fill(seed.username)
    page.get_by_label("Kata sandi").fill(E2E_PASSWORD)
    page.get_by_role("button", name="Masuk").click()
    page.wait_for_url(live_server.url + "/")
    page.goto("/staff/beranda")
    assert "/staff/masuk" in page.url  # no staff session for an enumerator
    context.close()
