"""Every failure under /api/ answers in the JSON envelope of DESIGN.md §4, never an HTML page."""

import pytest
from flask import Blueprint
from marshmallow import Schema, fields

from server import create_app
from server.errors import CONFLICT, AppError
from server.extensions import db
from server.http import json_body, ok


class _ProbeSchema(Schema):
    name = fields.String(required=True)


@pytest.fixture
def probe_client(database_url, app):
    """A separate app with probe routes that fail in each documented way."""
    settings = {"PROFILE": "test", "SQLALCHEMY_DATABASE_URI": database_url, "MAX_CONTENT_LENGTH": 1024}
    probe = create_app({**settings, "CHECK_RESPONSES": False})
    bp = Blueprint("probe", __name__)

    @bp.post("/echo")
    def echo():
        return ok(_ProbeSchema().load(json_body()))

    @bp.get("/boom")
    def boom():
        raise RuntimeError("NIK 6472015705800001 must never reach a client")

    @bp.get("/conflict")
    def conflict():
        raise AppError(CONFLICT, details={"id": "x"})

    @bp.post("/duplicate-region")
    def duplicate_region():
        db.session.execute(db.text("INSERT INTO regions (code, name, level) VALUES ('64', 'dup', 'provinsi')"))
        return ok({})

    probe.register_blueprint(bp, url_prefix="/api/v1/probe")
    probe.config["PROPAGATE_EXCEPTIONS"] = False
    return probe.test_client()


def _error(response, status, code):
    assert response.status_code == status
    assert response.mimetype == "application/json"
    body = response.get_json()
    assert set(body) == {"error"}
    assert body["error"]["code"] == code
    assert body["error"]["message"]
    return body["error"]


def test_unknown_route_is_404_in_envelope(client):
    _error(client.get("/api/v1/no-such-thing"), 404, "not_found")


def test_wrong_method_is_405_with_allow_header(client):
    response = client.delete("/api/v1/health")
    _error(response, 405, "request.method_not_allowed")
    assert "GET" in response.headers["Allow"]


def test_malformed_json_is_400(probe_client):
    response = probe_client.post("/api/v1/probe/echo", data="{not json", content_type="application/json")
    _error(response, 400, "request.malformed_json")


def test_wrong_content_type_is_415(probe_client):
    response = probe_client.post("/api/v1/probe/echo", data="name=x", content_type="application/x-www-form-urlencoded")
    _error(response, 415, "request.unsupported_media_type")


def test_oversized_body_is_413(probe_client):
    response = probe_client.post("/api/v1/probe/echo", data="x" * 5000, content_type="application/json")
    _error(response, 413, "request.too_large")


def test_validation_error_names_the_field(probe_client):
    error = _error(probe_client.post("/api/v1/probe/echo", json={"nama": 1}), 422, "validation.failed")
    assert "name" in error["details"]["fields"]
    assert "nama" in error["details"]["fields"]


def test_valid_body_is_echoed_in_data_envelope(probe_client):
    response = probe_client.post("/api/v1/probe/echo", json={"name": "Siti"})
    assert response.status_code == 200
    assert response.get_json() == {"data": {"name": "Siti"}}


def test_unexpected_error_is_500_without_internals(probe_client, caplog):
    response = probe_client.get("/api/v1/probe/boom")
    error = _error(response, 500, "internal")
    assert "6472015705800001" not in response.get_data(as_text=True)
    assert error["details"] == {}


def test_app_error_carries_its_details(probe_client):
    error = _error(probe_client.get("/api/v1/probe/conflict"), 409, "conflict")
    assert error["details"] == {"id": "x"}


def test_unique_violation_is_translated_to_409(probe_client):
    error = _error(probe_client.post("/api/v1/probe/duplicate-region"), 409, "conflict")
    assert error["details"]["constraint"] == "pk_regions"


def test_an_api_path_asked_with_a_method_it_lacks_answers_405_with_allow(client, auth_headers):
    """GET /api/v1/photos/uploads (a POST-only tus endpoint) is a wrong method, not an unknown path."""
    from tests.factories import make_user

    response = client.get("/api/v1/photos/uploads", headers=auth_headers(make_user("enumerator")))
    assert response.status_code == 405
    assert response.get_json()["error"]["code"] == "request.method_not_allowed"
    assert "POST" in response.headers["Allow"]
    assert client.get("/api/v1/tidak-ada").status_code == 404


def test_a_worker_out_of_database_connections_answers_503_busy_with_retry_after(database_url, app):
    """Overload is not a fault: a request that cannot get a connection within DB_POOL_TIMEOUT answers 503
    `server.busy` with Retry-After (phones retry), never a 500."""
    options = {"hide_parameters": True, "pool_size": 1, "max_overflow": 0, "pool_timeout": 1}
    busy = create_app(
        {"PROFILE": "test", "SQLALCHEMY_DATABASE_URI": database_url, "SQLALCHEMY_ENGINE_OPTIONS": options}
    )
    with busy.app_context():
        held = db.engine.connect()  # the pool's only connection, busy elsewhere
        try:
            response = busy.test_client().get("/api/v1/health")
        finally:
            held.close()
            db.engine.dispose()
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "5"
    assert response.get_json()["error"]["code"] == "server.busy"


def test_a_login_out_of_database_connections_answers_the_documented_503_busy(database_url, app):
    """Logins write their rate-limit counters on a connection of their own (server/security/ratelimit.py):
    when none can be had, that is overload too, answered as the document says (503 `server.busy`, every
    operation lists it), never a 500."""
    options = {"hide_parameters": True, "pool_size": 1, "max_overflow": 0, "pool_timeout": 1}
    busy = create_app(
        {"PROFILE": "test", "SQLALCHEMY_DATABASE_URI": database_url, "SQLALCHEMY_ENGINE_OPTIONS": options}
    )
    login = {"username": "tidak-ada", "password": "salah-sekali-1", "device_name": "Uji"}
    with busy.app_context():
        held = db.engine.connect()  # the pool's only connection, busy elsewhere
        try:
            response = busy.test_client().post("/api/v1/auth/login", json=login)
        finally:
            held.close()
            db.engine.dispose()
    assert response.status_code == 503, response.get_json()
    assert response.get_json()["error"]["code"] == "server.busy" and response.headers["Retry-After"] == "5"


def test_a_pool_running_dry_after_the_view_answers_503_busy_not_500(database_url, app):
    """The rate limiter writes a failed login's count and reads its headers after the view has answered
    (flask-limiter's after_request). When another thread has just taken the pool's last connection there, the
    answer is the same documented 503 `server.busy` as anywhere else: Flask hands exceptions of after_request
    hooks to its 500 handling, which knew nothing of overload (two logins answered 500 in bench/phones.py)."""
    options = {"hide_parameters": True, "pool_size": 1, "max_overflow": 0, "pool_timeout": 1}
    busy = create_app(
        {"PROFILE": "test", "SQLALCHEMY_DATABASE_URI": database_url, "SQLALCHEMY_ENGINE_OPTIONS": options}
    )
    busy.config["PROPAGATE_EXCEPTIONS"] = False  # as in production: Flask's own 500 handling, not the test's raise
    held = []

    @busy.after_request  # registered last, so it runs before the limiter's own after_request
    def _another_thread_takes_the_last_connection(response):
        held.append(db.engine.connect())
        return response

    login = {"username": "tidak-ada", "password": "salah-sekali-1", "device_name": "Uji"}
    with busy.app_context():
        try:
            response = busy.test_client().post("/api/v1/auth/login", json=login)
        finally:
            for connection in held:
                connection.close()
            db.engine.dispose()
    assert held, "the hook did not run"
    assert response.status_code == 503, response.get_json()
    assert response.get_json()["error"]["code"] == "server.busy" and response.headers["Retry-After"] == "5"
