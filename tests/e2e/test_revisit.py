"""A household sent back for a revisit reaches the phone: after a sync the "perlu kunjungan ulang" filter
lists it, the household screen shows the reviewer's reason and comment, and the new visit sent from the
phone supersedes the visit sent back; a move approved in review stays on the phone marked as awaiting the
musyawarah; a rejected finding puts the household back among those to visit (real Chromium, real server, the
reviewer through the review API)."""

from __future__ import annotations

import uuid

import pytest
import requests
import sqlalchemy as sa

from tests.e2e.conftest import E2E_PASSWORD, check_screen, new_phone, wait_for
from tests.e2e.test_field_day import TIMEOUT, open_household, record_visit, wait_counts, wait_until

pytestmark = pytest.mark.e2e
NAME = "Warga Uji 17"


def _reviewer(database_url: str) -> str:
    from server import create_app
    from server.auth.passwords import hash_password
    from server.extensions import db
    from tests import factories

    app = create_app({"PROFILE": "test", "SQLALCHEMY_DATABASE_URI": database_url})
    with app.app_context():
        user = factories.make_user("reviewer", regions=("64.72",), username="pemeriksa1")
        user.password_hash = hash_password(E2E_PASSWORD)
        db.session.commit()
        db.session.remove()
        db.engine.dispose()
    return "pemeriksa1"


def _sync(page) -> None:
    page.goto("/#/list")
    page.get_by_test_id("sync").click()
    wait_for(page, "!document.querySelector('[data-testid=sync]')?.disabled", timeout=TIMEOUT)


def _listed(page) -> list[str]:
    return page.evaluate("[...document.querySelectorAll('[data-testid=household-item]')].map(e => e.textContent)")


def test_revisit_reaches_the_phone_and_the_new_visit_supersedes_the_old(
    browser, live_server, seed, e2e_database, db_engine
):
    context = new_phone(browser, live_server)
    page = context.new_page()
    try:
        page.goto("/")
        page.get_by_label("Nama pengguna").fill(seed.username)
        page.get_by_label("Kata sandi").fill(E2E_PASSWORD)
        page.get_by_role("button", name="Masuk").click()
        wait_for(page, "document.querySelectorAll('[data-testid=household-item]').length >= 24", timeout=TIMEOUT)
        record_visit(page, NAME, "Kunjungan sebelum diperiksa", {})
        wait_counts(page, 0, 0)
        with db_engine.connect() as connection:
            first = connection.execute(
                sa.text("SELECT id::text FROM visits WHERE notes = 'Kunjungan sebelum diperiksa'")
            ).scalar_one()

        token = requests.post(
            f"{live_server.url}/api/v1/auth/login",
            json={"username": _reviewer(e2e_database[0]), "password": E2E_PASSWORD, "device_name": "Laptop kantor"},
            timeout=30,
        ).json()["data"]["access_token"]
        response = requests.post(
            f"{live_server.url}/api/v1/review/visits/{first}/decision",
            json={"decision": "revisit", "reason_code": "photos_missing", "comment": "Foto dapur belum ada"},
            headers={"Authorization": f"Bearer {token}", "If-Match": '"1"'},
            timeout=30,
        )
        assert response.status_code == 200, response.text

        _sync(page)
        wait_until(page, "verval.db.households.toArray().then(hs => hs.some(h => h.verification_status === 'revisit'))")
        page.goto("/#/list")
        select = page.get_by_test_id("filter-status")
        assert "Perlu kunjungan ulang" in select.inner_text()
        select.select_option("revisit")
        wait_for(page, "document.querySelectorAll('[data-testid=household-item]').length === 1")
        assert NAME in _listed(page)[0]
        check_screen(page, "revisit-list")
        page.get_by_test_id("household-item").first.click()
        page.get_by_test_id("revisit-note").wait_for()
        assert page.get_by_test_id("revisit-reason").inner_text() == "Foto kurang"
        assert page.get_by_test_id("revisit-comment").inner_text() == "Foto dapur belum ada"
        check_screen(page, "revisit-detail")

        record_visit(page, NAME, "Kunjungan ulang: foto dapur", {})
        wait_counts(page, 0, 0)
        with db_engine.connect() as connection:
            rows = dict(
                connection.execute(
                    sa.text(
                        "SELECT notes, review_status FROM visits WHERE household_id ="
                        " (SELECT household_id FROM visits WHERE id = CAST(:id AS uuid))"
                    ),
                    {"id": first},
                ).all()
            )
        assert rows == {"Kunjungan sebelum diperiksa": "superseded", "Kunjungan ulang: foto dapur": "pending"}
        page.goto("/#/list")
        page.get_by_test_id("filter-status").select_option("revisit")
        wait_for(page, "document.querySelectorAll('[data-testid=household-item]').length === 0")
        open_household(page, NAME)
        assert page.get_by_test_id("revisit-note").count() == 0

        # A move approved in review waits for the musyawarah: the household stays on the phone, marked.
        moved = page.evaluate("verval.db.households.toArray().then(hs => hs.find(h => h.head_name === 'Warga Uji 18'))")
        access = page.evaluate("verval.db.meta.get('auth')")["value"]["access_token"]
        item = {
            "id": str(uuid.uuid4()),
            "household_id": moved["id"],
            "base_version": moved["version"],
            "device_time": "2026-11-29T10:00:00+08:00",
            "gps": {"lon": 117.154, "lat": -0.502, "accuracy_m": 9},
            "outcome": "moved_outside",
            "consent": True,
            "moved_to": {"address": "Balikpapan"},
        }
        pushed = requests.post(
            f"{live_server.url}/api/v1/sync/push",
            json={"items": [item]},
            headers={"Authorization": f"Bearer {access}"},
            timeout=30,
        )
        assert pushed.json()["data"]["results"][0]["status"] == "created", pushed.text
        response = requests.post(
            f"{live_server.url}/api/v1/review/visits/{item['id']}/decision",
            json={"decision": "approve"},
            headers={"Authorization": f"Bearer {token}", "If-Match": '"1"'},
            timeout=30,
        )
        assert response.status_code == 200, response.text
        _sync(page)
        wait_until(
            page,
            f"verval.db.households.get('{moved['id']}').then(h => h.pending_registry_status === 'moved')",
        )
        open_household(page, "Warga Uji 18")
        assert page.get_by_test_id("pending-change").inner_text() == "Menunggu musyawarah kelurahan: pindah"
        check_screen(page, "pending-change")

        # A rejected finding changes nothing in the registry and puts the household back on the list to visit.
        record_visit(page, "Warga Uji 19", "Kunjungan yang ditolak", {})
        wait_counts(page, 0, 0)
        with db_engine.connect() as connection:
            rejected = connection.execute(
                sa.text("SELECT id::text FROM visits WHERE notes = 'Kunjungan yang ditolak'")
            ).scalar_one()
        response = requests.post(
            f"{live_server.url}/api/v1/review/visits/{rejected}/decision",
            json={"decision": "reject", "reason_code": "not_a_real_visit"},
            headers={"Authorization": f"Bearer {token}", "If-Match": '"1"'},
            timeout=30,
        )
        assert response.status_code == 200, response.text
        page.goto("/#/list")
        page.get_by_test_id("filter-status").select_option("sent")
        page.get_by_test_id("search").fill("Warga Uji 19")
        wait_for(page, "document.querySelectorAll('[data-testid=household-item]').length === 1")
        _sync(page)
        wait_until(
            page,
            "verval.db.households.toArray().then(hs => hs.some(h => h.head_name === 'Warga Uji 19'"
            " && h.last_visit?.review_status === 'rejected'))",
        )
        page.goto("/#/list")
        page.get_by_test_id("filter-status").select_option("todo")
        page.get_by_test_id("search").fill("Warga Uji 19")
        wait_for(page, "document.querySelectorAll('[data-testid=household-item]').length === 1")
    finally:
        context.close()
