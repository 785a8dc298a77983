"""User management: admin-only CRUD with validation, scope changes and deactivation ending sessions at once,
password reset, devices list and revoke, the CLI for the first admin; every change audited."""

from __future__ import annotations

import sqlalchemy as sa

from server.audit.models import AuditEntry
from server.auth.models import User
from server.extensions import db
from tests.factories import TEST_PASSWORD, make_user

GOOD_PASSWORD = "Pohon-Mangga-Tua-7"


def _login(client, username, password=TEST_PASSWORD):
    body = {"username": username, "password": password, "device_name": "HP"}
    return client.post("/api/v1/auth/login", json=body)


def _session(client, user):
    return _login(client, user.username).get_json()["data"]


def _me(client, session):
    return client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {session['access_token']}"})


def _audit(action):
    return db.session.execute(sa.select(AuditEntry).where(AuditEntry.action == action)).scalars().all()


def test_admin_creates_a_user_who_can_log_in(client, auth_headers, db_session):
    headers = auth_headers(make_user("admin"))
    body = {
        "username": "petugas.baru",
        "full_name": "Petugas Baru",
        "role": "enumerator",
        "region_codes": ["64.72.01.1001", "64.72.01.1002"],
        "password": GOOD_PASSWORD,
    }
    created = client.post("/api/v1/users", json=body, headers=headers)
    assert created.status_code == 201, created.get_json()
    data = created.get_json()["data"]
    assert data["region_codes"] == ["64.72.01.1001", "64.72.01.1002"] and "password" not in data
    assert _login(client, "petugas.baru", GOOD_PASSWORD).status_code == 200
    assert client.post("/api/v1/users", json=body, headers=headers).status_code == 409
    listed = client.get("/api/v1/users?role=enumerator", headers=headers).get_json()["data"]
    assert "petugas.baru" in {user["username"] for user in listed}
    assert client.get(f"/api/v1/users/{data['id']}", headers=headers).get_json()["data"]["username"] == "petugas.baru"
    assert client.get("/api/v1/users/999999", headers=headers).status_code == 404
    entry = _audit("user.create")[0]
    assert entry.changes["role"] == {"before": None, "after": "enumerator"}


def test_create_is_validated_field_by_field_and_changes_nothing(client, auth_headers, db_session):
    headers = auth_headers(make_user("admin"))
    cases = [
        ({"password": "pendek"}, "password"),
        ({"password": "1234567890"}, "password"),
        ({"password": "petugas.dua"}, "password"),
        ({"region_codes": []}, "region_codes"),
        ({"region_codes": ["64.72.99"]}, "region_codes"),
        ({"role": "raja"}, "role"),
        ({"username": "A B"}, "username"),
    ]
    base = {"username": "petugas.dua", "full_name": "P", "role": "reviewer", "region_codes": ["64.72.01"]}
    for change, field in cases:
        response = client.post("/api/v1/users", json=base | {"password": GOOD_PASSWORD} | change, headers=headers)
        assert response.status_code == 422, change
        assert field in response.get_json()["error"]["details"]["fields"], change
    assert db.session.execute(sa.select(User).where(User.username == "petugas.dua")).first() is None


def test_only_admins_manage_users(client, auth_headers, db_session):
    target = make_user("enumerator")
    for role in ("supervisor", "reviewer", "enumerator", "viewer"):
        headers = auth_headers(make_user(role))
        assert client.get("/api/v1/users", headers=headers).status_code == 403
        assert client.patch(f"/api/v1/users/{target.id}", json={"active": False}, headers=headers).status_code == 403


def test_scope_change_and_deactivation_end_sessions_at_once(client, auth_headers, db_session):
    admin = make_user("admin")
    headers = auth_headers(admin)
    user = make_user("reviewer", ["64.72.01"])
    session = _session(client, user)
    moved = client.patch(f"/api/v1/users/{user.id}", json={"region_codes": ["64.72.02"]}, headers=headers)
    assert moved.status_code == 200 and moved.get_json()["data"]["region_codes"] == ["64.72.02"]
    assert _me(client, session).status_code == 401
    change = _audit("user.update")[0]
    assert change.changes["region_codes"] == {"before": ["64.72.01"], "after": ["64.72.02"]}
    assert change.actor_id == admin.id

    session = _session(client, user)
    assert client.patch(f"/api/v1/users/{user.id}", json={"active": False}, headers=headers).status_code == 200
    assert _me(client, session).status_code == 401
    assert _login(client, user.username).status_code == 401
    assert client.patch(f"/api/v1/users/{user.id}", json={"active": True}, headers=headers).status_code == 200
    assert _login(client, user.username).status_code == 200


def test_admin_cannot_lock_themselves_out(client, auth_headers, db_session):
    admin = make_user("admin")
    headers = auth_headers(admin)
    for change in ({"active": False}, {"role": "viewer", "region_codes": ["64.72"]}):
        assert client.patch(f"/api/v1/users/{admin.id}", json=change, headers=headers).status_code == 422


def test_password_reset_ends_old_sessions_and_the_new_password_works(client, auth_headers, db_session):
    headers = auth_headers(make_user("admin"))
    user = make_user("enumerator")
    session = _session(client, user)
    weak = client.post(f"/api/v1/users/{user.id}/password", json={"password": "abc"}, headers=headers)
    assert weak.status_code == 422
    reset = client.post(f"/api/v1/users/{user.id}/password", json={"password": GOOD_PASSWORD}, headers=headers)
    assert reset.status_code == 200
    assert _me(client, session).status_code == 401
    assert _login(client, user.username).status_code == 401
    assert _login(client, user.username, GOOD_PASSWORD).status_code == 200
    assert _audit("user.password_reset")[0].changes["revoked_tokens"] == 1


def test_devices_are_listed_and_a_revoked_device_is_locked_out(client, auth_headers, db_session):
    headers = auth_headers(make_user("admin"))
    user = make_user("enumerator")
    phone = _session(client, user)
    tablet = _session(client, user)
    devices = client.get(f"/api/v1/users/{user.id}/devices", headers=headers).get_json()["data"]
    assert {device["id"] for device in devices} == {phone["device"]["id"], tablet["device"]["id"]}
    revoked = client.post(f"/api/v1/devices/{phone['device']['id']}/revoke", headers=headers)
    assert revoked.status_code == 200 and revoked.get_json()["data"]["revoked_at"]
    assert _me(client, phone).status_code == 401
    assert _me(client, tablet).status_code == 200
    refreshed = client.post("/api/v1/auth/refresh", headers={"Authorization": f"Bearer {phone['refresh_token']}"})
    assert refreshed.status_code == 401
    assert len(_audit("device.revoke")) == 1
    unknown = "00000000-0000-4000-8000-000000000000"
    assert client.post(f"/api/v1/devices/{unknown}/revoke", headers=headers).status_code == 404


def test_users_change_their_own_password_and_other_sessions_end(client, db_session):
    user = make_user("supervisor")
    here, elsewhere = _session(client, user), _session(client, user)
    headers = {"Authorization": f"Bearer {here['access_token']}"}
    wrong = client.post(
        "/api/v1/auth/password", json={"current_password": "salah", "new_password": GOOD_PASSWORD}, headers=headers
    )
    assert wrong.status_code == 422 and "current_password" in wrong.get_json()["error"]["details"]["fields"]
    weak = client.post(
        "/api/v1/auth/password", json={"current_password": TEST_PASSWORD, "new_password": "qwertyuiop"}, headers=headers
    )
    assert weak.status_code == 422 and "new_password" in weak.get_json()["error"]["details"]["fields"]
    changed = client.post(
        "/api/v1/auth/password",
        json={"current_password": TEST_PASSWORD, "new_password": GOOD_PASSWORD},
        headers=headers,
    )
    assert changed.status_code == 200 and changed.get_json()["data"]["revoked_tokens"] == 1
    assert _me(client, here).status_code == 200
    assert _me(client, elsewhere).status_code == 401
    assert _login(client, user.username, GOOD_PASSWORD).status_code == 200


def test_cli_creates_the_first_admin_from_stdin(app, db_session):
    runner = app.test_cli_runner()
    args = ["users", "create", "--username", "kepala.dinas", "--full-name", "Kepala Dinas", "--role", "admin"]
    result = runner.invoke(args=[*args, "--password-stdin"], input=GOOD_PASSWORD + "\n")
    assert result.exit_code == 0, result.output
    user = db.session.execute(sa.select(User).where(User.username == "kepala.dinas")).scalar_one()
    assert user.role == "admin"
    weak = runner.invoke(args=[*args[:2], "--username", "lain", *args[4:], "--password-stdin"], input="lemah\n")
    assert weak.exit_code != 0 and "password" in weak.output
