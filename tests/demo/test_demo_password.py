"""The demo accounts through the real login: every one logs in with the published demo password (and gets
its area) where the profile allows demo data; an app with the production profile refuses it."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from server import create_app
from server.audit.models import AuditEntry
from server.config import DEMO_PASSWORD
from server.demo.service import load_demo_city
from server.extensions import db

USERS = ["admin", "supervisor", "reviewer", "viewer"] + [f"enumerator{n}" for n in range(1, 6)]


def _login(client, username: str, password: str = DEMO_PASSWORD):
    body = {"username": username, "password": password, "device_name": "Demo"}
    return client.post("/api/v1/auth/login", json=body)


@pytest.fixture
def demo_city(db_session):
    city = load_demo_city(households=60, seed=3)
    db_session.commit()  # as real data: a refused login below rolls back its own work only
    return city


def test_every_demo_user_logs_in_with_the_demo_password(demo_city, client):
    for username in USERS:
        response = _login(client, username)
        assert response.status_code == 200, (username, response.get_json())
        user = response.get_json()["data"]["user"]
        assert user["username"] == username
        expected = 2 if username.startswith("enumerator") else (0 if username == "admin" else 1)
        assert len(user["region_codes"]) == expected, username
    assert _login(client, "admin", "demo-verval2").status_code == 401


def test_the_production_profile_refuses_the_demo_password_for_demo_accounts(demo_city, database_url):
    secrets = {"SECRET_KEY": "s" * 40, "JWT_SECRET_KEY": "j" * 40}
    production = create_app({"PROFILE": "production", "SQLALCHEMY_DATABASE_URI": database_url, **secrets})
    assert production.config["ALLOW_DEMO_PASSWORD"] is False
    with production.test_client() as client:
        for username in ("admin", "enumerator1"):
            response = client.post(
                "/api/v1/auth/login", json={"username": username, "password": DEMO_PASSWORD, "device_name": "x"}
            )
            assert response.status_code == 401, (username, response.get_json())
            assert response.get_json()["error"]["code"].startswith("auth.")
    reasons = db.session.execute(
        sa.select(AuditEntry.changes["reason"].astext).where(AuditEntry.action == "auth.login_failed")
    ).scalars()
    assert list(reasons) == ["demo_password_in_production"] * 2
