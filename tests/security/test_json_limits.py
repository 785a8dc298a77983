"""Input limits (issue 20): JSON nested deeper than the parser follows is a 400 in the envelope on every
JSON route (never a RecursionError 500), and push items with unknown fields or too large are refused as
`invalid` one by one while the rest of the batch is stored."""

from __future__ import annotations

import uuid

import pytest

from server.visits.push_schemas import MAX_ITEM_BYTES
from tests.factories import make_user
from tests.test_route_protection import _url

DEEP = "[" * 100_000 + "]" * 100_000
DEEP_OBJECT = '{"a":' * 50_000 + "1" + "}" * 50_000


def _json_routes(app):
    for rule in app.url_map.iter_rules():
        for method in sorted(rule.methods & {"POST", "PUT", "PATCH"}):
            if rule.rule.startswith("/api/"):
                yield method, rule


@pytest.mark.parametrize("body", [DEEP, DEEP_OBJECT], ids=["array", "object"])
def test_deeply_nested_json_is_a_400_on_every_json_route(app, client, auth_headers, body):
    headers = {**auth_headers(make_user("admin")), "Content-Type": "application/json"}
    checked = []
    for method, rule in _json_routes(app):
        response = client.open(_url(rule), method=method, data=body, headers=headers)
        assert response.status_code < 500, (method, rule.rule, response.status_code)
        if response.is_json and response.status_code == 400:
            assert response.get_json()["error"]["code"] == "request.malformed_json", rule.rule
        checked.append(rule.rule)
    assert "/api/v1/auth/login" in checked and "/api/v1/sync/push" in checked


@pytest.mark.parametrize("path", ["/api/v1/auth/login", "/api/v1/sync/push"])
def test_the_routes_of_the_report_answer_malformed_json(client, auth_headers, path):
    headers = {**auth_headers(make_user("enumerator")), "Content-Type": "application/json"}
    response = client.post(path, data=DEEP, headers=headers)
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "request.malformed_json"
    assert response.headers["Cache-Control"] == "no-store"


def test_push_refuses_unknown_fields_and_oversized_items_one_by_one(sync_ctx, sync_client):
    from tests.visits.test_push import _push, _world, visit_item

    enumerator, homes = _world(5)
    good = visit_item(homes[0])
    padded = visit_item(homes[1], padding="x" * 30_000)
    nested_unknown = visit_item(homes[2], gps={"lon": 117.15, "lat": -0.5, "accuracy_m": 5, "altitude": 12})
    huge_notes = visit_item(homes[3], notes="y" * 4000, aid_reported=["PKH"] * 40)
    huge_notes["members"] = [{"member_id": str(uuid.uuid4()), "presence": "found"}] * 60
    huge_notes["house_condition"] = {"floor": "z" * (MAX_ITEM_BYTES + 1)}
    bad_choice = visit_item(homes[4], house_condition={"floor": {"nested": ["object"]}})
    results = _push(sync_client, enumerator, [good, padded, nested_unknown, huge_notes, bad_choice])
    assert [r["status"] for r in results] == ["created", "invalid", "invalid", "invalid", "invalid"]
    assert results[1]["errors"] == {"padding": ["Isian tidak dikenal / unknown field"]}
    assert results[2]["errors"] == {"gps": {"altitude": ["Isian tidak dikenal / unknown field"]}}
    assert "bytes" in results[3]["errors"]["_schema"][0]
    assert results[4]["errors"]["house_condition"] == [{"floor": ["Pilihan tidak dikenal / unknown choice"]}]
    assert results[1]["id"] == padded["id"]


def test_an_absurd_id_is_not_echoed_back(sync_ctx, sync_client):
    from tests.visits.test_push import _push, _world, visit_item

    enumerator, homes = _world(1)
    item = visit_item(homes[0], id="9" * 5000)
    (result,) = _push(sync_client, enumerator, [item])
    assert result["status"] == "invalid" and result["id"] is None
