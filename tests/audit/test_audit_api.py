"""Audit trail: the admin query API (filters, pages), and the scripted scenario login → edit → export
leaving exactly the expected rows with no unmasked NIK or No. KK anywhere."""

from __future__ import annotations

import json

import sqlalchemy as sa

from server.audit.models import AuditEntry
from server.extensions import db
from tests.factories import TEST_PASSWORD, make_household, make_member, make_nik, make_user


def _entries() -> list[AuditEntry]:
    return db.session.execute(sa.select(AuditEntry).order_by(AuditEntry.id)).scalars().all()


def test_login_edit_export_leaves_exactly_the_expected_rows_and_no_identity_number(client, db_session):
    household = make_household(region_code="64.72.01.1001")
    nik = make_nik(4321)
    make_member(household, nik=nik)
    new_kk = "6472011503150042"
    old_address, old_kk = household.address, household.kk_number
    supervisor = make_user("supervisor", ["64.72.01"])
    before = len(_entries())

    login = client.post(
        "/api/v1/auth/login",
        json={"username": supervisor.username, "password": TEST_PASSWORD, "device_name": "Laptop Dinsos"},
        environ_base={"REMOTE_ADDR": "10.1.2.3"},
    )
    headers = {"Authorization": f"Bearer {login.get_json()['data']['access_token']}"}
    device_id = login.get_json()["data"]["device"]["id"]
    edit = client.patch(
        f"/api/v1/households/{household.id}",
        json={"kk_number": new_kk, "address": "Jl. Revisi 2"},
        headers=headers | {"If-Match": '"1"'},
    )
    assert edit.status_code == 200, edit.get_json()
    export = client.get("/api/v1/households/export.csv", headers=headers)
    assert export.status_code == 200 and nik in export.get_data(as_text=True)

    rows = _entries()[before:]
    assert [(row.action, row.object_type) for row in rows] == [
        ("auth.login", "device"),
        ("household.update", "household"),
        ("household.export", "household"),
    ]
    assert all(row.actor_id == supervisor.id and row.actor_username == supervisor.username for row in rows)
    assert all(str(row.device_id) == device_id for row in rows)
    assert str(rows[0].client_addr) == "10.1.2.3"
    assert rows[1].object_id == str(household.id)
    assert rows[1].changes["address"] == {"before": old_address, "after": "Jl. Revisi 2"}
    text = json.dumps([row.changes for row in rows])
    assert nik not in text and new_kk not in text and old_kk not in text
    assert "647201" in text  # the masked form keeps the region prefix


def test_admin_queries_by_actor_action_object_and_time_with_pages(client, auth_headers, db_session):
    admin = make_user("admin")
    headers = auth_headers(admin)
    users = [make_user("enumerator") for _ in range(3)]
    for user in users:
        client.post("/api/v1/auth/login", json={"username": user.username, "password": "salah", "device_name": "x"})
        client.post(
            "/api/v1/auth/login", json={"username": user.username, "password": TEST_PASSWORD, "device_name": "x"}
        )

    def query(params):
        response = client.get(f"/api/v1/audit?{params}", headers=headers)
        assert response.status_code == 200, response.get_json()
        return response.get_json()

    mine = query(f"actor_id={users[0].id}")["data"]
    assert [entry["action"] for entry in mine] == ["auth.login", "auth.login_failed"]
    failed = query("action=auth.login_failed")["data"]
    assert {entry["actor_username"] for entry in failed} >= {user.username for user in users}
    assert {entry["action"] for entry in query("action=auth.")["data"]} >= {"auth.login", "auth.login_failed"}
    assert len(query(f"object_type=user&object_id={users[1].id}")["data"]) == 1
    assert query("since=2999-01-01T00:00:00Z")["data"] == []

    seen, cursor = [], ""
    while True:
        page = query(f"action=auth.&limit=2{cursor}")
        seen += [entry["id"] for entry in page["data"]]
        if not page["meta"]["next_cursor"]:
            break
        cursor = f"&cursor={page['meta']['next_cursor']}"
    assert len(seen) == len(set(seen)) >= 6 and seen == sorted(seen, reverse=True)
    by_action, cursor = [], ""  # another order, paged by its own cursor
    while True:
        page = query(f"action=auth.&sort=action_desc&limit=2{cursor}")
        by_action += [(entry["action"], entry["id"]) for entry in page["data"]]
        if not page["meta"]["next_cursor"]:
            break
        cursor = f"&cursor={page['meta']['next_cursor']}"
    assert by_action == sorted(by_action, reverse=True) and {i for _a, i in by_action} == set(seen)
    assert client.get("/api/v1/audit?cursor=rusak", headers=headers).status_code == 422
    assert client.get("/api/v1/audit?sort=changes", headers=headers).status_code == 422
    assert client.get("/api/v1/audit?since=kemarin", headers=headers).status_code == 422
    assert client.get("/api/v1/audit", headers=auth_headers(make_user("supervisor"))).status_code == 403
    assert query("action=audit.read")["data"], "reading the audit trail is itself audited"


def test_household_reads_are_audited_without_the_search_text(client, auth_headers, db_session):
    household = make_household()
    nik = make_nik(8765)
    make_member(household, nik=nik)
    reviewer = make_user("reviewer", ["64.72"])
    headers = auth_headers(reviewer)
    assert client.get(f"/api/v1/households?q={nik}", headers=headers).get_json()["data"][0]["id"] == str(household.id)
    assert client.get(f"/api/v1/households/{household.id}", headers=headers).status_code == 200
    rows = [row for row in _entries() if row.actor_id == reviewer.id]
    assert [(row.action, row.object_id) for row in rows] == [
        ("household.list", None),
        ("household.read", str(household.id)),
    ]
    assert rows[0].changes["search"] == "number" and rows[0].changes["rows"] == 1
    assert nik not in json.dumps([row.changes for row in rows])
