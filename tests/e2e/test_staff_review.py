"""Browser, issue 15's 'Done when' for review: an enumerator's phone sends two visits (one far from the
registered point with a photo and a name correction); a reviewer filters the queue to visits far from the
registered point, opens one, views its photo full size, approves it and sees the registry change in the
household's history; sends the other back for a revisit with a note, which the enumerator's PWA (a second
browser context) then shows."""

from __future__ import annotations

import hashlib
import io
import random
import re
import uuid

import pytest
import requests
from PIL import Image
from tusclient import client as tus_client

from tests.e2e.conftest import CENTRE, E2E_PASSWORD, new_phone, wait_for
from tests.e2e.staff_pages import NO_WEBGL, check_page, desktop, log_in, make_staff_user, shoot

FAR, BACK = "Warga Uji 22", "Warga Uji 23"
NOTE = "Foto dapur buram, mohon difoto ulang"


def _jpeg() -> bytes:
    rng = random.Random(15)
    image = Image.new("RGB", (800, 600))
    image.putdata([(rng.randrange(256), rng.randrange(256), 90) for _ in range(800 * 600)])
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=80)
    return buffer.getvalue()


@pytest.fixture(scope="module")
def sent_visits(live_server, seed, e2e_database):
    """What petugas1's phone sends, through the real API: pull, push two visits, upload the photo over tus."""
    make_staff_user(e2e_database[0], "reviewer", "peninjau-e2e")
    base = live_server.url
    login = requests.post(
        f"{base}/api/v1/auth/login",
        json={"username": seed.username, "password": E2E_PASSWORD, "device_name": "HP uji tinjauan"},
        timeout=30,
    )
    headers = {"Authorization": f"Bearer {login.json()['data']['access_token']}"}
    pulled = requests.get(f"{base}/api/v1/sync/pull?limit=500", headers=headers, timeout=30).json()["data"]
    homes = {h["head_name"]: h for h in pulled["households"]}
    photo = _jpeg()
    digest = hashlib.sha256(photo).hexdigest()
    photo_id = str(uuid.uuid4())

    def item(home, **extra):
        return {
            "id": str(uuid.uuid4()),
            "household_id": home["id"],
            "base_version": home["version"],
            "device_time": "2026-11-30T09:12:00+08:00",
            "gps": {"lon": CENTRE[0], "lat": CENTRE[1], "accuracy_m": 9.0, "fixed_at": "2026-11-30T09:11:50+08:00"},
            "outcome": "found",
            "consent": True,
            "members": [],
            "house_condition": {},
            "aid_reported": [],
            "notes": None,
            "photos": [],
            **extra,
        }

    far = homes[FAR]
    far_gps = {"lon": CENTRE[0], "lat": CENTRE[1], "accuracy_m": 9.0, "fixed_at": "2026-11-30T09:11:50+08:00"}
    head = next(m for m in far["members"] if m["name"] == FAR)
    items = [
        item(
            far,
            members=[{"member_id": head["id"], "presence": "present", "name": "Warga Uji Dua Dua"}],
            photos=[
                {"id": photo_id, "kind": "house_front", "sha256": digest, "captured_at": "2026-11-30T09:10:00+08:00"}
            ],
        ),
        # Recorded at the registered point itself: no flag of distance.
        item(
            homes[BACK], gps={**far_gps, "lon": homes[BACK]["location"]["lon"], "lat": homes[BACK]["location"]["lat"]}
        ),
    ]
    pushed = requests.post(f"{base}/api/v1/sync/push", json={"items": items}, headers=headers, timeout=30)
    assert pushed.status_code == 200, pushed.text
    tus = tus_client.TusClient(f"{base}/api/v1/photos/uploads", headers=headers)
    metadata = {"photo_id": photo_id, "sha256": digest, "kind": "house_front"}
    tus.uploader(file_stream=io.BytesIO(photo), chunk_size=1 << 20, metadata=metadata).upload()
    return items


def test_reviewer_filters_views_photo_approves_and_sends_back(browser, live_server, seed, sent_visits):
    context = desktop(browser, live_server)
    page = context.new_page()
    page.add_init_script(NO_WEBGL)  # the review page's small map as an office PC without WebGL draws it (SVG)
    log_in(page, "peninjau-e2e")
    page.wait_for_url("**/staff/beranda")
    page.get_by_role("link", name="Tinjauan").click()
    page.get_by_role("heading", name="Antrean tinjauan").wait_for()
    check_page(page, "review queue")
    page.get_by_label("Tanda").select_option("far_from_registered")
    page.get_by_role("button", name="Saring").click()
    page.wait_for_url("**flag=far_from_registered**")
    # Only far visits are listed (other browser tests' phones may have sent far visits too).
    body = page.locator("tbody").inner_text()
    assert FAR in body and BACK not in body
    assert page.locator("tbody tr").count() == page.locator("tbody tr", has_text="Jauh dari titik terdaftar").count()
    shoot(page, "4-review-queue")

    page.locator("tbody tr", has_text=FAR).get_by_role("link").click()
    page.get_by_role("heading", name="Registri dan temuan lapangan").wait_for()
    assert "Jarak dari titik terdaftar" in page.locator("main").inner_text()
    check_page(page, "review visit")
    assert page.locator("[data-place-plot]").is_visible()  # the server's drawing of the GPS fix and the home
    shoot(page, "5-review-visit")
    # The photo full size in the lightbox (PhotoSwipe, bundled; loaded on first use).
    page.get_by_role("img", name="Foto Tampak depan rumah").click()
    page.locator(".pswp--open img.pswp__img").first.wait_for()
    wait_for(page, "() => [...document.querySelectorAll('.pswp__img')].some(i => i.complete && i.naturalWidth === 800)")
    shoot(page, "6-review-photo")
    page.keyboard.press("Escape")
    wait_for(page, "() => !document.querySelector('.pswp--open')")

    decided = page.url
    page.keyboard.press("a")  # approve by keyboard
    notice = page.get_by_role("status").filter(has_text="tersimpan")
    notice.wait_for()
    # The page moves on to the queue's next visit when there is one (other browser tests' phones may have sent far
    # visits too, e.g. test_field_day's); its notice then names the decided household and links back to it.
    back = page.get_by_role("link", name="Buka kunjungan yang baru diputuskan")
    if back.count():
        # named by its head as approved: the head's corrected name is the household's name now
        assert "Keputusan untuk Warga Uji Dua Dua tersimpan." in notice.inner_text()
        back.click()
    page.wait_for_url(re.compile(re.escape(decided.split("?")[0]) + r"(\?.*)?$"))
    history = page.locator("section[aria-labelledby=riwayat]").inner_text()
    assert "Warga Uji Dua Dua" in history and FAR in history, history

    # Bulk approval of the queue's clean visits (BACK is one) says how many first; nothing is approved here.
    page.goto("/staff/tinjauan")
    page.get_by_role("link", name=re.compile("Setujui semua kunjungan bersih")).click()
    page.get_by_role("heading", name="Setujui kunjungan bersih").wait_for()
    said = page.locator("main").inner_text()
    assert re.search(r"Saringan ini memuat [1-9][\d.]* kunjungan menunggu tinjauan tanpa tanda apa pun", said), said
    assert page.get_by_role("button", name=re.compile(r"Setujui [\d.]+ kunjungan")).count() == 1
    check_page(page, "bulk approval, the count first")
    shoot(page, "15-bulk-approval")

    page.goto("/staff/tinjauan")
    page.locator("tbody tr", has_text=BACK).get_by_role("link").click()
    page.get_by_label("Catatan untuk petugas").fill(NOTE)
    page.get_by_label("Alasan kunjungan ulang").select_option("photos_unclear")
    page.get_by_role("button", name="Kunjungi ulang (u)").click()
    page.get_by_role("status").filter(has_text="tersimpan").wait_for()
    context.close()

    # The enumerator's phone: after its sync, the household asks for a revisit and shows the note.
    phone = new_phone(browser, live_server)
    app = phone.new_page()
    app.goto("/")
    app.get_by_label("Nama pengguna").fill(seed.username)
    app.get_by_label("Kata sandi").fill(E2E_PASSWORD)
    app.get_by_role("button", name="Masuk").click()
    # 24 seeded households, more when another test assigned petugas1 an imported kelurahan meanwhile.
    wait_for(app, "document.querySelectorAll('[data-testid=household-item]').length >= 24", timeout=60000)
    app.get_by_test_id("search").fill(BACK)
    app.locator("[data-testid=household-item]", has_text=BACK).first.click()
    app.get_by_test_id("household-detail").wait_for()
    wait_for(app, f"() => document.body.innerText.includes({NOTE!r})")
    assert "Perlu kunjungan ulang" in app.locator("body").inner_text()
    phone.close()
