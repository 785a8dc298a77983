"""Staff sessions are server-side: a cookie holding only a token, ended at once on logout, deactivation, role
or area change and password reset, and by idle and absolute timeouts; enumerators are sent to the phone app."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from server import create_app
from server.auth.models import StaffSession
from server.extensions import db
from tests.factories import make_user
from tests.staff.conftest import csrf_of, login


def _cookie(response) -> str:
    return next(value for value in response.headers.getlist("Set-Cookie") if value.startswith("verval_staff="))


def _rows(user):
    query = sa.select(StaffSession).where(StaffSession.user_id == user.id).order_by(StaffSession.created_at)
    return db.session.execute(query.execution_options(populate_existing=True)).scalars().all()


def test_login_sets_a_cookie_holding_only_the_token(client, db_session):
    user = make_user("supervisor", ["64.72.01"])
    answer = login(client, user)
    assert answer.status_code == 302 and answer.headers["Location"] == "/staff/beranda"
    cookie = _cookie(answer)
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Path=/staff" in cookie
    token = cookie.split(";")[0].split("=", 1)[1]
    (row,) = _rows(user)
    # The row is named by the token's hash: the table gives nobody a live cookie.
    assert row.id == hashlib.sha256(token.encode()).hexdigest() and token not in str(row.data)
    assert client.get("/staff/beranda").status_code == 200


def test_the_cookie_is_secure_outside_development_and_tests(database_url, db_session):
    app = create_app({"PROFILE": "test", "SQLALCHEMY_DATABASE_URI": database_url, "STAFF_COOKIE_SECURE": True})
    user = make_user("reviewer", ["64.72.01"])
    db_session.commit()
    answer = login(app.test_client(), user)
    assert "Secure" in _cookie(answer)
    from server.config import ProductionConfig

    assert ProductionConfig.STAFF_COOKIE_SECURE is True


def test_the_api_ignores_the_staff_cookie(client, db_session):
    login(client, make_user("admin"))
    assert client.get("/api/v1/auth/me").status_code == 401


def test_a_page_without_a_session_leads_to_the_login(client, db_session):
    answer = client.get("/staff/beranda?x=1")
    assert answer.status_code == 302 and answer.headers["Location"] == "/staff/masuk?next=/staff/beranda?x%3D1"
    htmx = client.get("/staff/beranda", headers={"HX-Request": "true"})
    assert htmx.status_code == 401 and htmx.headers["HX-Redirect"] == "/staff/masuk"


def test_login_returns_to_a_local_page_only(client, db_session):
    user = make_user("reviewer", ["64.72.01"])
    page = client.get("/staff/masuk")
    data = {"username": user.username, "password": "kata-sandi-uji-1", "csrf_token": csrf_of(page.text)}
    answer = client.post("/staff/masuk", data={**data, "next": "https://evil.example/staff/"})
    assert answer.headers["Location"] == "/staff/beranda"


def test_wrong_password_is_refused_in_words(client, db_session):
    user = make_user("reviewer", ["64.72.01"])
    answer = login(client, user, password="salah-sekali-1")
    assert answer.status_code == 401 and "Nama pengguna atau kata sandi salah" in answer.text
    assert _rows(user) == []


def test_an_enumerator_is_sent_to_the_phone_app(client, db_session):
    user = make_user("enumerator", ["64.72.01"])
    answer = login(client, user)
    assert answer.status_code == 302 and answer.headers["Location"] == "/"
    assert _rows(user) == []
    assert client.get("/staff/beranda").status_code == 302


def test_logout_ends_the_session_at_once(client, staff_login, db_session):
    user = make_user("supervisor", ["64.72.01"])
    token = staff_login(client, user)
    cookie = client.get_cookie("verval_staff", path="/staff").value
    assert client.post("/staff/keluar", data={"csrf_token": token}).status_code == 302
    assert _rows(user)[0].ended_at is not None and _rows(user)[0].end_reason == "logout"
    # The old cookie, replayed, opens nothing.
    client.set_cookie("verval_staff", cookie, path="/staff")
    assert client.get("/staff/beranda").status_code == 302


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"active": False}, "rights_changed"),
        ({"role": "viewer"}, "rights_changed"),
        ({"region_codes": ["64.72.02"]}, "rights_changed"),
        ("password", "password_reset"),
    ],
)
def test_an_admins_change_ends_the_users_staff_session(client, staff_login, auth_headers, db_session, change, reason):
    user = make_user("supervisor", ["64.72.01"])
    admin = make_user("admin")
    staff_login(client, user)
    if change == "password":
        answer = client.post(
            f"/api/v1/users/{user.id}/password", json={"password": "kata-sandi-baru-9"}, headers=auth_headers(admin)
        )
    else:
        answer = client.patch(f"/api/v1/users/{user.id}", json=change, headers=auth_headers(admin))
    assert answer.status_code == 200
    (row,) = _rows(user)
    assert row.ended_at is not None and row.end_reason == reason
    assert client.get("/staff/beranda").status_code == 302


def test_a_change_made_outside_the_services_ends_the_session_too(client, staff_login, db_session):
    user = make_user("reviewer", ["64.72.01"])
    staff_login(client, user)
    db_session.execute(sa.text("UPDATE users SET role = 'viewer' WHERE id = :id"), {"id": user.id})
    db_session.commit()
    assert client.get("/staff/beranda").status_code == 302
    assert _rows(user)[0].end_reason == "rights_changed"


def test_idle_and_absolute_timeouts(client, staff_login, db_session):
    user = make_user("reviewer", ["64.72.01"])
    staff_login(client, user)
    (row,) = _rows(user)
    now = datetime.now(UTC)
    row.last_seen_at = now - timedelta(minutes=31)
    db_session.commit()
    assert client.get("/staff/beranda").status_code == 302
    assert _rows(user)[0].end_reason == "idle"

    staff_login(client, user)
    live = next(r for r in _rows(user) if r.ended_at is None)
    live.expires_at = now - timedelta(seconds=1)
    db_session.commit()
    assert client.get("/staff/beranda").status_code == 302
    assert next(r for r in _rows(user) if r.id == live.id).end_reason == "expired"


def test_a_new_login_replaces_the_anonymous_session(client, db_session):
    user = make_user("reviewer", ["64.72.01"])
    client.get("/staff/masuk")
    anonymous = client.get_cookie("verval_staff", path="/staff").value
    login(client, user)
    assert client.get_cookie("verval_staff", path="/staff").value != anonymous
    row = db_session.get(StaffSession, hashlib.sha256(anonymous.encode()).hexdigest(), populate_existing=True)
    assert row.ended_at is not None and row.end_reason == "login"
