"""Helpers for the staff workspace's in-process tests: log a user in through the real login form."""

from __future__ import annotations

import re

import pytest

from tests.factories import TEST_PASSWORD

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_of(html: str) -> str:
    match = CSRF.search(html)
    assert match, "no CSRF field on the page"
    return match.group(1)


def login(client, user, password: str = TEST_PASSWORD):
    """Logs `user` in through /staff/masuk; returns the POST's answer (a redirect when it worked)."""
    page = client.get("/staff/masuk")
    return client.post(
        "/staff/masuk", data={"username": user.username, "password": password, "csrf_token": csrf_of(page.text)}
    )


@pytest.fixture
def staff_login():
    """Factory: logs `user` in on `client`; returns the CSRF token of the logged-in session's pages."""

    def make(client, user) -> str:
        answer = login(client, user)
        assert answer.status_code == 302, answer.text[:500]
        return csrf_of(client.get("/staff/beranda").text)

    return make


@pytest.fixture(autouse=True)
def _fresh_dashboard():
    """The dashboard keeps its figures for a minute per area: each test starts without them."""
    from server.staff import dashboard

    dashboard.forget()
