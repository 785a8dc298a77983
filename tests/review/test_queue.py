"""The review queue: area scope, filters, priority and date order in keyset pages, facets, household
grouping and claims."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tests.factories import make_household, make_user
from tests.review.conftest import make_visit


def _get(client, headers, url):
    response = client.get(url, headers=headers)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def test_queue_filters_pages_facets_grouping_and_claims(client, auth_headers, db_session, reviewer, enumerator):
    other_enumerator = make_user("enumerator")
    start = datetime.now(UTC) - timedelta(hours=1)
    shared = make_household()
    visits = []
    for index in range(7):
        household = (
            shared if index < 2 else make_household(region_code="64.72.01.1002" if index % 2 else "64.72.01.1001")
        )
        visits.append(
            make_visit(
                household,
                enumerator if index < 5 else other_enumerator,
                outcome="found" if index < 4 else "not_found",
                flags=["far_from_registered"] if index % 3 == 0 else [],
                priority=index % 3,
                received_at=start + timedelta(minutes=index),
            )
        )
    make_visit(make_household(region_code="64.72.02.1009"), enumerator)  # outside the reviewer's area
    headers = auth_headers(reviewer)

    by_priority = []
    url = "/api/v1/review/queue?limit=3"
    while url:
        body = _get(client, headers, url)
        by_priority += body["data"]
        cursor = body["meta"]["next_cursor"]
        url = f"/api/v1/review/queue?limit=3&cursor={cursor}" if cursor else None
    assert [row["id"] for row in by_priority] == [
        str(v.id) for v in sorted(visits, key=lambda v: (v.priority, v.received_at), reverse=True)
    ]
    assert by_priority[-1]["household_pending_visits"] in (1, 2)

    by_date = _get(client, headers, "/api/v1/review/queue?sort=date&limit=50")["data"]
    assert [row["id"] for row in by_date] == [str(v.id) for v in reversed(visits)]

    found = _get(client, headers, "/api/v1/review/queue?outcome=found&flag=far_from_registered&region=64.72.01.1001")
    assert [row["id"] for row in found["data"]] == [str(visits[0].id)]
    mine = _get(client, headers, f"/api/v1/review/queue?enumerator_id={other_enumerator.id}")["data"]
    assert {row["id"] for row in mine} == {str(visits[5].id), str(visits[6].id)}

    grouped = _get(client, headers, "/api/v1/review/queue?group_by_household=true&limit=50")["data"]
    assert len(grouped) == 6 and sum(1 for row in grouped if row["household_id"] == str(shared.id)) == 1

    facets = _get(client, headers, "/api/v1/review/facets?outcome=found")["data"]
    assert facets["status"] == {"pending": 4}
    assert facets["outcome"] == {"found": 4}
    assert facets["flag"] == {"far_from_registered": 2}
    assert sum(facets["region"].values()) == 4

    other = make_user("reviewer", regions=("64.72.01",))
    claimed = client.post(f"/api/v1/review/visits/{visits[0].id}/claim", json={}, headers=headers)
    assert claimed.status_code == 200, claimed.get_json()
    refused = client.post(f"/api/v1/review/visits/{visits[0].id}/claim", json={}, headers=auth_headers(other))
    assert refused.status_code == 409 and refused.get_json()["error"]["code"] == "review.claimed"
    theirs = _get(client, auth_headers(other), "/api/v1/review/queue?unclaimed=true&limit=50")["data"]
    assert str(visits[0].id) not in {row["id"] for row in theirs} and len(theirs) == 6
    seen = {row["id"]: row for row in _get(client, auth_headers(other), "/api/v1/review/queue?limit=50")["data"]}
    assert seen[str(visits[0].id)]["claimed"] is True
