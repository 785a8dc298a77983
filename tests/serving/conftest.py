"""The production-like serving set-up: gunicorn started from the project folder with gunicorn.conf.py
(gthread workers, its JSON logs), on 127.0.0.1 and a database of its own where work really commits."""

from __future__ import annotations

import os
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

from server.config import PROJECT_ROOT


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Served:
    url: str
    port: int
    log: Path
    username: str
    password: str
    household_id: str
    household_version: int
    nik: str
    process: subprocess.Popen

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")


def start_gunicorn(database_url: str, folder: Path, **env: str) -> tuple[subprocess.Popen, str, int, Path]:
    port = free_port()
    log = folder / "gunicorn.log"
    environment = {
        **os.environ,
        "DATABASE_URL": database_url,
        "VERVAL_PROFILE": "test",
        "PHOTO_STORE": str(folder / "photos"),
        "HOST": "127.0.0.1",
        "PORT": str(port),
        **env,
    }
    gunicorn = Path(sys.executable).parent / "gunicorn"
    with log.open("ab") as out:
        process = subprocess.Popen(
            [str(gunicorn), "server:create_app()"],
            cwd=PROJECT_ROOT,
            env=environment,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if requests.get(f"{url}/api/v1/health", timeout=2).status_code == 200:
                return process, url, port, log
        except requests.RequestException:
            pass
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited: {log.read_text()[-3000:]}")
        time.sleep(0.3)
    stop(process)
    raise RuntimeError("gunicorn did not start")


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(10)


@pytest.fixture(scope="package")
def serving_world(make_committed_app):
    """An enumerator with a known password and one assigned household with a member's NIK."""
    from server.auth.passwords import hash_password
    from server.campaigns.models import Assignment, Campaign
    from server.extensions import db
    from tests import factories

    app = make_committed_app("_serving")
    password = "kata-sandi-uji-serving-7"
    with app.app_context():
        user = factories.make_user("enumerator", regions=("64.72.01",))
        user.password_hash = hash_password(password)
        campaign = Campaign(name="Uji", period_start=date(2026, 1, 1), period_end=date(2026, 12, 31), active=True)
        db.session.add(campaign)
        db.session.flush()
        household = factories.make_household()
        member = factories.make_member(household)
        db.session.add(Assignment(campaign_id=campaign.id, household_id=household.id, enumerator_id=user.id))
        db.session.commit()
        world = {
            "database_url": app.config["SQLALCHEMY_DATABASE_URI"],
            "username": user.username,
            "password": password,
            "household_id": str(household.id),
            "household_version": household.version,
            "nik": member.nik,
        }
        db.session.remove()
    return world


@pytest.fixture(scope="package")
def served(serving_world, tmp_path_factory):
    """gunicorn with the project's own gunicorn.conf.py (4 gthread workers x 32 threads by default)."""
    folder = tmp_path_factory.mktemp("served")
    process, url, port, log = start_gunicorn(serving_world["database_url"], folder)
    yield Served(
        url=url,
        port=port,
        log=log,
        username=serving_world["username"],
        password=serving_world["password"],
        household_id=serving_world["household_id"],
        household_version=serving_world["household_version"],
        nik=serving_world["nik"],
        process=process,
    )
    stop(process)


def login(served: Served, username: str | None = None, password: str | None = None, **kwargs) -> requests.Response:
    body = {"username": username or served.username, "password": password or served.password, "device_name": "uji"}
    return requests.post(f"{served.url}/api/v1/auth/login", json=body, timeout=10, **kwargs)


def visit(served: Served, **overrides) -> dict:
    import uuid

    item = {
        "id": str(uuid.uuid4()),
        "household_id": served.household_id,
        "base_version": served.household_version,
        "device_time": "2026-11-28T09:12:00+08:00",
        "gps": {"lon": 117.15, "lat": -0.5, "accuracy_m": 12.5, "fixed_at": "2026-11-28T09:11:50+08:00"},
        "outcome": "found",
        "consent": True,
        "members": [],
        "house_condition": {},
        "aid_reported": [],
        "notes": "",
        "photos": [],
    }
    item.update(overrides)
    return item
