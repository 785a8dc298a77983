"""The access layer: area-scope rule and the require() decorator's answers."""

import pytest
from flask import Blueprint

from server import create_app
from server.auth.access import Actor, current_actor, region_in_scope, require
from server.http import ok
from server.types import Role
from tests.factories import make_user


def _actor(role, codes):
    return Actor(user_id=1, username="x", role=role, region_codes=tuple(codes), device_id=None)


@pytest.mark.parametrize(
    ("codes", "region", "expected"),
    [
        (["64.72"], "64.72.01.1001", True),
        (["64.72.01"], "64.72.01.1001", True),
        (["64.72.01"], "64.72.10.1001", False),
        (["64.72.01.1001"], "64.72.01.1002", False),
        (["64.72.1"], "64.72.10.1001", False),
        ([], "64.72.01.1001", False),
    ],
)
def test_region_scope_is_hierarchical_by_code_segment(codes, region, expected):
    assert region_in_scope(_actor(Role.REVIEWER, codes), region) is expected


def test_admin_is_in_scope_everywhere():
    assert region_in_scope(_actor(Role.ADMIN, []), "64.72.05.1003")


@pytest.fixture
def guarded_client(database_url, app, db_session):
    guarded = create_app({"PROFILE": "test", "SQLALCHEMY_DATABASE_URI": database_url, "CHECK_RESPONSES": False})
    bp = Blueprint("guarded", __name__)

    @bp.get("/reviewers-only")
    @require(Role.REVIEWER)
    def reviewers_only():
        return ok({"user": current_actor().username})

    guarded.register_blueprint(bp, url_prefix="/api/v1/guarded")
    return guarded.test_client()


def test_require_answers_401_403_200(guarded_client, auth_headers, db_session):
    reviewer = make_user("reviewer")
    enumerator = make_user("enumerator")
    db_session.commit()

    missing = guarded_client.get("/api/v1/guarded/reviewers-only")
    assert missing.status_code == 401
    assert missing.get_json()["error"]["code"] == "auth.unauthorized"

    wrong_role = guarded_client.get("/api/v1/guarded/reviewers-only", headers=auth_headers(enumerator))
    assert wrong_role.status_code == 403

    allowed = guarded_client.get("/api/v1/guarded/reviewers-only", headers=auth_headers(reviewer))
    assert allowed.status_code == 200
    assert allowed.get_json()["data"]["user"] == reviewer.username


def test_deactivated_user_is_refused_at_once(guarded_client, auth_headers, db_session):
    reviewer = make_user("reviewer")
    headers = auth_headers(reviewer)
    reviewer.active = False
    db_session.commit()
    response = guarded_client.get("/api/v1/guarded/reviewers-only", headers=headers)
    assert response.status_code == 401
    assert response.get_json()["error"]["details"]["reason"] == "account_inactive"


def test_region_scope_has_one_owner_used_by_orm_and_sql_queries():
    """`in_region` (ORM) and `in_region_sql` (SQL text) are the one rule; no module writes its own LIKE."""
    from pathlib import Path

    server = Path(__file__).resolve().parents[2] / "server"
    copies = [
        str(path.relative_to(server))
        for path in server.rglob("*.py")
        if path.name != "access.py" and ("LIKE s.code" in (text := path.read_text()) or '.like(f"{' in text)
    ]
    assert copies == []


def test_a_village_is_a_kelurahan_or_a_desa_everywhere(app, db_session):
    from server.regions import queries

    kelurahan = "64.72.01.1001"
    assert queries.is_village(code=kelurahan)
    assert not queries.is_village(code="64.72.01")
    assert queries.village_codes(among=[kelurahan, "64.72.01", "99.99"]) == {kelurahan}
    assert queries.village_codes(among=[]) == set()
