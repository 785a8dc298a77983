"""Programs API: everyone lists, only admins create and update; changes are audited."""

import sqlalchemy as sa

from server.aid.models import AidProgram
from server.audit.models import AuditEntry
from tests.factories import make_user

NEW_PROGRAM = {
    "code": "SMD-SEMBAKO-LANSIA",
    "name": "Sembako Lansia Kota Samarinda",
    "level": "city",
    "unit": "person",
    "form": "goods",
    "category": "food",
    "period": "monthly",
    "active_from": "2026-01-01",
}


def test_every_role_lists_programs(client, auth_headers, db_session):
    db_session.add(
        AidProgram(
            code="T-LIST",
            name="Uji",
            level="national",
            unit="family",
            form="cash",
            category="cash_transfer",
            period="quarterly",
        )
    )
    db_session.flush()
    for role in ("admin", "supervisor", "reviewer", "enumerator", "viewer"):
        response = client.get("/api/v1/programs", headers=auth_headers(make_user(role)))
        assert response.status_code == 200
        codes = {program["code"] for program in response.get_json()["data"]}
        assert "T-LIST" in codes
    assert client.get("/api/v1/programs").status_code == 401


def test_admin_creates_and_updates_a_program(client, auth_headers, db_session):
    admin = make_user("admin")
    headers = auth_headers(admin)
    created = client.post("/api/v1/programs", json=NEW_PROGRAM, headers=headers)
    assert created.status_code == 201, created.get_json()
    assert created.get_json()["data"]["active"] is True
    assert client.post("/api/v1/programs", json=NEW_PROGRAM, headers=headers).status_code == 409
    updated = client.patch(
        f"/api/v1/programs/{NEW_PROGRAM['code']}", json={"active_until": "2026-06-30", "name": "Baru"}, headers=headers
    )
    assert updated.status_code == 200
    assert updated.get_json()["data"]["name"] == "Baru"
    listed = client.get("/api/v1/programs?active_on=2026-07-01", headers=headers).get_json()["data"]
    assert NEW_PROGRAM["code"] not in {p["code"] for p in listed}
    listed = client.get("/api/v1/programs?active_on=2026-03-01", headers=headers).get_json()["data"]
    assert NEW_PROGRAM["code"] in {p["code"] for p in listed}
    actions = (
        db_session.execute(
            sa.select(AuditEntry.action).where(AuditEntry.object_id == NEW_PROGRAM["code"]).order_by(AuditEntry.id)
        )
        .scalars()
        .all()
    )
    assert actions == ["program.create", "program.update"]


def test_program_validation_and_permissions(client, auth_headers, db_session):
    admin = auth_headers(make_user("admin"))
    bad = client.post("/api/v1/programs", json=NEW_PROGRAM | {"code": "bad code", "unit": "village"}, headers=admin)
    assert bad.status_code == 422
    assert set(bad.get_json()["error"]["details"]["fields"]) == {"code", "unit"}
    order = client.post("/api/v1/programs", json=NEW_PROGRAM | {"active_until": "2025-01-01"}, headers=admin)
    assert order.status_code == 422
    assert client.patch("/api/v1/programs/NOPE", json={"name": "x"}, headers=admin).status_code == 404
    supervisor = auth_headers(make_user("supervisor"))
    assert client.post("/api/v1/programs", json=NEW_PROGRAM, headers=supervisor).status_code == 403
    assert client.get("/api/v1/programs?active_on=kemarin", headers=admin).status_code == 422
