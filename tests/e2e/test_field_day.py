"""The field day in real Chromium against the real server: log in, first sync, work offline, survive reloads
and a closed tab, sync once back in range, survive a server stopped mid-sync, fix a refused visit.

The tests of this module run in order on one phone (one browser context), like one enumerator's day.
Set VERVAL_SCREENSHOTS=1 to refresh the phone-size screenshots in docs/screenshots/.
"""

from __future__ import annotations

import hashlib
import io
import os
import random
import time

import pytest
import requests
import sqlalchemy as sa
from PIL import Image
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from server.config import PROJECT_ROOT
from tests.e2e.conftest import CENTRE, E2E_PASSWORD, check_screen, new_phone, wait_for

pytestmark = pytest.mark.e2e
SHOTS = PROJECT_ROOT / "docs" / "screenshots"
TIMEOUT = 30000


def shot(page, name: str) -> None:
    """A screen of the field day: checked (text, target sizes, width, axe-core), and photographed on request."""
    check_screen(page, name)
    if os.environ.get("VERVAL_SCREENSHOTS") == "1":
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / f"{name}.png"))


def jpeg(path, size, seed: int, noise: bool = False) -> bytes:
    """A photo file: small and smooth (kept byte-identical by the app) or big and noisy (compressed by it)."""
    rng = random.Random(seed)
    if noise:
        image = Image.frombytes("RGB", size, rng.randbytes(size[0] * size[1] * 3))
    else:
        image = Image.new("RGB", size, (rng.randrange(256), rng.randrange(256), rng.randrange(256)))
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=90)
    path.write_bytes(buffer.getvalue())
    return buffer.getvalue()


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("camera")
    made = {}
    for name, size, noise, seed in (
        ("front_a.jpg", (800, 600), False, 1),
        ("card_b.jpg", (1024, 768), False, 2),
        ("kitchen_b.jpg", (2400, 1800), True, 3),
        ("front_c.jpg", (2000, 1500), True, 4),
        ("front_d.jpg", (640, 480), False, 5),
    ):
        data = jpeg(folder / name, size, seed, noise)
        made[name] = (folder / name, hashlib.sha256(data).hexdigest())
    return made


@pytest.fixture(scope="module")
def phone(browser, live_server):
    context = new_phone(browser, live_server)
    page = context.new_page()
    state = {"context": context, "page": page}
    yield state
    state["context"].close()


def counts(page) -> tuple[str, str]:
    return page.get_by_test_id("unsent-visits").inner_text(), page.get_by_test_id("unsent-photos").inner_text()


def wait_counts(page, visits: int, photos: int, timeout: int = TIMEOUT) -> None:
    wait_for(
        page,
        "([v, p]) => { const a = document.querySelector('[data-testid=unsent-visits]');"
        " const b = document.querySelector('[data-testid=unsent-photos]');"
        " return a && b && a.dataset.count === String(v) && b.dataset.count === String(p); }",
        arg=[visits, photos],
        timeout=timeout,
    )


def open_household(page, name: str) -> None:
    page.goto("/#/list")
    page.get_by_test_id("filter-status").select_option("")
    page.get_by_test_id("search").fill(name)
    try:
        page.locator("[data-testid=household-item]", has_text=name).first.click()
    except PlaywrightTimeout:
        state = page.evaluate(
            "verval.db.households.count().then(n => ({households: n, hash: location.hash,"
            " search: document.querySelector('#q')?.value,"
            " screen: document.getElementById('app').innerText.slice(0, 600)}))"
        )
        raise AssertionError(f"{name} not listed: {state}") from None
    page.get_by_test_id("household-detail").wait_for()


def open_section(page, name: str) -> None:
    """Unfolds one section of the visit form (outcome, members, house, aid, photos, gps, notes)."""
    page.locator(f"[data-testid=section-{name}]").evaluate("d => { d.open = true; }")


def record_visit(page, name: str, notes: str, photos: dict[str, str], before_submit=None) -> None:
    open_household(page, name)
    page.get_by_test_id("start-visit").click()
    page.get_by_test_id("visit-form").wait_for()
    page.get_by_test_id("outcome").select_option("found")
    page.get_by_test_id("consent").check()
    open_section(page, "notes")
    page.get_by_test_id("notes").fill(notes)
    wait_for(page, "document.querySelector('[data-testid=gps-status]')?.textContent.includes('±12 m')")
    open_section(page, "photos")
    for kind, path in photos.items():
        page.get_by_test_id(f"photo-{kind}").set_input_files(str(path))
        page.get_by_test_id(f"photo-ok-{kind}").wait_for(timeout=TIMEOUT)
        # What was stored stays readable after the redraw that shows the thumbnail.
        assert page.get_by_test_id("photo-msg").inner_text().startswith("Foto tersimpan: ")
    if before_submit:
        before_submit()
    page.get_by_test_id("save-send").click()
    page.get_by_test_id("outbox").wait_for()


def wait_until(page, expression: str, seconds: float = 30) -> None:
    """Polls an async expression on the page (IndexedDB reads are promises)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if page.evaluate(expression):
            return
        time.sleep(0.2)
    state = page.evaluate(
        "Promise.all([verval.db.outbox.toArray(), verval.db.photos.toArray()])"
        ".then(([v, p]) => JSON.stringify([v.map(x => [x.state, x.last_error]), p.map(x => [x.state, x.last_error])]))"
    )
    raise AssertionError(f"timed out waiting for {expression}: {state}")


def outbox(page) -> list[dict]:
    return page.evaluate("verval.db.outbox.toArray()")


def test_login_first_sync_then_offline_reload_lists_households(phone, seed):
    page = phone["page"]
    page.goto("/")
    page.get_by_role("heading", name="Masuk").wait_for()
    # A brand-new phone is not told that a session ended.
    page.wait_for_timeout(1500)
    assert page.get_by_test_id("login-again").count() == 0
    assert "Sesi" not in page.locator("body").inner_text()
    shot(page, "1-login")
    page.get_by_label("Nama pengguna").fill(seed.username)
    page.get_by_label("Kata sandi").fill(E2E_PASSWORD)
    page.get_by_role("button", name="Masuk").click()
    wait_for(page, "document.querySelectorAll('[data-testid=household-item]').length === 24", timeout=TIMEOUT)
    wait_for(page, "!document.querySelector('[data-testid=last-sync]').textContent.includes('belum')")
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    # Nearest first, from the (mocked) current position.
    page.get_by_test_id("sort").select_option("distance")
    wait_for(page, "document.querySelector('[data-testid=household-item] small')?.textContent.endsWith('\\u00a0m')")
    first = page.get_by_test_id("household-item").first.text_content()
    assert "Warga Uji 00" in first, first
    shot(page, "2-households")
    auth = page.evaluate("verval.db.meta.get('auth')")
    assert auth["value"]["refresh_token"] and auth["value"]["device"]["id"]

    phone["context"].set_offline(True)
    page.reload()
    wait_for(page, "document.querySelectorAll('[data-testid=household-item]').length === 24")
    assert page.get_by_test_id("online").inner_text() == "Luring"
    assert page.get_by_test_id("sync").is_disabled()  # nothing to try without a network
    # Search by NIK and filter by status work offline on the pulled data.
    household = page.evaluate("verval.db.households.toArray()")[3]
    page.get_by_test_id("search").fill(household["members"][0]["nik"])
    wait_for(page, "document.querySelectorAll('[data-testid=household-item]').length === 1")
    page.get_by_test_id("search").fill("")
    page.get_by_test_id("filter-status").select_option("todo")
    wait_for(page, "document.querySelectorAll('[data-testid=household-item]').length === 24")


def test_the_form_offers_the_servers_choices_from_the_pulled_reference(phone):
    """Outcomes, presence values and photo kinds (the server's `other` kind included) come from the pull's
    `reference`, not from a copy in the app: a changed reference changes the form."""
    from server.visits.form import OUTCOMES, PHOTO_KINDS, VISIT_PRESENCE

    page = phone["page"]
    open_household(page, "Warga Uji 04")
    page.get_by_test_id("start-visit").click()
    form = page.get_by_test_id("visit-form")
    form.wait_for()
    options = page.eval_on_selector_all("[data-testid=outcome] option", "os => os.map(o => [o.value, o.textContent])")
    assert options[1:] == [[str(o["code"]), o["label_id"]] for o in OUTCOMES]
    presence = page.eval_on_selector("[data-testid=presence]", "s => [...s.options].map(o => [o.value, o.textContent])")
    assert presence == [[str(p["code"]), p["label_id"]] for p in VISIT_PRESENCE if p["code"] != "new"]
    kinds = page.eval_on_selector_all("input[type=file][data-kind]", "xs => xs.map(x => x.dataset.kind)")
    assert kinds == [str(k["code"]) for k in PHOTO_KINDS] and "other" in kinds

    # The phone draws whatever the server's reference says (here: edited in the phone's store).
    page.evaluate(
        "verval.db.meta.get('reference').then(r => { const ref = r.value;"
        " ref.outcomes[0] = {...ref.outcomes[0], label_id: 'Ditemukan (uji)'};"
        " ref.photo_kinds.push({code: 'roof_test', label_id: 'Atap (uji)', label_en: 'Roof (test)'});"
        " return verval.db.meta.put({key: 'reference', value: ref}); })"
    )
    page.reload()
    form.wait_for()
    assert "Ditemukan (uji)" in page.get_by_test_id("outcome").inner_text()
    assert page.get_by_test_id("photo-roof_test").count() == 1

    # Aid: the programmes on record are marked; a box that differs from the record is highlighted.
    household_id = page.evaluate("location.hash.split('/')[2]")
    page.evaluate(
        "async (id) => { const ref = (await verval.db.meta.get('reference')).value;"
        " await verval.db.households.update(id, {aid: [{program_code: ref.programs[0].code, status: 'disbursed'}]}); }",
        household_id,
    )
    page.reload()
    form.wait_for()
    open_section(page, "aid")
    recorded = page.locator("label.aid", has=page.get_by_test_id("aid-recorded"))
    assert recorded.count() == 1 and "diff" in recorded.get_attribute("class")  # on record, not ticked yet
    recorded.locator("input").check()
    wait_for(page, "!document.querySelector('label.aid.diff')")
    check_screen(page, "visit form, aid")
    page.evaluate("(id) => verval.db.households.update(id, {aid: []})", household_id)
    # Restore the pulled reference and leave no draft behind for the rest of the day.
    page.evaluate(
        "verval.db.meta.get('reference').then(r => { const ref = r.value;"
        " ref.outcomes[0] = {...ref.outcomes[0], label_id: 'Ditemukan'};"
        " ref.photo_kinds = ref.photo_kinds.filter(k => k.code !== 'roof_test');"
        " return verval.db.meta.put({key: 'reference', value: ref}); })"
        ".then(() => verval.db.drafts.clear())"
    )
    page.goto("/#/list")


def test_two_visits_offline_survive_reload_and_a_closed_tab(phone, files):
    page = phone["page"]
    open_household(page, "Warga Uji 00")
    shot(page, "3-household-detail")
    record_visit(page, "Warga Uji 00", "Kunjungan pertama", {"house_front": files["front_a.jpg"][0]})

    def reload_midway():
        # A draft is saved as you type: a reload in the middle of the form keeps it.
        page.reload()
        page.get_by_test_id("visit-form").wait_for()
        assert page.get_by_test_id("notes").input_value() == "Kunjungan kedua"
        assert page.get_by_test_id("photo-ok-family_card").is_visible()
        shot(page, "4-visit-form")
        page.get_by_test_id("gps-status").scroll_into_view_if_needed()
        page.evaluate("window.scrollBy(0, 120)")
        shot(page, "5-visit-gps-photos")

    record_visit(
        page,
        "Warga Uji 01",
        "Kunjungan kedua",
        {"family_card": files["card_b.jpg"][0], "kitchen": files["kitchen_b.jpg"][0]},
        before_submit=reload_midway,
    )
    wait_counts(page, 2, 3)
    items = outbox(page)
    assert len(items) == 2 and all(item["state"] == "pending" for item in items)
    assert all(item["payload"]["gps"]["accuracy_m"] == 12 for item in items)

    page.reload()
    wait_counts(page, 2, 3)
    page.close()
    page = phone["context"].new_page()
    phone["page"] = page
    page.goto("/#/outbox")
    wait_counts(page, 2, 3)
    page.get_by_test_id("outbox-photo").nth(2).wait_for()
    assert len(page.get_by_test_id("outbox-visit").all()) == 2
    assert len(page.get_by_test_id("outbox-photo").all()) == 3
    shot(page, "6-outbox")
    photos = page.evaluate("verval.db.photos.toArray().then(p => p.map(x => [x.sha256, x.width, x.height, x.type]))")
    # Small JPEGs are stored as taken; the big one was compressed on the phone to at most 1600 px.
    assert files["front_a.jpg"][1] in [p[0] for p in photos]
    assert files["card_b.jpg"][1] in [p[0] for p in photos]
    assert all(max(p[1], p[2]) <= 1600 and p[3] == "image/jpeg" for p in photos)
    phone["visit_ids"] = [item["id"] for item in items]
    phone["photo_shas"] = sorted(p[0] for p in photos)


def stored_photo_sha(live_server, row) -> str | None:
    """SHA-256 of the bytes the server stored for a photo row (its storage key under PHOTO_STORE)."""
    key = row.storage_key
    if not key:
        return None
    path = live_server.photo_dir / key
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else None


def assert_stored_once(db_engine, live_server, visit_ids: list[str], photo_shas: list[str]) -> None:
    with db_engine.connect() as connection:
        for visit_id in visit_ids:
            count = connection.execute(sa.text("SELECT count(*) FROM visits WHERE id = :id"), {"id": visit_id}).scalar()
            assert count == 1, visit_id
            # The phone says when it sent the batch, so the server knows the phone's clock skew.
            skew = connection.execute(sa.text("SELECT clock_skew_s FROM visits WHERE id = :id"), {"id": visit_id})
            assert abs(skew.scalar()) < 3600, visit_id
        rows = connection.execute(
            sa.text(
                "SELECT id, sha256, uploaded_at, storage_key FROM photos WHERE visit_id = ANY(CAST(:ids AS uuid[]))"
            ),
            {"ids": visit_ids},
        ).all()
    assert sorted(row.sha256 for row in rows) == sorted(photo_shas)
    for row in rows:
        assert row.uploaded_at is not None
        assert stored_photo_sha(live_server, row) == row.sha256


def test_back_online_everything_syncs_exactly_once(phone, files, db_engine, live_server):
    page = phone["page"]
    phone["context"].set_offline(False)
    wait_counts(page, 0, 0, timeout=60000)
    page.goto("/#/list")
    page.get_by_test_id("filter-status").select_option("sent")
    wait_for(page, "document.querySelectorAll('[data-testid=household-item]').length >= 2")
    assert_stored_once(db_engine, live_server, phone["visit_ids"], phone["photo_shas"])
    with db_engine.connect() as connection:
        small = connection.execute(
            sa.text("SELECT count(*) FROM photos WHERE sha256 = :sha"), {"sha": files["front_a.jpg"][1]}
        ).scalar()
    assert small == 1


def test_server_stopped_mid_sync_retry_completes_without_duplicates(phone, files, db_engine, live_server):
    page = phone["page"]
    phone["context"].set_offline(True)
    record_visit(page, "Warga Uji 02", "Server mati di tengah sinkron", {"house_front": files["front_c.jpg"][0]})
    wait_counts(page, 1, 1)
    visit_id = outbox(page)[0]["id"]
    photo_sha = page.evaluate("verval.db.photos.toArray()")[0]["sha256"]

    killed = []

    def kill_after_server_answered(route):
        # The request reaches the server and is handled; then the server dies before the phone hears
        # the answer: first for the push (the visit is stored, the phone doesn't know), then for the
        # first photo chunk (the server holds part of the upload).
        request = route.request
        stage = "push" if "/sync/push" in request.url else "chunk" if request.method == "PATCH" else None
        if stage is None or stage in killed:
            route.continue_()
            return
        route.fetch()
        killed.append(stage)
        live_server.kill()
        route.abort("connectionreset")

    phone["context"].route("**/api/v1/**", kill_after_server_answered)
    phone["context"].set_offline(False)
    wait_until(page, "verval.db.outbox.toArray().then(v => v.length === 1 && v[0].last_error?.code === 'network')")
    assert killed == ["push"]
    check_screen(page, "server down: the visit waits")
    live_server.start()
    page.get_by_role("button", name="Sinkronkan").click()
    wait_until(page, "verval.db.photos.toArray().then(p => p.length === 1 && !!p[0].last_error)")
    assert killed == ["push", "chunk"]
    check_screen(page, "server down mid-photo")
    assert page.get_by_test_id("online").inner_text() == "Luring"  # the server does not answer
    wait_counts(page, 0, 1)
    live_server.start()
    page.get_by_role("button", name="Sinkronkan").click()
    wait_counts(page, 0, 0, timeout=60000)
    phone["context"].unroute("**/api/v1/**")
    assert_stored_once(db_engine, live_server, [visit_id], [photo_sha])


def test_refused_visit_shows_the_reason_and_is_resent_fixed(phone, db_engine):
    page = phone["page"]

    def add_bad_member():
        open_section(page, "members")
        page.get_by_test_id("add-member").click()
        page.get_by_test_id("new-member-name").fill("Bayi Baru")
        # Serial 0000 never exists in a NIK: the server refuses the visit and says why.
        page.get_by_test_id("new-member-nik").fill("6472015505240000")

    record_visit(page, "Warga Uji 03", "Ada anggota baru", {}, before_submit=add_bad_member)
    wait_until(page, "verval.db.outbox.toArray().then(v => v.length === 1 && v[0].state === 'refused')")
    refused = outbox(page)[0]
    page.goto("/#/outbox")
    item = page.locator("[data-testid=outbox-visit][data-state=refused]")
    item.wait_for()
    reason = item.get_by_test_id("outbox-error").inner_text()
    assert "nik" in reason.lower()
    shot(page, "7-outbox-refused")

    item.get_by_test_id("fix-resend").click()
    page.get_by_test_id("visit-form").wait_for()
    assert page.get_by_test_id("new-member-nik").input_value() == "6472015505240000"
    page.get_by_test_id("new-member-nik").fill("6472015505240003")
    page.get_by_test_id("save-send").click()
    wait_until(page, "verval.db.sent.toArray().then(s => s.some(v => v.payload.notes === 'Ada anggota baru'))")
    wait_counts(page, 0, 0)
    sent = page.evaluate("verval.db.sent.toArray()")
    resent = [visit for visit in sent if visit["payload"]["notes"] == "Ada anggota baru"]
    assert len(resent) == 1 and resent[0]["id"] != refused["id"]
    with db_engine.connect() as connection:
        assert (
            connection.execute(sa.text("SELECT count(*) FROM visits WHERE id = :id"), {"id": refused["id"]}).scalar()
            == 0
        )
        answers = connection.execute(
            sa.text("SELECT answers FROM visits WHERE id = :id"), {"id": resent[0]["id"]}
        ).scalar()
    assert "6472015505240003" in str(answers)


def test_gps_keeps_the_best_fix_warns_when_poor_and_a_draft_can_be_thrown_away(phone, files):
    page = phone["page"]
    context = phone["context"]
    lon, lat = CENTRE[0] + 0.0002, CENTRE[1] + 0.0002
    context.set_geolocation({"longitude": lon, "latitude": lat, "accuracy": 80})
    open_household(page, "Warga Uji 05")
    page.get_by_test_id("start-visit").click()
    open_section(page, "gps")
    gps = page.get_by_test_id("gps-status")
    wait_for(page, "document.querySelector('[data-testid=gps-status]')?.textContent.includes('±80 m')")
    assert page.get_by_test_id("gps-poor").is_visible()
    context.set_geolocation({"longitude": lon, "latitude": lat, "accuracy": 8})
    wait_for(page, "document.querySelector('[data-testid=gps-status]')?.textContent.startsWith('Akurasi ±8 m')")
    page.get_by_test_id("gps-poor").wait_for(state="hidden")
    # A worse reading later is shown live but does not replace the best fix.
    context.set_geolocation({"longitude": lon, "latitude": lat, "accuracy": 35})
    wait_for(page, "document.querySelector('[data-testid=gps-status]')?.textContent.includes('±35 m')")
    assert gps.inner_text().startswith("Akurasi ±8 m")
    draft = page.evaluate("verval.db.drafts.toArray()")
    assert [d["gps"]["accuracy_m"] for d in draft] == [8]

    # A photo taken by mistake can be removed before saving.
    open_section(page, "photos")
    page.get_by_test_id("photo-living_room").set_input_files(str(files["front_d.jpg"][0]))
    page.get_by_test_id("photo-ok-living_room").wait_for(timeout=TIMEOUT)
    page.locator("[data-testid=photo-list] img").wait_for()
    page.get_by_test_id("remove-photo").click()
    page.get_by_test_id("photo-ok-living_room").wait_for(state="detached")
    assert page.evaluate("verval.db.photos.count()") == 0

    # A draft started by mistake can be thrown away (after a confirmation).
    page.goto("/#/outbox")
    page.get_by_test_id("draft-item").wait_for()
    open_household(page, "Warga Uji 05")
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_test_id("discard-draft").click()
    page.get_by_test_id("discard-draft").wait_for(state="detached")
    assert page.evaluate("verval.db.drafts.count()") == 0
    context.set_geolocation({"longitude": CENTRE[0] + 0.0001, "latitude": CENTRE[1] + 0.0001, "accuracy": 12})


def test_proposed_household_saved_without_a_gps_fix_records_why(phone, files, db_engine, live_server):
    page = phone["page"]
    context = phone["context"]
    context.set_offline(True)
    context.clear_permissions()  # no location permission: the visit is saved without a fix, with a reason
    page.goto("/#/propose")
    page.get_by_test_id("propose-head").fill("Keluarga Usulan Lapangan")
    page.get_by_label("Alamat").fill("Jl. Baru Gang 3")
    page.get_by_label("RT", exact=True).fill("4")
    page.get_by_label("RW", exact=True).fill("2")
    shot(page, "8-propose")
    page.get_by_role("button", name="Mulai kunjungan").click()
    page.get_by_test_id("visit-form").wait_for()
    wait_for(page, "document.querySelector('[data-testid=gps-status]')?.textContent === 'Izin lokasi ditolak'")
    page.get_by_test_id("consent").check()
    open_section(page, "gps")
    page.get_by_label("Alasan tanpa lokasi").fill("Izin lokasi ditolak di HP")
    open_section(page, "photos")
    page.get_by_test_id("photo-house_front").set_input_files(str(files["front_d.jpg"][0]))
    page.get_by_test_id("photo-ok-house_front").wait_for(timeout=TIMEOUT)
    page.get_by_test_id("save-send").click()
    page.get_by_test_id("outbox").wait_for()
    wait_counts(page, 1, 1)
    item = outbox(page)[0]
    assert item["payload"]["gps"] == {"no_fix": True, "reason": "Izin lokasi ditolak di HP"}
    assert item["payload"]["household_id"] == item["payload"]["new_household"]["id"]
    photo_sha = page.evaluate("verval.db.photos.toArray()")[0]["sha256"]

    context.grant_permissions(["geolocation"], origin=live_server.url)
    context.set_offline(False)
    wait_counts(page, 0, 0, timeout=60000)
    assert_stored_once(db_engine, live_server, [item["id"]], [photo_sha])
    with db_engine.connect() as connection:
        visit = connection.execute(
            sa.text(
                "SELECT v.location, v.no_fix_reason, h.head_name, h.registry_status, h.source, h.rt, h.rw "
                "FROM visits v JOIN households h ON h.id = v.household_id WHERE v.id = :id"
            ),
            {"id": item["id"]},
        ).one()
    assert visit.location is None and visit.no_fix_reason == "Izin lokasi ditolak di HP"
    assert (visit.head_name, visit.registry_status, visit.source) == ("Keluarga Usulan Lapangan", "proposed", "field")
    assert (visit.rt, visit.rw) == ("004", "002")


def test_a_session_ended_on_the_server_keeps_the_outbox_and_asks_to_log_in(phone, files, seed, db_engine, live_server):
    page = phone["page"]
    context = phone["context"]
    context.set_offline(True)
    record_visit(page, "Warga Uji 06", "Sesi berakhir", {"bathroom": files["front_d.jpg"][0]})
    wait_counts(page, 1, 1)
    visit_id = outbox(page)[0]["id"]
    photo_sha = page.evaluate("verval.db.photos.toArray()")[0]["sha256"]
    # The supervisor (or the enumerator elsewhere) ends this phone's session while it is offline.
    token = page.evaluate("verval.db.meta.get('auth')")["value"]["access_token"]
    response = requests.post(f"{live_server.url}/api/v1/auth/logout", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200, response.text

    context.set_offline(False)
    page.get_by_test_id("login-again").wait_for(timeout=TIMEOUT)
    assert len(outbox(page)) == 1 and page.evaluate("verval.db.photos.count()") == 1
    page.get_by_label("Nama pengguna").fill(seed.username)
    page.get_by_label("Kata sandi").fill(E2E_PASSWORD)
    page.get_by_role("button", name="Masuk").click()
    wait_counts(page, 0, 0, timeout=60000)
    assert_stored_once(db_engine, live_server, [visit_id], [photo_sha])


def set_photo_bytes(page, data: bytes) -> None:
    page.evaluate(
        "async (bytes) => { const [p] = await verval.db.photos.toArray();"
        " await verval.db.photos.update(p.id, { data: new Uint8Array(bytes).buffer }); }",
        list(data),
    )


def test_a_refused_photo_shows_why_does_not_block_the_sync_and_is_sent_again(phone, files, db_engine, live_server):
    page = phone["page"]
    context = phone["context"]
    context.set_offline(True)
    record_visit(page, "Warga Uji 07", "Foto rusak", {"kitchen": files["front_d.jpg"][0]})
    visit_id = outbox(page)[0]["id"]
    photo_sha = page.evaluate("verval.db.photos.toArray()")[0]["sha256"]
    # The stored bytes no longer match their SHA-256 (a flash-memory fault): the server must refuse them.
    good = files["front_d.jpg"][0].read_bytes()
    set_photo_bytes(page, good[:-200])
    before = page.evaluate("verval.db.meta.get('last_sync').then(m => m.value)")

    context.set_offline(False)
    wait_until(page, "verval.db.photos.toArray().then(p => p.length === 1 && p[0].state === 'refused')")
    # The visit went, and the pull still ran after the refusal.
    wait_until(page, f"verval.db.meta.get('last_sync').then(m => m.value > {before!r})")
    assert outbox(page) == []
    page.goto("/#/outbox")
    item = page.locator("[data-testid=outbox-photo][data-state=refused]")
    reason = item.get_by_test_id("outbox-error").inner_text()
    assert "SHA-256" in reason
    check_screen(page, "refused photo")
    wait_counts(page, 0, 1)

    set_photo_bytes(page, good)
    item.get_by_test_id("retry-photo").click()
    wait_counts(page, 0, 0, timeout=60000)
    assert_stored_once(db_engine, live_server, [visit_id], [photo_sha])


def test_a_sent_visit_is_corrected_by_a_new_visit_that_supersedes_it(phone, db_engine):
    page = phone["page"]
    with db_engine.connect() as connection:
        original = connection.execute(
            sa.text("SELECT id::text FROM visits WHERE notes = 'Kunjungan pertama' AND id = ANY(CAST(:ids AS uuid[]))"),
            {"ids": phone["visit_ids"]},
        ).scalar_one()
    open_household(page, "Warga Uji 00")
    page.get_by_test_id("correct-visit").click()
    page.get_by_test_id("visit-form").wait_for()
    # The form starts from the sent visit, with the members' names and the original GPS fix.
    assert page.get_by_test_id("notes").input_value() == "Kunjungan pertama"
    open_section(page, "members")
    assert "Anak Uji 00" in page.get_by_test_id("visit-form").inner_text()
    assert page.get_by_test_id("gps-status").text_content().startswith("Akurasi ±12 m")
    open_section(page, "notes")
    page.get_by_test_id("notes").fill("Koreksi: anak sedang sekolah")
    page.get_by_test_id("save-send").click()
    wait_until(page, "verval.db.sent.toArray().then(s => s.some(v => v.payload.notes.startsWith('Koreksi')))")
    wait_counts(page, 0, 0)
    with db_engine.connect() as connection:
        rows = connection.execute(
            sa.text(
                "SELECT id::text, supersedes_id::text, notes, ST_AsText(location) AS location FROM visits"
                " WHERE household_id = (SELECT household_id FROM visits WHERE id = :id) ORDER BY received_at"
            ),
            {"id": original},
        ).all()
    assert len(rows) == 2
    first, correction = rows
    assert (first.id, first.notes, first.supersedes_id) == (original, "Kunjungan pertama", None)
    assert correction.supersedes_id == original and correction.notes == "Koreksi: anak sedang sekolah"
    assert correction.location == first.location


def jpeg_with_exif(path, size, seed: int) -> bytes:
    """A big noisy camera photo (compressed on the phone) whose EXIF has a date taken, a position, make, model."""
    rng = random.Random(seed)
    image = Image.frombytes("RGB", size, rng.randbytes(size[0] * size[1] * 3))
    exif = Image.Exif()
    exif[0x010F], exif[0x0110] = "Google", "Pixel Uji"
    exif.get_ifd(0x8769)[0x9003] = "2026:11:28 09:10:00"  # DateTimeOriginal
    gps = exif.get_ifd(0x8825)
    gps[1], gps[2], gps[3], gps[4] = "S", (0.0, 30.0, 7.92), "E", (117.0, 9.0, 13.0)
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=90, exif=exif)
    path.write_bytes(buffer.getvalue())
    return buffer.getvalue()


def test_photo_evidence_keeps_exif_and_the_apps_own_capture_time_and_fix(phone, files, tmp_path, db_engine):
    page = phone["page"]
    context = phone["context"]
    jpeg_with_exif(tmp_path / "camera.jpg", (2400, 1800), 7)
    before = time.time()
    context.set_offline(True)
    record_visit(
        page,
        "Warga Uji 08",
        "Bukti foto",
        {"house_front": tmp_path / "camera.jpg", "other": files["front_d.jpg"][0]},
    )
    visit_id = outbox(page)[0]["id"]
    stored = page.evaluate("verval.db.photos.toArray().then(p => p.map(x => [x.kind, x.width, x.height]))")
    # The camera photo was made smaller on the phone (its EXIF must survive that).
    assert next(p for p in stored if p[0] == "house_front")[1] <= 1600
    context.set_offline(False)
    wait_counts(page, 0, 0, timeout=60000)
    with db_engine.connect() as connection:
        rows = {
            row.kind: row
            for row in connection.execute(
                sa.text(
                    "SELECT kind, exif_taken_at, ST_X(exif_location) AS exif_lon, ST_Y(exif_location) AS exif_lat,"
                    " captured_at, ST_X(capture_location) AS lon, ST_Y(capture_location) AS lat, capture_accuracy_m"
                    " FROM photos WHERE visit_id = :id"
                ),
                {"id": visit_id},
            )
        }
    camera, plain = rows["house_front"], rows["other"]
    # The camera's EXIF: date taken (local time, WITA) and position.
    assert camera.exif_taken_at.isoformat().startswith("2026-11-28T01:10:00")
    assert abs(camera.exif_lon - 117.1536) < 1e-3 and abs(camera.exif_lat + 0.5022) < 1e-3
    # The app's own record for both, the photo without EXIF included.
    for row in (camera, plain):
        assert before - 5 <= row.captured_at.timestamp() <= time.time() + 5
        assert abs(row.lon - (CENTRE[0] + 0.0001)) < 1e-6 and abs(row.lat - (CENTRE[1] + 0.0001)) < 1e-6
        assert row.capture_accuracy_m == 12
    assert plain.exif_taken_at is None and plain.exif_lon is None
