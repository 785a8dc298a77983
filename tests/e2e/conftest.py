"""Browser tests: the real server (gunicorn) on 127.0.0.1 with its own database, and Debian's Chromium
driven by Playwright (never a downloaded browser).

The server runs in a subprocess so a test can stop and start it in the middle of a sync; it keeps
its port, because the phone's IndexedDB and service worker belong to that origin.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest
import requests
import sqlalchemy as sa

from server.config import PROJECT_ROOT

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
# Chromium on Linux takes its own words (the file picker's button, a date field's dd/mm/yyyy) from LANGUAGE, not
# from --lang or the context's locale; Debian's chromium-l10n holds the Indonesian ones (make test-tools).
CHROMIUM_ENV = {**os.environ, "LANGUAGE": "id"}
PHONE = {"width": 360, "height": 640}
DIST = PROJECT_ROOT / "pwa" / "dist"
E2E_PASSWORD = "kata-sandi-e2e-1"
# Near the Samarinda city hall: where the demo households and the mocked GPS are.
CENTRE = (117.1536, -0.5022)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _children(parent: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError):
            # "pid (comm) state ppid ...": comm may hold spaces, so split after its closing parenthesis.
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == parent:
                found.append(int(stat.parent.name))
    return found


class LiveServer:
    """gunicorn serving `server:create_app()` on a fixed port; stop() and start() keep the origin."""

    def __init__(self, database_url: str, photo_dir: Path, log: Path):
        self.database_url = database_url
        self.photo_dir = photo_dir
        self.log = log
        # The server checks its /api/ answers against its OpenAPI document and writes mismatches here.
        self.mismatch_log = log.with_name("mismatches.log")
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        env = {
            **os.environ,
            "DATABASE_URL": self.database_url,
            "VERVAL_PROFILE": "test",
            "PHOTO_STORE": str(self.photo_dir),
            "RESPONSE_MISMATCH_LOG": str(self.mismatch_log),
        }
        gunicorn = Path(sys.executable).parent / "gunicorn"
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(
                [str(gunicorn), "--workers", "1", "--threads", "4", "--bind", f"127.0.0.1:{self.port}",
                 "--graceful-timeout", "1", "--access-logfile", "-", "server:create_app()"],
                cwd=PROJECT_ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
            )  # fmt: skip
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if requests.get(f"{self.url}/api/v1/health", timeout=1).status_code == 200:
                    return
            except requests.RequestException:
                pass
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited: {self.log.read_text()[-2000:]}")
            time.sleep(0.2)
        raise RuntimeError("server did not start")

    def diagnose(self) -> str:
        """Whether the server still answers, what its database sessions wait on, and every worker thread's
        stack: shown with a failed browser test, since a hang cannot be reproduced on demand."""
        lines = []
        try:
            answer = requests.get(f"{self.url}/api/v1/health", timeout=10)
            lines.append(f"health: {answer.status_code}")
        except requests.RequestException as error:
            lines.append(f"health: no answer ({type(error).__name__})")
        engine = sa.create_engine(self.database_url, poolclass=sa.pool.NullPool)
        try:
            with engine.connect() as connection:
                rows = connection.execute(
                    sa.text(
                        "SELECT pid, state, wait_event_type, wait_event, now() - xact_start AS open_for,"
                        " left(query, 160) FROM pg_stat_activity WHERE datname = current_database()"
                        " AND pid <> pg_backend_pid()"
                    )
                ).all()
            lines += ["database sessions:"] + [f"  {tuple(row)}" for row in rows]
        finally:
            engine.dispose()
        if self.process and self.process.poll() is None:
            size = self.log.stat().st_size
            for pid in _children(self.process.pid):
                os.kill(pid, signal.SIGUSR2)
            time.sleep(1)
            lines += ["worker stacks:", self.log.read_text(errors="replace")[size:][-12000:]]
        return "\n".join(lines)

    def kill(self) -> None:
        """Stops the server abruptly (like a crash or a cut cable): no graceful finish of requests."""
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(10)
        self.process = None


@dataclass
class Seed:
    username: str
    household_ids: list[str]


def _seed(database_url: str) -> Seed:
    """A small demo city: one enumerator with 24 assigned households (members, locations) in two kelurahan."""
    from flask_migrate import upgrade

    from server import create_app
    from server.campaigns.models import Assignment, Campaign
    from server.extensions import db
    from server.regions.service import load_regions
    from tests import factories

    app = create_app({"PROFILE": "test", "SQLALCHEMY_DATABASE_URI": database_url})
    with app.app_context():
        upgrade()
        load_regions()
        try:
            from server.aid.catalog import seed_programs
        except ImportError:
            pass
        else:
            seed_programs()
        user = factories.make_user("enumerator", regions=("64.72.01", "64.72.02"), username="petugas1")
        from server.auth.passwords import hash_password

        user.password_hash = hash_password(E2E_PASSWORD)
        campaign = Campaign(name="Verval 2026", period_start=date(2026, 1, 1), period_end=date(2026, 12, 31))
        db.session.add(campaign)
        db.session.flush()
        query = sa.text(
            "SELECT code FROM regions WHERE level = 'kelurahan' AND code LIKE '64.72.01.%' ORDER BY code LIMIT 2"
        )
        kelurahan = db.session.execute(query).scalars().all()
        ids = []
        for number in range(24):
            lon = CENTRE[0] + (number % 6) * 0.002
            lat = CENTRE[1] + (number // 6) * 0.002
            household = factories.make_household(
                head_name=f"Warga Uji {number:02d}",
                region_code=kelurahan[number % 2],
                rt=f"{number % 3 + 1:03d}",
                location=f"SRID=4326;POINT({lon} {lat})",
                location_accuracy_m=10.0,
            )
            factories.make_member(household, name=f"Warga Uji {number:02d}", relationship_code=1)
            factories.make_member(household, name=f"Anak Uji {number:02d}", relationship_code=3, sex=2)
            db.session.add(Assignment(campaign_id=campaign.id, household_id=household.id, enumerator_id=user.id))
            ids.append(str(household.id))
        db.session.commit()
        username = user.username
        db.session.remove()
        db.engine.dispose()
    return Seed(username=username, household_ids=ids)


@pytest.fixture(scope="session")
def e2e_database(create_database) -> tuple[str, Seed]:
    if not (DIST / "index.html").is_file():
        pytest.fail("pwa/dist is not built: run `make pwa`")
    url = create_database("_e2e")
    return url, _seed(url)


@pytest.fixture(scope="session")
def live_server(e2e_database, tmp_path_factory):
    url, _ = e2e_database
    server = LiveServer(url, tmp_path_factory.mktemp("photos"), tmp_path_factory.mktemp("log") / "server.log")
    server.start()
    yield server
    server.kill()
    # The whole browser suite's traffic went through this server: its log holds no personal data (issue 20).
    text = server.log.read_text(errors="replace")
    assert E2E_PASSWORD not in text
    # Not inside a hex run: request ids are 32 hex digits and sometimes hold 16 decimal ones in a row.
    digits = re.findall(r"(?<![0-9a-fA-F])\d{16}(?![0-9a-fA-F])", text)
    assert digits == [], "a 16-digit number (NIK, No. KK) in the server log"
    assert re.findall(r"eyJ[\w-]+\.[\w-]+\.[\w-]+", text) == [], "a token in the server log"


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if report.failed and "live_server" in item.fixturenames and "live_server" in item.funcargs:
        report.sections.append(("live server", item.funcargs["live_server"].diagnose()))
    return report


@pytest.fixture(autouse=True)
def _server_answers_match_the_document(request):
    """Fails a browser test during which the live server gave an answer its OpenAPI document does not describe."""
    if "live_server" not in request.fixturenames:
        yield
        return
    log = request.getfixturevalue("live_server").mismatch_log
    seen = log.stat().st_size if log.exists() else 0
    yield
    new = log.read_text(encoding="utf-8")[seen:] if log.exists() else ""
    assert not new, "answers that differ from /api/openapi.json:\n" + new


@pytest.fixture(scope="session")
def db_engine(e2e_database):
    engine = sa.create_engine(e2e_database[0], poolclass=sa.pool.NullPool)
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def seed(e2e_database) -> Seed:
    return e2e_database[1]


@pytest.fixture(scope="session")
def playwright_driver():
    """One Playwright for the whole run: a second sync_playwright() while one runs is refused ("Sync API inside
    the asyncio loop"), so every browser of the run (plain, WebGL) is launched from this one."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        yield playwright


@pytest.fixture(scope="session")
def browser(playwright_driver):
    browser = playwright_driver.chromium.launch(
        executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS, env=CHROMIUM_ENV
    )
    yield browser
    browser.close()


def wait_for(page, expression: str, arg=None, timeout: float = 30000):
    """`page.wait_for_function` without eval: Playwright's own polls by `eval` inside the page, which the
    server's Content-Security-Policy (no 'unsafe-eval') rightly refuses. `page.evaluate` goes through the
    DevTools protocol instead, so the policy stays enforced for the app while the test polls."""
    from playwright.sync_api import Error as PlaywrightError
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    deadline = time.monotonic() + timeout / 1000
    while True:
        try:
            result = page.evaluate(expression, arg)
        except PlaywrightError as error:  # a navigation replaced the page's context: try again
            if "context was destroyed" not in str(error) and "navigat" not in str(error):
                raise
            result = None
        if result:
            return result
        if time.monotonic() > deadline:
            raise PlaywrightTimeout(f"Timeout {timeout:.0f} ms waiting for {expression}")
        time.sleep(0.1)


# The server's Content-Security-Policy is enforced in these tests: anything it blocks fails the test.
CSP_VIOLATIONS: list[str] = []


def _watch_console(message) -> None:
    print(f"[console.{message.type}] {message.text}")
    if "Content Security Policy" in message.text:
        CSP_VIOLATIONS.append(message.text)


@pytest.fixture(autouse=True)
def _nothing_blocked_by_the_csp():
    CSP_VIOLATIONS.clear()
    yield
    assert CSP_VIOLATIONS == [], "the page did something the Content-Security-Policy forbids"


def new_phone(browser, server: LiveServer, user_agent: str | None = None):
    """A fresh phone: its own storage, 360x640, geolocation allowed and mocked with an accuracy."""
    context = browser.new_context(
        **({"user_agent": user_agent} if user_agent else {}),
        base_url=server.url,
        viewport=PHONE,
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
        locale="id-ID",
        timezone_id="Asia/Makassar",
        service_workers="allow",
    )
    context.grant_permissions(["geolocation"], origin=server.url)
    # The page's console and errors end up in the test's captured output, shown when a test fails.
    context.on("console", _watch_console)
    context.on("weberror", lambda error: print(f"[page error] {error.error}"))
    context.set_geolocation({"longitude": CENTRE[0] + 0.0001, "latitude": CENTRE[1] + 0.0001, "accuracy": 12})
    return context


# --- what every screen of the enumerators' app must be (issue 16) -----------------------------------------
AXE = PROJECT_ROOT / "pwa" / "node_modules" / "axe-core" / "axe.min.js"
FORBIDDEN_TEXT = ("tus:", "[object", "undefined", "null", "NaN")
MIN_TARGET_PX = 44
# The controls a finger must hit. A checkbox is hit through its label (label.check is the target).
CONTROLS = (
    "button, a[href], select, summary, label.check, label.take,"
    " input:not([type=checkbox]):not([type=file]):not([type=hidden])"
)


def english_words() -> set[str]:
    """Words only the English side of the app's catalogue (and the server's English labels) uses."""
    import re

    from server.visits.form import HOUSE_CONDITION, OUTCOMES, PHOTO_KINDS, RELATIONSHIPS, VISIT_PRESENCE

    text = (PROJECT_ROOT / "pwa" / "src" / "i18n.js").read_text()
    id_start, en_start = text.index("\n  id: {"), text.index("\n  en: {")
    value = re.compile(r"\w+: '((?:[^'\\]|\\.)*)'")
    indonesian = " ".join(value.findall(text[id_start:en_start]))
    english = " ".join(value.findall(text[en_start:]))
    choices = [*OUTCOMES, *VISIT_PRESENCE, *PHOTO_KINDS, *RELATIONSHIPS] + [
        c for options in HOUSE_CONDITION.values() for c in options
    ]
    indonesian += " " + " ".join(c["label_id"] for c in choices)
    english += " " + " ".join(c["label_en"] for c in choices) + " disbursed listed suspended logged"
    words = lambda s: {w.lower() for w in re.findall(r"[A-Za-z]{4,}", s)}  # noqa: E731
    # "Indonesia" is a name (the English side's language button; programme names such as Program Indonesia Pintar).
    return words(english) - words(indonesian) - {"indonesia"}


ENGLISH = english_words()


def check_screen(page, name: str) -> None:
    """The screen as the enumerator sees it: no developer text, no English while in Indonesian, every
    control at least 44x44 px, nothing wider than the phone, and no serious or critical axe-core finding."""
    import re

    text = page.evaluate("() => document.body.innerText")
    for bad in FORBIDDEN_TEXT:
        assert bad not in text, f"{name}: {bad!r} on screen: {text[:800]}"
    if page.evaluate("() => document.documentElement.lang") == "id":
        english = sorted({w for w in re.findall(r"[A-Za-z]{4,}", text) if w.lower() in ENGLISH})
        assert english == [], f"{name}: English words on an Indonesian screen: {english}"
    small = page.evaluate(
        """([selector, min]) => [...document.querySelectorAll(selector)].flatMap((el) => {
            const r = el.getBoundingClientRect();
            if (!r.width || !r.height || getComputedStyle(el).visibility === 'hidden') return [];
            return r.width + 0.5 < min || r.height + 0.5 < min
              ? [`${el.outerHTML.slice(0, 90)} ${Math.round(r.width)}x${Math.round(r.height)}`] : [];
        })""",
        [CONTROLS, MIN_TARGET_PX],
    )
    assert small == [], f"{name}: controls smaller than {MIN_TARGET_PX} px: {small}"
    width = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
    assert width[0] <= width[1], f"{name}: the screen scrolls sideways ({width[0]} > {width[1]} px)"
    if not page.evaluate("() => typeof window.__axe === 'object'"):
        # Through the DevTools protocol, like page.evaluate: the app's CSP still holds for the app itself.
        page.evaluate("() => {" + AXE.read_text() + "\n; window.__axe = axe; }")
    found = page.evaluate(
        "() => window.__axe.run(document, {resultTypes: ['violations']}).then(r => r.violations"
        ".filter(v => v.impact === 'serious' || v.impact === 'critical')"
        ".map(v => `${v.id} (${v.impact}): ${v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(', ')}`))"
    )
    assert found == [], f"{name}: axe-core found {found}"
