"""The workspace page of one's own personal access tokens (/staff/token-akses): the secret on the answer page
only (never in the list, never stored), the list with states, revoking one's own (not another user's, not
without the CSRF field), refused to enumerators; a token made here reads the OGC API and nothing else."""

from __future__ import annotations

import re

import sqlalchemy as sa

from server.extensions import db
from server.tokens.models import AccessToken
from tests.factories import make_user
from tests.staff.conftest import csrf_of, login

SECRET = re.compile(r'value="(vrv_pat_[^"]+)"')


def _create(client, name: str = "QGIS kantor", days: str = "30"):
    page = client.get("/staff/token-akses/")
    return client.post(
        "/staff/token-akses/", data={"name": name, "expires_in_days": days, "csrf_token": csrf_of(page.text)}
    )


def test_create_shows_the_secret_once_then_lists_and_revokes(client, db_session):
    user = make_user("viewer", ["64.72"])
    login(client, user)
    empty = client.get("/staff/token-akses/")
    assert empty.status_code == 200 and "Anda belum punya token." in empty.text
    assert 'href="/staff/token-akses/"' in empty.text  # in the menu

    created = _create(client)
    assert created.status_code == 200 and created.headers["Cache-Control"] == "no-store"
    secret = SECRET.search(created.text).group(1)
    assert "hanya ditampilkan sekali" in created.text
    assert secret not in db.session.execute(sa.select(AccessToken.token_hash)).scalars().all()

    listed = client.get("/staff/token-akses/")
    assert secret not in listed.text and "QGIS kantor" in listed.text and secret[:12] in listed.text
    assert "aktif" in listed.text

    # the token reads the OGC API as this viewer, and no other endpoint
    bearer = {"Authorization": f"Bearer {secret}"}
    assert client.get("/ogc/collections", headers=bearer).status_code == 200
    assert client.get("/api/v1/households", headers=bearer).status_code == 401

    token_id = db.session.execute(sa.select(AccessToken.id).where(AccessToken.user_id == user.id)).scalar_one()
    without_csrf = client.post(f"/staff/token-akses/{token_id}/cabut")
    assert without_csrf.status_code in (400, 403)
    revoked = client.post(f"/staff/token-akses/{token_id}/cabut", data={"csrf_token": csrf_of(listed.text)})
    assert revoked.status_code == 302
    after = client.get(revoked.headers["Location"])
    assert "dicabut: tidak dapat dipakai lagi" in after.text and 'class="badge bad"' in after.text
    assert client.get("/ogc/collections", headers=bearer).status_code == 401


def test_bad_entries_and_other_users_tokens(client, db_session, app):
    owner, other = make_user("supervisor", ["64.72.01"]), make_user("admin", [])
    login(client, owner)
    refused = _create(client, name="", days="1000")
    assert refused.status_code == 422 and not SECRET.search(refused.text)
    _create(client)
    token_id = db.session.execute(sa.select(AccessToken.id).where(AccessToken.user_id == owner.id)).scalar_one()

    client = app.test_client()
    login(client, other)
    page = client.get("/staff/token-akses/")
    assert "data-token=" not in page.text  # only one's own, an admin's too
    answer = client.post(f"/staff/token-akses/{token_id}/cabut", data={"csrf_token": csrf_of(page.text)})
    assert answer.status_code == 404
    assert db.session.get(AccessToken, token_id).revoked_at is None


def test_enumerators_have_no_tokens_page(client, db_session):
    login(client, make_user("enumerator", ["64.72.01"]))
    assert client.get("/staff/token-akses/").status_code in (302, 403)
