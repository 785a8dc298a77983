"""The app shell in real Chromium: installable (manifest + icons), service worker precache, starts offline."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import new_phone, wait_for

pytestmark = pytest.mark.e2e


def wait_for_service_worker(page) -> None:
    wait_for(
        page,
        "navigator.serviceWorker.controller !== null || navigator.serviceWorker.ready.then(() => true)",
        timeout=20000,
    )
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")


def test_first_visit_installs_the_shell_and_the_app_starts_offline(browser, live_server):
    context = new_phone(browser, live_server)
    page = context.new_page()
    page.goto("/")
    page.get_by_role("heading", name="Masuk").wait_for()
    wait_for_service_worker(page)
    caches = page.evaluate("caches.keys()")
    precache = [name for name in caches if name.startswith("verval-precache")]
    assert len(precache) == 1
    cached = page.evaluate(
        f"caches.open({precache[0]!r}).then(c => c.keys()).then(r => r.map(x => new URL(x.url).pathname))"
    )
    assert "/index.html" in cached
    assert "/vendor/browser-image-compression.js" in cached
    assert "/manifest.webmanifest" in cached
    assert any(path.startswith("/assets/") and path.endswith(".js") for path in cached)
    assert not any(path.startswith("/api/") for path in cached)

    manifest = page.evaluate("fetch('/manifest.webmanifest').then(r => r.json())")
    assert {icon["sizes"] for icon in manifest["icons"]} == {"192x192", "512x512"}
    for icon in manifest["icons"]:
        assert page.evaluate(f"fetch({icon['src']!r}).then(r => r.headers.get('content-type'))") == "image/png"

    context.set_offline(True)
    page.reload()
    page.get_by_role("heading", name="Masuk").wait_for()
    assert page.get_by_test_id("online").inner_text() == "Luring"
    # An app route (deep link) also starts offline: navigations get the cached index.html.
    page.goto("/outbox")
    page.get_by_role("heading", name="Masuk").wait_for()
    # Language switch: every string from the catalogue.
    page.get_by_role("button", name="English").click()
    page.get_by_role("heading", name="Log in").wait_for()
    context.close()


def test_the_browser_enforces_the_content_security_policy(browser, live_server):
    """Inline script is refused by Chromium itself under the server's policy (and reported)."""
    from tests.e2e.conftest import CSP_VIOLATIONS

    context = new_phone(browser, live_server)
    page = context.new_page()
    response = page.goto("/")
    assert "script-src 'self'" in response.headers["content-security-policy"]
    page.get_by_role("heading", name="Masuk").wait_for()
    with pytest.raises(Exception):  # noqa: B017 (Playwright reports the refused inline script as an error)
        page.add_script_tag(content="window.injected = 1")
    assert page.evaluate("window.injected === undefined")
    page.wait_for_timeout(200)
    assert any("Content Security Policy" in text for text in CSP_VIOLATIONS)
    CSP_VIOLATIONS.clear()
    context.close()
