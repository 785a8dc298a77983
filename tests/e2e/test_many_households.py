"""An enumerator with 1,200 households on a 360x640 phone: every one can be reached in the list (drawn a
page at a time), the count says what is shown of what is assigned, a search finds one among all, and the
household's "Navigasi" opens the phone's map app (`geo:` on Android). The timings on a throttled CPU are
measured by bench/pwa_list.py, not asserted here.
"""

from __future__ import annotations

from datetime import date

import pytest

from tests.e2e.conftest import CENTRE, E2E_PASSWORD, check_screen, new_phone, wait_for

pytestmark = pytest.mark.e2e
COUNT = 1200
ANDROID = (
    "Mozilla/5.0 (Linux; Android 13; SM-A145F Build/TP1A.220624.014) AppleWebKit/537.36 (KHTML, like Gecko)"
    " Chrome/120.0.0.0 Mobile Safari/537.36"
)


@pytest.fixture(scope="module")
def many(e2e_database):
    """A second enumerator with 1,200 assigned households (one member each)."""
    import sqlalchemy as sa

    from server import create_app
    from server.auth.passwords import hash_password
    from server.campaigns.models import Assignment, Campaign
    from server.extensions import db
    from tests import factories

    app = create_app({"PROFILE": "test", "SQLALCHEMY_DATABASE_URI": e2e_database[0]})
    with app.app_context():
        user = factories.make_user("enumerator", regions=("64.72.01",), username="petugas_banyak")
        user.password_hash = hash_password(E2E_PASSWORD)
        campaign = Campaign(name="Verval besar", period_start=date(2026, 1, 1), period_end=date(2026, 12, 31))
        db.session.add(campaign)
        db.session.flush()
        region = db.session.execute(
            sa.text("SELECT code FROM regions WHERE level = 'kelurahan' AND code LIKE '64.72.01.%' ORDER BY code")
        ).scalar()
        for number in range(COUNT):
            household = factories.make_household(
                head_name=f"Keluarga Banyak {number:04d}",
                region_code=region,
                rt=f"{number % 9 + 1:03d}",
                location=f"SRID=4326;POINT({CENTRE[0] + (number % 40) * 0.001} {CENTRE[1] + (number // 40) * 0.001})",
            )
            factories.make_member(household, name=f"Keluarga Banyak {number:04d}")
            db.session.add(Assignment(campaign_id=campaign.id, household_id=household.id, enumerator_id=user.id))
        db.session.commit()
        username = user.username
        db.session.remove()
        db.engine.dispose()
    return username


def test_the_last_of_1200_households_is_reached_and_navigasi_opens_the_map_app(browser, live_server, many):
    context = new_phone(browser, live_server, user_agent=ANDROID)
    page = context.new_page()
    page.goto("/")
    page.get_by_label("Nama pengguna").fill(many)
    page.get_by_label("Kata sandi").fill(E2E_PASSWORD)
    # The device name is asked in words, with a suggestion from the phone's model.
    assert page.get_by_test_id("device-name").input_value() == "HP SM-A145F"
    page.get_by_role("button", name="Masuk").click()
    wait_for(page, f"verval.db.households.count().then(n => n === {COUNT})", timeout=120000)
    wait_for(page, "document.querySelector('[data-testid=household-count]')?.textContent.includes('1.200 ditugaskan')")
    assert page.get_by_test_id("household-item").count() < 100  # drawn a page at a time
    check_screen(page, "list of 1,200")

    # Scrolling to the end draws the next pages until the last household is there.
    last = f"Keluarga Banyak {COUNT - 1:04d}"
    for _ in range(60):
        if page.locator("[data-testid=household-item]", has_text=last).count():
            break
        page.mouse.wheel(0, 20000)
        page.wait_for_timeout(150)
    item = page.locator("[data-testid=household-item]", has_text=last)
    assert item.count() == 1
    assert "Menampilkan 1.200 dari 1.200" in page.get_by_test_id("household-count").inner_text()
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")

    # A search answers from all of them, not only the drawn pages.
    page.get_by_test_id("search").fill("Banyak 0601")
    wait_for(page, "document.querySelectorAll('[data-testid=household-item]').length === 1")
    page.get_by_test_id("household-item").click()
    page.get_by_test_id("household-detail").wait_for()
    href = page.get_by_test_id("navigate").get_attribute("href")
    assert href.startswith("geo:") and "(Keluarga%20Banyak%200601)" in href
    check_screen(page, "detail with Navigasi")
    context.close()
