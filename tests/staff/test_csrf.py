"""Every form and htmx request under /staff/ needs the session's CSRF token (Flask-WTF)."""

from __future__ import annotations

from tests.factories import make_user
from tests.staff.conftest import csrf_of


def test_login_without_the_token_is_refused(client, db_session):
    user = make_user("supervisor", ["64.72.01"])
    client.get("/staff/masuk")
    answer = client.post("/staff/masuk", data={"username": user.username, "password": "kata-sandi-uji-1"})
    assert answer.status_code == 400
    assert "Formulir kedaluwarsa" in answer.text and "The CSRF token" not in answer.text


def test_a_token_of_another_session_is_refused(app, client, db_session):
    other = app.test_client()
    token = csrf_of(other.get("/staff/masuk").text)
    client.get("/staff/masuk")
    user = make_user("supervisor", ["64.72.01"])
    answer = client.post("/staff/masuk", data={"username": user.username, "password": "x", "csrf_token": token})
    assert answer.status_code == 400


def test_logout_needs_the_token_in_the_form_or_the_htmx_header(client, staff_login, db_session):
    token = staff_login(client, make_user("reviewer", ["64.72.01"]))
    assert client.post("/staff/keluar").status_code == 400
    refused = client.post("/staff/keluar", headers={"HX-Request": "true"})
    assert refused.status_code == 400 and "<html" not in refused.text  # htmx gets the message alone
    assert client.get("/staff/beranda").status_code == 200
    assert client.post("/staff/keluar", headers={"X-CSRFToken": token}).status_code == 302
    assert client.get("/staff/beranda").status_code == 302
