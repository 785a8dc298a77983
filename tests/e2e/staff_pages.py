"""What every page of the staff workspace must be in the browser tests: plain Indonesian (or English) words,
no developer text, nothing wider than the screen, no serious or critical axe-core finding; and the users,
browser contexts and screenshots the staff tests share."""

from __future__ import annotations

import os
import re
from functools import cache

import sqlalchemy as sa

from server.config import PROJECT_ROOT
from tests.e2e.conftest import AXE, E2E_PASSWORD, _watch_console

DESKTOP = {"width": 1366, "height": 768}
TABLET = {"width": 768, "height": 1024}
PHONE = {"width": 360, "height": 640}
SHOTS = PROJECT_ROOT / "docs" / "screenshots"
# An office PC without WebGL: the pages' map islands stay out and the server's SVG drawings are the maps.
NO_WEBGL = "HTMLCanvasElement.prototype.getContext = function () { return null; };"
FORBIDDEN_TEXT = ("Traceback", "[object", "undefined", "NaN", "None", "csrf", "CSRF", "Bad Request", "Internal Server")


@cache
def english_only_words() -> set[str]:
    """Words that appear only on the English side of the staff catalogue."""
    from babel.messages.pofile import read_po

    with (PROJECT_ROOT / "server" / "translations" / "en" / "LC_MESSAGES" / "messages.po").open("rb") as source:
        catalogue = read_po(source, locale="en")
    words = lambda s: {w.lower() for w in re.findall(r"[A-Za-z]{4,}", s)}  # noqa: E731
    indonesian, english = set(), set()
    for message in catalogue:
        if message.id:
            indonesian |= words(message.id if isinstance(message.id, str) else " ".join(message.id))
            english |= words(message.string if isinstance(message.string, str) else " ".join(message.string))
    # The language button says "English" on Indonesian pages, on purpose.
    return english - indonesian - {"english", "audit", "admin", "supervisor"}


def check_page(page, name: str) -> None:
    """Codes shown as codes (<code>: audit action names an admin filters by) are not words of the page."""
    text = page.evaluate(
        "() => { const b = document.body.cloneNode(true); b.querySelectorAll('code').forEach(c => c.remove());"
        " document.documentElement.appendChild(b); const t = b.innerText; b.remove(); return t; }"
    )
    for bad in FORBIDDEN_TEXT:
        assert bad not in text, f"{name}: {bad!r} on screen: {text[:600]}"
    if page.evaluate("() => document.documentElement.lang") == "id":
        english = sorted({w for w in re.findall(r"[A-Za-z]{4,}", text) if w.lower() in english_only_words()})
        assert english == [], f"{name}: English words on an Indonesian page: {english}"
    # clientWidth, not innerWidth: a phone's browser widens its layout viewport to content wider than the screen.
    width = page.evaluate("() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]")
    assert width[0] <= width[1], f"{name}: the page scrolls sideways ({width[0]} > {width[1]} px)"
    if not page.evaluate("() => typeof window.__axe === 'object'"):
        page.evaluate("() => {" + AXE.read_text() + "\n; window.__axe = axe; }")
    found = page.evaluate(
        "() => window.__axe.run(document, {resultTypes: ['violations']}).then(r => r.violations"
        ".filter(v => v.impact === 'serious' || v.impact === 'critical')"
        ".map(v => `${v.id} (${v.impact}): ${v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(', ')}`))"
    )
    assert found == [], f"{name}: axe-core found {found}"


def shoot(page, name: str) -> None:
    """The page at the tablet size too (768x1024), checked there like everywhere: the workspace must be usable on
    the field office's tablet, not only in screenshots. With VERVAL_SCREENSHOTS=1 both sizes are shot for the
    README."""
    shots = bool(os.environ.get("VERVAL_SCREENSHOTS"))
    if shots:
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / f"staff-{name}-desktop.png"))
    size = page.viewport_size
    page.set_viewport_size(TABLET)
    check_page(page, f"{name} at 768x1024")
    if shots:
        page.screenshot(path=str(SHOTS / f"staff-{name}-tablet.png"), full_page=False)
    page.set_viewport_size(size)


def shoot_phone(page, name: str) -> None:
    """With VERVAL_SCREENSHOTS=1: the page as a phone shows it (360x640), for the README."""
    if os.environ.get("VERVAL_SCREENSHOTS"):
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / f"staff-{name}-phone.png"), full_page=False)


def phone(browser, server, locale: str = "id-ID"):
    """A supervisor's phone: 360x640 CSS pixels, touch, the phone's user agent."""
    context = browser.new_context(
        base_url=server.url,
        viewport=PHONE,
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
        locale=locale,
        timezone_id="Asia/Makassar",
    )
    context.on("console", _watch_console)
    context.on("weberror", lambda error: print(f"[page error] {error.error}"))
    return context


def desktop(browser, server, locale: str = "id-ID"):
    context = browser.new_context(base_url=server.url, viewport=DESKTOP, locale=locale, timezone_id="Asia/Makassar")
    context.on("console", _watch_console)
    context.on("weberror", lambda error: print(f"[page error] {error.error}"))
    return context


def make_staff_user(database_url: str, role: str, username: str, regions=("64.72",)) -> None:
    """A staff account with the e2e password on the live server's database (idempotent)."""
    from server import create_app
    from server.auth.passwords import hash_password
    from server.extensions import db
    from tests import factories

    app = create_app({"PROFILE": "test", "SQLALCHEMY_DATABASE_URI": database_url})
    with app.app_context():
        exists = db.session.execute(sa.text("SELECT 1 FROM users WHERE username = :u"), {"u": username}).first()
        if not exists:
            user = factories.make_user(role, list(regions), username=username, full_name=f"Staf {username}")
            user.password_hash = hash_password(E2E_PASSWORD)
            db.session.commit()
        # The seed's enumerator gets a name a person would have (the factory's says "Pengguna petugas N").
        db.session.execute(sa.text("UPDATE users SET full_name = 'Rina Petugas' WHERE username = 'petugas1'"))
        db.session.commit()
        db.session.remove()
        db.engine.dispose()


def log_in(page, username: str) -> None:
    page.goto("/staff/masuk")
    page.get_by_label("Nama pengguna").fill(username)
    page.get_by_label("Kata sandi").fill(E2E_PASSWORD)
    page.get_by_role("button", name="Masuk").click()
