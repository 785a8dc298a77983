"""Reading visits: staff only within their area (404 outside, never 403), enumerators only their own
visits, viewers never; every read audited."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import sqlalchemy as sa

from server.audit.models import AuditEntry
from server.extensions import db
from server.visits.models import Visit
from tests.factories import make_household, make_user

KECAMATAN_A, KECAMATAN_B = "64.72.01", "64.72.02"


def _visit(household, enumerator) -> Visit:
    visit = Visit(
        id=uuid.uuid4(),
        household_id=household.id,
        enumerator_id=enumerator.id,
        device_time=datetime.now(UTC),
        outcome="found",
        consent=True,
        answers={},
        content_hash="0" * 64,
        no_fix_reason="no_fix",
    )
    db.session.add(visit)
    db.session.flush()
    return visit


def _kelurahan_of(kecamatan: str) -> str:
    return db.session.execute(
        sa.text("SELECT min(code) FROM regions WHERE parent_code = :code"), {"code": kecamatan}
    ).scalar_one()


def test_kecamatan_reviewer_sees_only_their_kecamatans_visits(client, auth_headers, db_session):
    enumerator = make_user("enumerator", [KECAMATAN_A, KECAMATAN_B])
    visit_a = _visit(make_household(region_code=_kelurahan_of(KECAMATAN_A)), enumerator)
    visit_b = _visit(make_household(region_code=_kelurahan_of(KECAMATAN_B)), enumerator)
    reviewer = auth_headers(make_user("reviewer", [KECAMATAN_A]))

    assert client.get(f"/api/v1/visits/{visit_a.id}", headers=reviewer).status_code == 200
    hidden = client.get(f"/api/v1/visits/{visit_b.id}", headers=reviewer)
    assert hidden.status_code == 404 and hidden.get_json()["error"]["code"] == "not_found"
    listed = client.get("/api/v1/visits", headers=reviewer).get_json()["data"]
    assert [item["id"] for item in listed] == [str(visit_a.id)]
    assert client.get(f"/api/v1/visits?region={KECAMATAN_B}", headers=reviewer).get_json()["data"] == []
    reads = db.session.execute(sa.select(AuditEntry).where(AuditEntry.action == "visit.read")).scalars().all()
    assert [entry.object_id for entry in reads] == [str(visit_a.id)]


def test_enumerator_sees_only_their_own_visits_and_viewer_none(client, auth_headers, db_session):
    household = make_household()
    mine_user, other_user = make_user("enumerator"), make_user("enumerator")
    mine, theirs = _visit(household, mine_user), _visit(household, other_user)
    headers = auth_headers(mine_user)
    assert client.get(f"/api/v1/visits/{mine.id}", headers=headers).status_code == 200
    assert client.get(f"/api/v1/visits/{theirs.id}", headers=headers).status_code == 404
    assert [item["id"] for item in client.get("/api/v1/visits", headers=headers).get_json()["data"]] == [str(mine.id)]
    viewer = auth_headers(make_user("viewer", ["64.72"]))
    assert client.get(f"/api/v1/visits/{mine.id}", headers=viewer).status_code == 403


def test_visit_list_pages_by_cursor(client, auth_headers, db_session):
    enumerator = make_user("enumerator")
    household = make_household()
    ids = {str(_visit(household, enumerator).id) for _ in range(5)}
    headers = auth_headers(make_user("admin"))
    seen, url = [], f"/api/v1/visits?household_id={household.id}&limit=2"
    while url:
        body = client.get(url, headers=headers).get_json()
        seen += [item["id"] for item in body["data"]]
        cursor = body["meta"]["next_cursor"]
        url = f"/api/v1/visits?household_id={household.id}&limit=2&cursor={cursor}" if cursor else None
    assert sorted(seen) == sorted(ids)
    assert client.get("/api/v1/visits?cursor=xyz", headers=headers).status_code == 422
