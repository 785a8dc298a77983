"""The staff pages a supervisor opens on a phone (360x640, touch), in Debian's Chromium: Beranda, households
(sorted by a header reached with the keyboard), a household, the review queue and a visit with its small map,
and the aid match proposals, where one is confirmed. Every page passes check_page at that size (no sideways
scrolling of the page, axe, plain words). The visit's map is the server's SVG without WebGL and MapLibre's
with it (SwiftShader)."""

from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa

from tests.e2e.conftest import CENTRE, CHROMIUM, CHROMIUM_ENV, wait_for
from tests.e2e.staff_pages import NO_WEBGL, check_page, desktop, log_in, make_staff_user, phone, shoot, shoot_phone
from tests.e2e.test_map_page import WEBGL_ARGS

USER = "ponsel-supervisor"
NAME = "Sulastri Ponsel"
# ~120 m north of the registered point, as the phone's GPS put it.
FIX = (CENTRE[0] + 0.03, CENTRE[1] + 0.03 + 120 / 111_320)
HOME = (CENTRE[0] + 0.03, CENTRE[1] + 0.03)


def _plant(database_url: str) -> dict[str, str]:
    """A household in kecamatan 64.72.05 (no other browser test looks there) with a pending visit away from
    its registered point, and an aid list whose broken NIK row waits as a proposal naming it."""
    from server import create_app
    from server.auth.access import Actor
    from server.auth.models import User
    from server.extensions import db
    from server.imports import service as imports
    from server.types import Role
    from tests import factories
    from tests.review.conftest import make_visit

    make_staff_user(database_url, "supervisor", USER, regions=("64.72.01", "64.72.05"))
    app = create_app({"PROFILE": "test", "SQLALCHEMY_DATABASE_URI": database_url})
    with app.app_context():
        sql = lambda text, **params: db.session.execute(sa.text(text), params)  # noqa: E731
        found = sql(
            "SELECT h.id, v.id FROM households h JOIN visits v ON v.household_id = h.id WHERE h.registry_id = 'HP-0001'"
        ).first()
        if found is None:
            kelurahan = sql("SELECT min(code) FROM regions WHERE level = 'kelurahan' AND code LIKE '64.72.05.%'")
            kelurahan = kelurahan.scalar_one()
            household = factories.make_household(
                registry_id="HP-0001", kk_number=factories.make_kk(9801), head_name=NAME, region_code=kelurahan,
                location=f"SRID=4326;POINT({HOME[0]} {HOME[1]})", location_accuracy_m=10.0,
            )  # fmt: skip
            factories.make_member(household, name=NAME, nik=factories.make_nik(9801, female=True), relationship_code=1)
            enumerator = db.session.execute(sa.select(User).where(User.username == "petugas1")).scalar_one()
            visit = make_visit(household, enumerator, location=f"SRID=4326;POINT({FIX[0]} {FIX[1]})",
                               location_accuracy_m=18.0)  # fmt: skip
            user = sql("SELECT id FROM users WHERE username = :u", u=USER).scalar_one()
            program = sql("SELECT code FROM aid_programs WHERE unit = 'person' ORDER BY code LIMIT 1").scalar_one()
            actor = Actor(user, USER, Role.SUPERVISOR, ("64.72.01", "64.72.05"), None)
            text = f"nik,nama,kode_kelurahan\n6.47201E+15,Sulastri Ponsell,{kelurahan}\n"
            imports.import_aid(text.encode(), "pbi-ponsel.csv", program_code=program, actor=actor, dry_run=False,
                               period_start=date(2026, 1, 1), period_end=date(2026, 3, 31))  # fmt: skip
            db.session.commit()
            found = (household.id, visit.id)
        ids = {"household": str(found[0]), "visit": str(found[1])}
        db.session.remove()
        db.engine.dispose()
    return ids


@pytest.fixture(scope="module")
def planted(e2e_database):
    return _plant(e2e_database[0])


@pytest.fixture(scope="module")
def webgl_browser(playwright_driver):
    browser = playwright_driver.chromium.launch(
        executable_path=CHROMIUM, headless=True, args=WEBGL_ARGS, env=CHROMIUM_ENV
    )
    yield browser
    browser.close()


def test_a_supervisor_on_a_phone(browser, live_server, planted):
    context = phone(browser, live_server)
    page = context.new_page()
    page.add_init_script(NO_WEBGL)
    log_in(page, USER)
    page.wait_for_url("**/staff/beranda")
    check_page(page, "beranda on a phone")
    shoot_phone(page, "beranda")

    page.goto("/staff/rumah-tangga?region=64.72.01")
    check_page(page, "households on a phone")
    # Sorting by a header with the keyboard: focus its link, Enter; the order is in the URL and said by aria-sort.
    header = page.get_by_role("columnheader", name="Kepala keluarga")
    header.get_by_role("link").focus()
    page.keyboard.press("Enter")
    page.wait_for_url("**sort=name**")
    assert page.get_by_role("columnheader", name="Kepala keluarga").get_attribute("aria-sort") == "ascending"
    names = page.locator("tbody th a").all_inner_texts()
    assert names == sorted(names) and len(names) > 1
    check_page(page, "households by name on a phone")
    shoot_phone(page, "rumah-tangga")
    page.get_by_role("columnheader", name="Kepala keluarga").get_by_role("link").click()
    page.wait_for_url("**sort=name_desc**")
    # The first page of each order (other browser tests add households: the area has more than one page).
    descending = page.locator("tbody th a").all_inner_texts()
    assert descending == sorted(descending, reverse=True) and descending[0] >= names[-1]

    page.goto(f"/staff/rumah-tangga/{planted['household']}")
    check_page(page, "a household on a phone")
    shoot_phone(page, "rumah-tangga-detail")

    page.goto("/staff/tinjauan?region=64.72.05")
    check_page(page, "review queue on a phone")
    shoot_phone(page, "tinjauan")
    page.locator("tbody tr", has_text=NAME).get_by_role("link").click()
    page.wait_for_url(f"**/kunjungan/{planted['visit']}")
    # No WebGL: the server's drawing is the map, with both points, the accuracy circle and the distance.
    plot = page.locator("[data-place-plot]")
    assert plot.is_visible() and page.locator("[data-visit-map]").is_hidden()
    assert plot.locator(".place-accuracy").count() == 1 and plot.locator(".place-home").count() == 1
    assert "Jarak 1" in page.locator("#lokasi-keterangan").inner_text()
    fetched = page.evaluate("() => performance.getEntriesByType('resource').map(e => e.name)")
    assert not [url for url in fetched if "visitmap" in url or "maplibre" in url]  # no 800 KB it cannot use
    check_page(page, "a visit on a phone")
    page.locator("#lokasi").scroll_into_view_if_needed()
    shoot_phone(page, "tinjauan-kunjungan")

    page.goto("/staff/impor/usulan-bantuan")
    check_page(page, "aid match proposals on a phone")
    proposal = page.locator("li.panel", has_text="Sulastri Ponsell")
    proposal.get_by_role("radio", name=NAME).check()
    shoot_phone(page, "usulan-bantuan")
    proposal.get_by_role("button", name="Konfirmasi kandidat terpilih").click()
    page.wait_for_url("**selesai=confirmed**")
    assert "Usulan dikonfirmasi" in page.locator("[role=status]").inner_text()
    assert page.locator("li.panel", has_text="Sulastri Ponsell").count() == 0
    check_page(page, "aid match proposals after a decision")
    context.close()


def test_the_visit_map_draws_with_webgl(webgl_browser, live_server, planted):
    context = desktop(webgl_browser, live_server)
    page = context.new_page()
    log_in(page, USER)
    page.wait_for_url("**/staff/beranda")
    # The island's chunk (MapLibre, ~800 KB) loads after the page: wait for the drawing, not for `load`.
    page.goto(f"/staff/tinjauan/kunjungan/{planted['visit']}", wait_until="domcontentloaded")
    wait_for(page, "() => document.querySelector('[data-visit-map]').dataset.drawn === 'yes'", timeout=120000)
    assert page.locator("[data-place-plot]").is_hidden() and page.locator("[data-visit-map]").is_visible()
    drawn = page.evaluate(
        "() => ['kunjungan', 'terdaftar', 'akurasi', 'garis']"
        ".map(id => window.vervalVisitMap.queryRenderedFeatures({layers: [id]}).length)"
    )
    assert all(count >= 1 for count in drawn), drawn
    check_page(page, "a visit with its map")
    page.locator("#lokasi").scroll_into_view_if_needed()
    shoot(page, "tinjauan-peta")
    context.close()


def _plant_jobs(database_url: str, username: str) -> dict[str, str]:
    """Two jobs of `username` for the job page's other faces: a registry import still running (1.234 of 4.000
    rows: no worker runs beside the browser tests, so it stays there) and a household export whose worker was
    lost (the catalogue's message)."""
    from datetime import UTC, datetime

    from server import create_app
    from server.errors import JOB_WORKER_LOST
    from server.extensions import db
    from server.households.jobs import EXPORT
    from server.imports.jobs import REGISTRY
    from server.jobs.models import Job
    from server.jobs.service import error_of

    app = create_app({"PROFILE": "test", "SQLALCHEMY_DATABASE_URI": database_url})
    with app.app_context():
        user = db.session.execute(sa.text("SELECT id FROM users WHERE username = :u"), {"u": username}).scalar_one()
        now = datetime.now(UTC)
        running = Job(kind=REGISTRY, state="running", payload={}, created_by_id=user, started_at=now, heartbeat_at=now,
                      attempts=1, phase="applying", progress_done=1234, progress_total=4000)  # fmt: skip
        failed = Job(kind=EXPORT, state="failed", payload={}, created_by_id=user, started_at=now, finished_at=now,
                     attempts=1, error=error_of(JOB_WORKER_LOST))  # fmt: skip
        db.session.add_all([running, failed])
        db.session.commit()
        ids = {"running": str(running.id), "failed": str(failed.id)}
        db.session.remove()
        db.engine.dispose()
    return ids


def test_an_admin_on_a_phone(browser, live_server, e2e_database, planted):
    """The office pages on a phone too: login, audit, imports and an import's report, assignments, users and a
    user, the map without WebGL (its SVG and table), analytics, musyawarah, access tokens, and the job page
    (running, failed)."""
    make_staff_user(e2e_database[0], "admin", "ponsel-admin")
    context = phone(browser, live_server)
    page = context.new_page()
    page.add_init_script(NO_WEBGL)
    page.goto("/staff/masuk")
    check_page(page, "the login page on a phone")
    shoot_phone(page, "masuk")
    log_in(page, "ponsel-admin")
    page.wait_for_url("**/staff/beranda")
    for path, name in (
        ("/staff/audit", "audit"),
        ("/staff/impor", "impor"),
        ("/staff/penugasan", "penugasan"),
        ("/staff/pengguna", "pengguna"),
        ("/staff/analitik", "analitik"),
        ("/staff/musyawarah", "musyawarah"),
        ("/staff/token-akses", "token-akses"),
    ):
        page.goto(path)
        check_page(page, f"{name} on a phone")
        shoot_phone(page, name)
        if name == "impor":  # an import's report (the aid list planted above, or another test's)
            page.locator("tbody tr").first.get_by_role("link").click()
            page.wait_for_url("**/staff/impor/*")
            check_page(page, "an import's report on a phone")
            shoot_phone(page, "impor-hasil")
        if name == "pengguna":
            page.locator("tbody tr", has_text="petugas1").get_by_role("link").first.click()
            page.wait_for_url("**/staff/pengguna/*")
            check_page(page, "a user on a phone")
            # The "Aktif" box sits beside its word, not stretched across the form.
            assert page.get_by_role("checkbox", name="Aktif").bounding_box()["width"] < 40
            shoot_phone(page, "pengguna-detail")

    page.goto("/staff/peta/?region=64.72.01")
    page.wait_for_load_state("networkidle")
    # No WebGL: the server's SVG drawing of the kelurahan and their table are the map.
    assert page.locator("#peta").is_hidden()
    assert page.locator("[data-map-fallback] svg path").count() > 0
    check_page(page, "the map on a phone")
    header = page.locator("[data-map-table] thead tr").bounding_box()
    assert header["height"] < 120, f"the map table's header row is {header['height']} px tall"
    page.locator("[data-map-fallback]").scroll_into_view_if_needed()
    shoot_phone(page, "peta")

    jobs = _plant_jobs(e2e_database[0], "ponsel-admin")
    page.goto(f"/staff/tugas/{jobs['running']}")
    page.get_by_text("Sedang berjalan.").wait_for()
    assert page.locator("progress").get_attribute("value") == "1234"
    check_page(page, "a running job on a phone")
    shoot_phone(page, "tugas-berjalan")
    page.goto(f"/staff/tugas/{jobs['failed']}")
    page.get_by_text("Pekerja latar berhenti di tengah tugas").wait_for()
    check_page(page, "a failed job on a phone")
    shoot_phone(page, "tugas-gagal")

    context.close()
