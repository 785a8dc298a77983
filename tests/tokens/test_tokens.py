"""Personal access tokens: created with the secret shown once, listed without it, revoked, refused by every
route that is not a GIS door, and refused when revoked, expired or its user is deactivated."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from server.errors import AppError
from server.extensions import db
from server.tokens import service
from server.tokens.models import AccessToken
from tests.factories import make_user


def _create(client, headers, **body):
    return client.post("/api/v1/auth/tokens", json={"name": "QGIS kantor", **body}, headers=headers)


def test_a_token_is_shown_once_listed_without_its_secret_and_revoked(client, db_session, auth_headers):
    user = make_user("supervisor", ["64.72.01"])
    headers = auth_headers(user)
    created = _create(client, headers, expires_in_days=30)
    assert created.status_code == 201
    data = created.get_json()["data"]
    secret = data["token"]
    assert secret.startswith("vrv_pat_") and len(secret) > 40 and data["status"] == "active"
    assert secret.startswith(data["prefix"])
    stored = db.session.execute(sa.select(AccessToken.token_hash)).scalars().all()
    assert secret not in stored and len(stored) == 1  # only the hash is kept
    expires = datetime.fromisoformat(data["expires_at"])
    assert timedelta(days=29) < expires - datetime.now(UTC) <= timedelta(days=30)

    listed = client.get("/api/v1/auth/tokens", headers=headers).get_json()["data"]
    assert [item["id"] for item in listed] == [data["id"]] and "token" not in listed[0]

    revoked = client.delete(f"/api/v1/auth/tokens/{data['id']}", headers=headers)
    assert revoked.status_code == 200 and revoked.get_json()["data"]["status"] == "revoked"
    actions = db.session.execute(
        sa.text("SELECT action FROM audit_log WHERE object_type = 'access_token' ORDER BY id")
    ).scalars()
    assert list(actions) == ["access_token.created", "access_token.revoked"]


def test_someone_elses_token_cannot_be_revoked_or_seen(client, db_session, auth_headers):
    owner, other = make_user("reviewer", ["64.72.01"]), make_user("reviewer", ["64.72.01"])
    token_id = _create(client, auth_headers(owner)).get_json()["data"]["id"]
    assert client.get("/api/v1/auth/tokens", headers=auth_headers(other)).get_json()["data"] == []
    assert client.delete(f"/api/v1/auth/tokens/{token_id}", headers=auth_headers(other)).status_code == 404
    admin = make_user("admin")
    assert client.delete(f"/api/v1/auth/tokens/{token_id}", headers=auth_headers(admin)).status_code == 200


@pytest.mark.parametrize("body", [{"name": ""}, {"expires_in_days": 0}, {"expires_in_days": 366}])
def test_bad_requests_are_refused(client, db_session, auth_headers, body):
    user = make_user("viewer", ["64.72"])
    assert _create(client, auth_headers(user), **body).status_code == 422


def test_enumerators_get_no_tokens(client, db_session, auth_headers):
    assert _create(client, auth_headers(make_user("enumerator"))).status_code == 403


def test_a_token_is_refused_by_every_route_that_is_not_a_gis_door(client, db_session, auth_headers):
    user = make_user("admin")
    secret = _create(client, auth_headers(user)).get_json()["data"]["token"]
    headers = {"Authorization": f"Bearer {secret}"}
    for url in ("/api/v1/households", "/api/v1/auth/tokens", "/api/v1/users", "/api/v1/audit"):
        answer = client.get(url, headers=headers)
        assert answer.status_code == 401, url
    assert _create(client, headers).status_code == 401  # a token cannot mint tokens


def test_authenticate_refuses_revoked_expired_and_deactivated(app, db_session):
    user = make_user("viewer", ["64.72"])
    from server.auth.access import Actor
    from server.types import Role

    actor = Actor(user_id=user.id, username=user.username, role=Role.VIEWER, region_codes=("64.72",), device_id=None)
    with app.test_request_context("/ogc/"):
        token, secret = service.create_token(actor, name="t", expires_in_days=1)
        assert service.authenticate(secret).user_id == user.id
        assert service.authenticate(secret).region_codes == ("64.72",)
        used = db.session.execute(sa.text("SELECT count(*) FROM audit_log WHERE action = 'access_token.used'"))
        assert used.scalar() == 1  # audited on use, once per spell of use

        def reason(value):
            with pytest.raises(AppError) as error:
                service.authenticate(value)
            return error.value.details["reason"]

        assert reason(secret + "x") == "invalid_token"
        token.expires_at = datetime.now(UTC) - timedelta(seconds=1)
        db.session.flush()
        assert reason(secret) == "token_expired"
        token.expires_at = datetime.now(UTC) + timedelta(days=1)
        user.active = False
        db.session.flush()
        assert reason(secret) == "account_inactive"
        user.active = True
        service.revoke_token(actor, token.id)
        assert reason(secret) == "token_revoked"


def test_a_password_reset_revokes_the_users_tokens(client, db_session, auth_headers):
    user = make_user("reviewer", ["64.72.01"])
    token_id = _create(client, auth_headers(user)).get_json()["data"]["id"]
    admin = make_user("admin")
    reset = client.post(
        f"/api/v1/users/{user.id}/password",
        json={"password": "Sebuah-kata-sandi-baru-2026"},
        headers=auth_headers(admin),
    )
    assert reset.status_code == 200, reset.get_json()
    assert db.session.get(AccessToken, token_id).revoked_at is not None
