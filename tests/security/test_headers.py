"""Security headers (issue 20): the CSP without inline script or eval, framing refused, no sniffing, no
referrer, camera and geolocation only for the PWA, and `no-store` on every API answer with personal data."""

from __future__ import annotations

import pytest

from server.security.headers import CSP
from tests.factories import make_household, make_user

PERSONAL = ["/api/v1/households", "/api/v1/visits", "/api/v1/users", "/api/v1/auth/me", "/api/v1/audit"]


def _directives(policy: str) -> dict[str, list[str]]:
    parts = (part.split() for part in policy.split(";") if part.strip())
    return {part[0]: part[1:] for part in parts}


def test_the_policy_allows_no_inline_script_and_no_eval():
    directives = _directives(CSP)
    for directive in ("script-src", "default-src", "worker-src"):
        assert "'unsafe-inline'" not in directives[directive]
        assert "'unsafe-eval'" not in directives[directive]
    assert directives["script-src"] == ["'self'"]
    assert directives["worker-src"] == ["'self'", "blob:"]  # the image-compression worker
    assert directives["frame-ancestors"] == ["'none'"]
    assert directives["object-src"] == ["'none'"]


@pytest.mark.parametrize("path", ["/api/v1/health", "/api/openapi.json", "/api/v1/nothing-here", "/"])
def test_every_response_carries_the_headers(client, path):
    response = client.get(path)
    assert response.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert "Server" not in response.headers


def test_camera_and_geolocation_are_for_the_pwa_only(client):
    app_page = client.get("/")
    api = client.get("/api/v1/health")
    assert "camera=(self)" in app_page.headers["Permissions-Policy"]
    assert "geolocation=(self)" in app_page.headers["Permissions-Policy"]
    assert "camera=()" in api.headers["Permissions-Policy"]
    assert "geolocation=()" in api.headers["Permissions-Policy"]


def test_swagger_ui_alone_may_use_inline_styles_never_inline_script(client):
    docs = _directives(client.get("/api/docs").headers["Content-Security-Policy"])
    assert "'unsafe-inline'" in docs["style-src"]
    assert docs["script-src"] == ["'self'"]
    assert "'unsafe-inline'" not in _directives(client.get("/").headers["Content-Security-Policy"])["style-src"]


@pytest.mark.parametrize("path", PERSONAL)
def test_answers_with_personal_data_are_never_stored_by_a_cache(client, auth_headers, path):
    make_household()
    response = client.get(path, headers=auth_headers(make_user("admin")))
    assert response.status_code == 200, response.get_json()
    assert response.headers["Cache-Control"] == "no-store"


def test_errors_and_refusals_are_not_stored_either(client):
    assert client.get("/api/v1/households").headers["Cache-Control"] == "no-store"  # 401
    assert client.get("/api/v1/nothing-here").headers["Cache-Control"] == "no-store"  # 404


def test_every_api_v1_get_route_answers_no_store_or_private(app, client, auth_headers):
    from tests.test_route_protection import _protected_rules, _url

    headers = auth_headers(make_user("admin"))
    checked = 0
    for rule in _protected_rules(app):
        if "GET" not in rule.methods or not rule.rule.startswith("/api/v1/"):
            continue
        cache = client.get(_url(rule), headers=headers).headers.get("Cache-Control", "")
        assert "no-store" in cache or "private" in cache, rule.rule
        checked += 1
    assert checked >= 10


def test_the_pwa_keeps_its_own_caching(client):
    assert client.get("/sw.js").headers["Cache-Control"] == "no-cache"
