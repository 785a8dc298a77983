"""The request boundary (issue 12, finding 1): NUL and other control characters in any query argument,
path argument or JSON body are refused with 422 naming the field, never a 500 from the database."""

from __future__ import annotations

import json

import pytest

from server.boundary import bad_fields_of_json, raw_json_is_clean
from tests.factories import make_user

QUERIES = [
    "/api/v1/households?region=%00",
    "/api/v1/households?q=ab%00c",
    "/api/v1/visits?region=%00",
    "/api/v1/audit?actor=%00",
    "/api/v1/households/export.csv?region=64.72%00",
    "/api/v1/campaigns?x%01y=1",
]


@pytest.mark.parametrize("url", QUERIES)
def test_control_characters_in_query_arguments_get_422_naming_the_argument(client, auth_headers, url):
    admin = make_user("admin")
    response = client.get(url, headers=auth_headers(admin))
    assert response.status_code == 422, response.get_data(as_text=True)
    error = response.get_json()["error"]
    assert error["code"] == "validation.failed"
    name = url.split("?")[1].split("=")[0].replace("%01", "\\x01")
    assert name in error["details"]["fields"]


@pytest.mark.parametrize(
    ("url", "body", "field"),
    [
        (
            "/api/v1/campaigns",
            {"name": "Verval\u0000", "period_start": "2026-01-01", "period_end": "2026-02-01"},
            "name",
        ),
        (
            "/api/v1/users",
            {"username": "x1", "password": "a-long-password-1", "role": "supervisor", "region_codes": ["64.72\x00"]},
            "region_codes.0",
        ),
        (
            "/api/v1/programs",
            {"code": "X\u0007", "name": "x", "level": "city", "unit": "family", "form": "cash", "period": "yearly"},
            "code",
        ),
        ("/api/v1/campaigns", {"name": "lone \ud800 surrogate", "period_start": "2026-01-01"}, "name"),
    ],
)
def test_control_characters_in_json_bodies_get_422_naming_the_field(client, auth_headers, url, body, field):
    admin = make_user("admin")
    response = client.post(url, json=body, headers=auth_headers(admin))
    assert response.status_code == 422, response.get_data(as_text=True)
    assert field in response.get_json()["error"]["details"]["fields"]


def test_control_characters_in_form_fields_of_an_import_get_422(client, auth_headers):
    import io

    admin = make_user("admin")
    response = client.post(
        "/api/v1/imports/aid",
        data={"file": (io.BytesIO(b"nik,nama\n"), "a.csv"), "program": "PKH\x00", "period_start": "2026-01-01"},
        headers=auth_headers(admin),
        content_type="multipart/form-data",
    )
    assert response.status_code == 422
    assert "program" in response.get_json()["error"]["details"]["fields"]


def test_ordinary_text_passes_the_boundary(client, auth_headers):
    admin = make_user("admin")
    response = client.get("/api/v1/households?q=Siti%20Aminah%09x", headers=auth_headers(admin))
    assert response.status_code == 200
    assert bad_fields_of_json({"notes": "baris satu\nbaris dua\ttab", "list": ["é", "\u2019", 1, None]}) == []
    assert bad_fields_of_json({"a": [{"b": "x\x00"}], "c\x1b": 1}) == ["a.0.b", "c\\x1b"]


def test_a_json_body_is_checked_only_once_the_route_reads_it(client):
    # Not logged in: the access check answers first; the body (up to MAX_CONTENT_LENGTH) is never parsed.
    response = client.post("/api/v1/campaigns", json={"name": "x\x00"})
    assert response.status_code == 401


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ('{"notes": "baris satu\\nbaris dua\\ttab \\"kutip\\" \\\\ \\/", "é": ["\u2019", 1, null]}', True),
        ('{"notes": "x\\u0000"}', False),
        ('{"notes": "x\\u00e9"}', False),  # harmless, but an escape: the parsed document decides
        ('{"notes": "x\\b"}', False),
        ('{"notes": "x\\f"}', False),
        ('{"notes": "x\u0085"}', False),  # a C1 control standing as is
        ('{"notes": "x\u007f"}', False),
        ('{"n\u009bx": 1}', False),
    ],
)
def test_the_raw_text_settles_only_bodies_that_cannot_hold_a_refused_character(raw, clean):
    assert raw_json_is_clean(raw) is clean
    assert raw_json_is_clean(raw.encode()) is clean
    if clean:
        assert bad_fields_of_json(json.loads(raw)) == []


@pytest.mark.parametrize("raw", ['{"name": "Verval\\b"}', '{"name": "Verval\u0085"}', '{"name": "V\\f"}'])
def test_refused_characters_sent_as_is_or_as_short_escapes_get_422(client, auth_headers, raw):
    admin = make_user("admin")
    body = raw[:-1] + ', "period_start": "2026-01-01", "period_end": "2026-02-01"}'
    response = client.post(
        "/api/v1/campaigns", data=body.encode(), content_type="application/json", headers=auth_headers(admin)
    )
    assert response.status_code == 422, response.get_data(as_text=True)
    assert "name" in response.get_json()["error"]["details"]["fields"]
