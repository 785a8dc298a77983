"""Sessions: login on a device, refresh rotation with stolen-token detection, logout, deactivation, expiry,
the demo password in production, and login rate limits; each with its audit rows."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from flask_jwt_extended import create_access_token, create_refresh_token

from server.audit.models import AuditEntry
from server.auth.models import Device, RefreshToken
from server.auth.passwords import hash_password
from server.config import DEMO_PASSWORD
from server.extensions import db
from tests.factories import TEST_PASSWORD, make_user


def _login(client, user, password=TEST_PASSWORD, **extra):
    body = {"username": user.username, "password": password, "device_name": "HP Petugas", **extra}
    return client.post("/api/v1/auth/login", json=body)


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _refresh(client, token):
    return client.post("/api/v1/auth/refresh", headers=_bearer(token))


def _me(client, token):
    return client.get("/api/v1/auth/me", headers=_bearer(token))


def _audit(action: str) -> list[AuditEntry]:
    return db.session.execute(sa.select(AuditEntry).where(AuditEntry.action == action)).scalars().all()


def test_login_registers_the_device_and_answers_the_documented_shape(client, db_session):
    user = make_user("enumerator", regions=["64.72.01.1001"])
    response = _login(client, user)
    assert response.status_code == 200, response.get_json()
    data = response.get_json()["data"]
    assert set(data) == {"access_token", "refresh_token", "expires_in", "user", "device"}
    assert data["expires_in"] == 15 * 60
    assert data["user"]["username"] == user.username and data["user"]["region_codes"] == ["64.72.01.1001"]
    device = db.session.get(Device, uuid.UUID(data["device"]["id"]))
    assert device.user_id == user.id and device.name == "HP Petugas"
    me = _me(client, data["access_token"]).get_json()["data"]
    assert me["device"]["id"] == data["device"]["id"] and me["user"]["role"] == "enumerator"
    # The same phone logging in again keeps its device.
    again = _login(client, user, device_id=data["device"]["id"]).get_json()["data"]
    assert again["device"]["id"] == data["device"]["id"]
    assert [entry.actor_id for entry in _audit("auth.login")] == [user.id, user.id]


def test_wrong_password_and_unknown_user_get_the_same_answer_and_are_audited(client, db_session):
    user = make_user("reviewer")
    wrong = _login(client, user, password="salah-sekali-123")
    unknown = client.post("/api/v1/auth/login", json={"username": "tidak-ada", "password": "x", "device_name": "d"})
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.get_json() == unknown.get_json()
    assert wrong.get_json()["error"]["code"] == "auth.invalid_credentials"
    reasons = {entry.actor_username: entry.changes["reason"] for entry in _audit("auth.login_failed")}
    assert reasons == {user.username: "wrong_password", "tidak-ada": "unknown_user"}
    assert "salah-sekali-123" not in str([entry.changes for entry in _audit("auth.login_failed")])


def test_login_body_is_validated_field_by_field(client, db_session):
    response = client.post("/api/v1/auth/login", json={"username": "a", "device_id": "bukan-uuid"})
    assert response.status_code == 422
    assert set(response.get_json()["error"]["details"]["fields"]) == {"password", "device_name", "device_id"}


def test_refresh_rotates_and_reuse_revokes_the_whole_family(client, db_session):
    user = make_user("enumerator")
    first = _login(client, user).get_json()["data"]
    second = _refresh(client, first["refresh_token"])
    assert second.status_code == 200
    second = second.get_json()["data"]
    assert second["refresh_token"] != first["refresh_token"]
    assert _me(client, second["access_token"]).status_code == 200
    third = _refresh(client, second["refresh_token"]).get_json()["data"]

    # The first token is replayed (a thief holds a copy): everything of this login dies.
    replay = _refresh(client, first["refresh_token"])
    assert replay.status_code == 401 and replay.get_json()["error"]["details"]["reason"] == "token_reused"
    assert _refresh(client, third["refresh_token"]).status_code == 401
    assert _me(client, third["access_token"]).status_code == 401
    family = db.session.execute(sa.select(RefreshToken).where(RefreshToken.user_id == user.id)).scalars().all()
    assert len(family) == 3 and all(token.revoked_at is not None for token in family)
    assert len(_audit("auth.refresh_reuse")) == 1
    # Another login of the same user is another family and keeps working.
    assert _login(client, user).status_code == 200


def test_logout_revokes_access_and_refresh_at_once(client, db_session):
    user = make_user("enumerator")
    session = _login(client, user).get_json()["data"]
    response = client.post("/api/v1/auth/logout", headers=_bearer(session["access_token"]))
    assert response.status_code == 200 and response.get_json()["data"]["revoked_tokens"] == 1
    assert _me(client, session["access_token"]).status_code == 401
    assert _refresh(client, session["refresh_token"]).status_code == 401
    assert len(_audit("auth.logout")) == 1


def test_deactivated_user_and_revoked_device_are_locked_out_immediately(client, db_session):
    user = make_user("enumerator")
    session = _login(client, user).get_json()["data"]
    device = db.session.get(Device, uuid.UUID(session["device"]["id"]))
    device.revoked_at = datetime.now(UTC)
    db.session.flush()
    assert _me(client, session["access_token"]).get_json()["error"]["details"]["reason"] == "device_revoked"

    other = make_user("enumerator")
    session = _login(client, other).get_json()["data"]
    other.active = False
    db.session.flush()
    assert _me(client, session["access_token"]).status_code == 401
    assert _refresh(client, session["refresh_token"]).status_code == 401
    assert _login(client, other).status_code == 401


def test_expired_tokens_are_refused(app, client, db_session):
    user = make_user("enumerator")
    expired_access = create_access_token(identity=str(user.id), expires_delta=timedelta(seconds=-5))
    expired_refresh = create_refresh_token(identity=str(user.id), expires_delta=timedelta(seconds=-5))
    for response in (_me(client, expired_access), _refresh(client, expired_refresh)):
        assert response.status_code == 401
        assert response.get_json()["error"]["details"]["reason"] == "token_expired"
    # A refresh token that was never issued by a login (no server-side row) is refused too.
    forged = create_refresh_token(identity=str(user.id))
    assert _refresh(client, forged).status_code == 401


def test_access_token_is_not_a_refresh_token_and_vice_versa(client, db_session):
    user = make_user("enumerator")
    session = _login(client, user).get_json()["data"]
    assert _refresh(client, session["access_token"]).status_code == 401
    assert _me(client, session["refresh_token"]).status_code == 401


@pytest.fixture
def production_rules(app):
    app.config["ALLOW_DEMO_PASSWORD"] = False
    yield
    app.config["ALLOW_DEMO_PASSWORD"] = True


def test_production_refuses_the_demo_password(client, db_session, production_rules):
    user = make_user("admin", password_hash=hash_password(DEMO_PASSWORD))
    assert _login(client, user, password=DEMO_PASSWORD).status_code == 401
    assert _audit("auth.login_failed")[0].changes["reason"] == "demo_password_in_production"


def test_failed_logins_are_rate_limited_per_account_with_429_in_the_envelope(client, db_session):
    user = make_user("enumerator")
    other = make_user("enumerator")
    for _ in range(5):
        assert _login(client, user, password="salah-salah-1").status_code == 401
    limited = _login(client, user)
    assert limited.status_code == 429
    assert limited.get_json()["error"]["code"] == "request.rate_limited"
    assert int(limited.headers["Retry-After"]) > 0
    # Another account from the same address is not locked by someone else's failures.
    assert _login(client, other).status_code == 200


def test_successful_logins_do_not_use_up_the_account_limit(client, db_session):
    user = make_user("enumerator")
    for _ in range(7):
        assert _login(client, user).status_code == 200
