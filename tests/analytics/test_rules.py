"""Programme rules as data: seeded with DESIGN.md §2's facts, admin-editable, every change audited and
written as a new rule-set version; snapshots keep a summary as it was shown."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import sqlalchemy as sa

from server.aid.models import AidReceipt
from server.analytics.models import AidRule, AidRuleVersion
from server.audit.models import AuditEntry
from tests.analytics.dataset import build
from tests.factories import make_user


def test_seeded_rules_hold_the_design_facts(db_session):
    rules = db_session.execute(sa.select(AidRule).where(AidRule.active)).scalars().all()
    exclusive = {tuple(rule.programs) for rule in rules if rule.kind == "exclusive"}
    assert exclusive == {
        ("BST-COVID", "PKH"),
        ("BST-COVID", "BPNT"),
        ("BLT-DD", "PKH"),
        ("BLT-DD", "BPNT"),
        ("BLT-DD", "BST-COVID"),
    }
    bst = next(rule for rule in rules if rule.programs == ["BST-COVID", "PKH"])
    assert (bst.valid_from, bst.valid_until) == (date(2020, 4, 1), date(2021, 12, 31))
    assert "54/HUK/2020" in bst.legal_basis
    eligibility = {rule.programs[0]: rule.desil_max for rule in rules if rule.kind == "eligibility"}
    assert eligibility["PKH"] == 4 and eligibility["BPNT"] == 5 and eligibility["PBI-JK"] == 5
    assert all("79/HUK/2025" in rule.legal_basis for rule in rules if rule.kind == "eligibility")
    bst_amounts = sorted(
        (rule.valid_from, rule.amount)
        for rule in rules
        if rule.kind == "standard_amount" and rule.programs == ["BST-COVID"]
    )
    assert bst_amounts == [(date(2020, 4, 1), Decimal("600000.00")), (date(2020, 7, 1), Decimal("300000.00"))]
    assert db_session.execute(sa.select(sa.func.min(AidRuleVersion.version))).scalar_one() == 1


def test_admin_edits_rules_audited_and_versioned(client, auth_headers, db_session):
    admin = make_user("admin")
    headers = auth_headers(admin)
    listed = client.get("/api/v1/analytics/rules", headers=headers).get_json()
    version = listed["meta"]["rule_set_version"]
    created = client.post(
        "/api/v1/analytics/rules",
        json={
            "kind": "same_purpose",
            "programs": ["KALTIM-BSTR", "BLT-BBM-2022"],
            "label": "tunai",
            "legal_basis": "Uji / test",
            "valid_from": "2022-01-01",
        },
        headers=headers,
    )
    assert created.status_code == 201, created.get_json()
    rule_id = created.get_json()["data"]["id"]
    assert created.get_json()["meta"]["rule_set_version"] == version + 1
    changed = client.patch(f"/api/v1/analytics/rules/{rule_id}", json={"active": False}, headers=headers)
    assert changed.status_code == 200 and changed.get_json()["meta"]["rule_set_version"] == version + 2
    unchanged = client.patch(f"/api/v1/analytics/rules/{rule_id}", json={"active": False}, headers=headers)
    assert unchanged.get_json()["meta"]["rule_set_version"] == version + 2  # no change, no version
    versions = client.get("/api/v1/analytics/rules/versions", headers=headers).get_json()["data"]
    newest = versions[0]
    assert newest["version"] == version + 2 and newest["actor_id"] == admin.id
    assert next(rule for rule in newest["rules"] if rule["id"] == rule_id)["active"] is False
    assert next(rule for rule in versions[1]["rules"] if rule["id"] == rule_id)["active"] is True
    audit = (
        db_session.execute(
            sa.select(AuditEntry.action).where(
                AuditEntry.object_type == "aid_rule", AuditEntry.object_id == str(rule_id)
            )
        )
        .scalars()
        .all()
    )
    assert sorted(audit) == ["aid_rule.create", "aid_rule.update"]

    bad = client.post(
        "/api/v1/analytics/rules",
        json={"kind": "exclusive", "programs": ["PKH", "NOPE"], "legal_basis": "x y z"},
        headers=headers,
    )
    assert bad.status_code == 422 and "programs" in bad.get_json()["error"]["details"]["fields"]
    eligibility = client.post(
        "/api/v1/analytics/rules",
        json={"kind": "eligibility", "programs": ["PKH"], "legal_basis": "x y z"},
        headers=headers,
    )
    assert eligibility.status_code == 422 and "desil_max" in eligibility.get_json()["error"]["details"]["fields"]
    supervisor = auth_headers(make_user("supervisor"))
    assert client.post("/api/v1/analytics/rules", json={}, headers=supervisor).status_code == 403
    assert client.patch("/api/v1/analytics/rules/999999", json={"active": False}, headers=headers).status_code == 404


def test_a_snapshot_keeps_the_figures_as_shown(client, auth_headers, db_session):
    city = build()
    headers = auth_headers(make_user("admin"))
    body = {"title": "Untuk Wali Kota", "period_start": "2019-01-01", "period_end": "2019-12-31", "region": "64.72"}
    created = client.post("/api/v1/analytics/snapshots", json=body, headers=headers)
    assert created.status_code == 201, created.get_json()
    snapshot = created.get_json()["data"]
    frozen = {(f["kind"], f["side"]): f["households"] for f in snapshot["figures"]["figures"] if f["program"] is None}
    assert frozen[("gap", "verified")] == 1
    db_session.add(
        AidReceipt(
            program_id=city.programs["SEM"].id,
            household_id=city.households["H5"].id,
            period_start=date(2019, 1, 1),
            period_end=date(2019, 1, 31),
            amount=Decimal("200000"),
            source="agency_list",
            status="disbursed",
        )
    )
    db_session.flush()
    live = client.get(
        "/api/v1/analytics/summary?period_start=2019-01-01&period_end=2019-12-31&region=64.72", headers=headers
    ).get_json()["data"]
    assert not any(f["kind"] == "gap" for f in live["figures"])
    again = client.get(f"/api/v1/analytics/snapshots/{snapshot['id']}", headers=headers).get_json()["data"]
    assert again["figures"] == snapshot["figures"] and again["rule_set_version"] == snapshot["rule_set_version"]
    listed = client.get("/api/v1/analytics/snapshots", headers=headers).get_json()["data"]
    assert [item["id"] for item in listed][:1] == [snapshot["id"]] and "figures" not in listed[0]
    other = auth_headers(make_user("supervisor", ["64.72.02"]))
    assert client.get(f"/api/v1/analytics/snapshots/{snapshot['id']}", headers=other).status_code == 404
