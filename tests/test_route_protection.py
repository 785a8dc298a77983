"""Every `/api/` route is protected: 401 without a token, 403 for roles it does not name, and for roles it
names an answer that is not an authorisation refusal. A new route without `require(...)` fails here."""

from __future__ import annotations

import re

import pytest

from server.types import Role
from tests.factories import make_user

PUBLIC = {
    "/api/v1/health",
    "/api/v1/auth/login",
    "/api/v1/auth/refresh",
    "/api/openapi.json",
    "/api/docs",
    "/api/docs/",
}
PLACEHOLDERS = {"uuid": "00000000-0000-4000-8000-000000000000", "int": "999999"}
SKIPPED_METHODS = {"HEAD", "OPTIONS"}


def _protected_rules(app):
    for rule in app.url_map.iter_rules():
        protocol_only = not (rule.methods - SKIPPED_METHODS)  # e.g. tus capability discovery (OPTIONS)
        documentation = rule.rule in PUBLIC or rule.rule.startswith("/api/docs/")
        if rule.rule.startswith("/api/") and not documentation and not protocol_only:
            yield rule


def _url(rule) -> str:
    def fill(match: re.Match) -> str:
        converter = match.group(1) or "default"
        return PLACEHOLDERS.get(converter, "X-UNKNOWN")

    return re.sub(r"<(?:([a-z]+)(?:\([^)]*\))?:)?[^<>]+>", fill, rule.rule)


def _call(client, method: str, url: str, headers=None):
    kwargs = {"headers": headers or {}}
    if method in {"POST", "PUT", "PATCH"}:
        kwargs["json"] = {}
    return client.open(url, method=method, **kwargs)


def test_the_public_routes_are_only_the_documented_ones(app):
    api_rules = {rule.rule for rule in app.url_map.iter_rules() if rule.rule.startswith("/api/")}
    assert {"/api/v1/health", "/api/v1/auth/login", "/api/v1/auth/refresh"} <= api_rules
    assert len(list(_protected_rules(app))) >= 20


def test_every_protected_route_declares_its_roles(app):
    undeclared = [
        rule.rule for rule in _protected_rules(app) if not hasattr(app.view_functions[rule.endpoint], "required_roles")
    ]
    assert undeclared == [], "wrap these views in server.auth.access.require(...)"


def test_every_protected_route_refuses_a_missing_token(app, client):
    answers = {}
    for rule in _protected_rules(app):
        for method in sorted(rule.methods - SKIPPED_METHODS):
            response = _call(client, method, _url(rule))
            if response.status_code != 401 or response.get_json()["error"]["code"] != "auth.unauthorized":
                answers[f"{method} {rule.rule}"] = response.status_code
    assert answers == {}


@pytest.mark.parametrize("role", list(Role))
def test_each_role_gets_the_documented_answer(app, client, auth_headers, db_session, role):
    user = make_user(role.value, ["64.72"])
    headers = auth_headers(user)
    wrong = {}
    for rule in _protected_rules(app):
        allowed = app.view_functions[rule.endpoint].required_roles
        for method in sorted(rule.methods - SKIPPED_METHODS):
            status = _call(client, method, _url(rule), headers).status_code
            expected_refusal = bool(allowed) and role not in allowed
            if expected_refusal and status != 403:
                wrong[f"{method} {rule.rule}"] = f"{status}, expected 403"
            if not expected_refusal and status in (401, 403):
                wrong[f"{method} {rule.rule}"] = f"{status}, expected an answer for an allowed role"
    assert wrong == {}
