"""The review queue in each order of its whitelist: keyset pages walk every visit once, in order and reversed;
an order outside the whitelist is refused."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tests.factories import make_household
from tests.review.conftest import make_visit


def _walk(client, headers, sort: str) -> list[str]:
    ids, url = [], f"/api/v1/review/queue?limit=2&sort={sort}"
    while url:
        body = client.get(url, headers=headers).get_json()
        assert "data" in body, body
        ids += [row["id"] for row in body["data"]]
        cursor = body["meta"]["next_cursor"]
        url = f"/api/v1/review/queue?limit=2&sort={sort}&cursor={cursor}" if cursor else None
    return ids


def test_each_order_walks_the_queue_once_both_ways(client, auth_headers, reviewer, enumerator):
    start = datetime.now(UTC) - timedelta(hours=2)
    plan = [("Wati", "64.72.01.1002", 5), ("Agus", "64.72.01.1001", 0), ("Nur", "64.72.01.1002", 5),
            ("Bayu", "64.72.01.1001", 9), ("Agus", "64.72.01.1002", 1)]  # fmt: skip
    households = [make_household(head_name=name, region_code=region) for name, region, _ in plan]
    visits = [
        make_visit(household, enumerator, priority=priority, received_at=start + timedelta(minutes=index))
        for index, (household, (_, _, priority)) in enumerate(zip(households, plan, strict=True))
    ]
    name = {v.id: h.head_name for v, h in zip(visits, households, strict=True)}
    region = {v.id: h.region_code for v, h in zip(visits, households, strict=True)}
    expected = {
        "priority": sorted(visits, key=lambda v: (v.priority, v.received_at), reverse=True),
        "date": sorted(visits, key=lambda v: v.received_at, reverse=True),
        "name": sorted(visits, key=lambda v: (name[v.id], str(v.id))),
        "region": sorted(visits, key=lambda v: (region[v.id], name[v.id], str(v.id))),
    }
    headers = auth_headers(reviewer)
    for sort, order in expected.items():
        assert _walk(client, headers, sort) == [str(v.id) for v in order], sort
        other = sort + ("_asc" if sort in ("priority", "date") else "_desc")
        assert _walk(client, headers, other) == [str(v.id) for v in reversed(order)], other


def test_an_order_outside_the_whitelist_is_refused(client, auth_headers, reviewer):
    for bad in ("received_at", "priority desc", "-date"):
        answer = client.get("/api/v1/review/queue", query_string={"sort": bad}, headers=auth_headers(reviewer))
        assert answer.status_code == 422 and "sort" in answer.get_json()["error"]["details"]["fields"], bad
