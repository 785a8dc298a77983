"""Review decisions through the API: what approval does per outcome (every row of the catalogue's table),
corrections applied and eligibility proposed, reject and revisit, two reviewers (412), superseded visits,
field proposals accepted / rejected / merged, bulk by filter, everything audited with NIK masked."""

from __future__ import annotations

import json
from datetime import date

import pytest
import sqlalchemy as sa

from server.audit.models import AuditEntry
from server.campaigns.models import Tombstone
from server.history.models import RegistryChange
from server.households.models import Household, Member
from server.review.catalog import APPROVAL_EFFECTS
from server.types import Outcome
from server.visits.models import Visit, VisitReview
from tests.factories import make_household, make_member, make_nik
from tests.review.conftest import make_visit


def _decide(client, headers, visit, body, version=None):
    return client.post(
        f"/api/v1/review/visits/{visit.id}/decision",
        json=body,
        headers={**headers, "If-Match": f'"{version or visit.review_version}"'},
    )


def _changes(db_session, household):
    return db_session.query(RegistryChange).filter_by(household_id=household.id).order_by(RegistryChange.id).all()


def test_approving_found_applies_corrections_and_proposes_presence_and_new_members(
    client, auth_headers, db_session, reviewer, enumerator
):
    household = make_household(location=None, head_name="Budi Santoso")
    head = make_member(household, name="Budi Santoso", relationship_code=1)
    child = make_member(household, name="Ani", relationship_code=3, nik=make_nik())
    corrected_nik = make_nik()
    visit = make_visit(
        household,
        enumerator,
        answers={
            "members": [
                {"member_id": str(head.id), "presence": "present", "name": "Budi Santosa", "nik": corrected_nik},
                {"member_id": str(child.id), "presence": "moved"},
                {"presence": "new", "name": "Bayi Baru", "sex": 2, "relationship_code": 3},
            ],
            "house_condition": {"floor": "ceramic"},
        },
    )
    response = _decide(client, auth_headers(reviewer), visit, {"decision": "approve"})
    assert response.status_code == 200, response.get_json()
    body = response.get_json()["data"]
    assert body["review_status"] == "approved" and body["household_version"] == 2
    db_session.expire_all()
    head_now = db_session.get(Member, head.id)
    assert head_now.name == "Budi Santosa" and head_now.nik == corrected_nik
    assert db_session.get(Member, child.id).presence_status == "present"  # only proposed
    stored = db_session.get(Household, household.id)
    assert stored.verification_status == "approved" and stored.location is not None
    assert stored.head_name == "Budi Santosa"  # the lists and the phones show the head's corrected name
    changes = {(c.member_id, c.field): c for c in _changes(db_session, household)}
    assert changes[(None, "head_name")].state == "applied" and changes[(None, "head_name")].old_value == "Budi Santoso"
    assert changes[(head.id, "name")].state == "applied" and changes[(head.id, "name")].household_version == 2
    assert changes[(None, "location")].state == "applied"
    assert changes[(None, "house_condition")].new_value == {"floor": "ceramic"}
    assert changes[(child.id, "presence_status")].state == "proposed"
    assert changes[(child.id, "presence_status")].new_value == "moved"
    assert changes[(None, "member")].state == "proposed" and changes[(None, "member")].new_value["name"] == "Bayi Baru"
    assert all(c.source_kind == "review" and c.source_id == str(visit.id) for c in changes.values())
    review = db_session.query(VisitReview).filter_by(visit_id=visit.id).one()
    assert review.decision == "approve" and review.reviewer_id == reviewer.id and review.via == "reviewer"
    # Audited, and the corrected NIK never appears whole in the log.
    actions = {entry.action for entry in db_session.query(AuditEntry).filter(AuditEntry.actor_id == reviewer.id)}
    assert {"visit.review", "member.update", "household.propose"} <= actions
    logged = json.dumps([entry.changes for entry in db_session.query(AuditEntry).all()], default=str)
    assert corrected_nik not in logged and head.nik not in logged


@pytest.mark.parametrize("outcome", [o for o in Outcome if o != Outcome.FOUND])
def test_every_other_outcome_row_of_the_table(outcome, client, auth_headers, db_session, reviewer, enumerator):
    effect = APPROVAL_EFFECTS[outcome]
    household = make_household()
    member = make_member(household, relationship_code=1)
    target = make_household(head_name=household.head_name)
    answers = {}
    if effect.needs_target:
        answers["duplicate_of"] = str(target.id)
    if outcome == Outcome.MOVED_WITHIN:
        answers["moved_to"] = {"address": "Jl. Pindahan 9", "rt": "007"}
    visit = make_visit(household, enumerator, outcome=outcome.value, answers=answers)
    response = _decide(client, auth_headers(reviewer), visit, {"decision": "approve"})
    assert response.status_code == 200, response.get_json()
    db_session.expire_all()
    stored = db_session.get(Household, household.id)
    # Nothing eligibility-related is applied at approval: the registry keeps its values.
    assert stored.registry_status == "active" and stored.version == 1
    assert stored.verification_status == effect.verification
    proposed = {(c.member_id, c.field): c.new_value for c in _changes(db_session, household) if c.state == "proposed"}
    applied = [c for c in _changes(db_session, household) if c.state == "applied"]
    assert applied == []
    if effect.registry_status is None:
        assert proposed == {}
    else:
        assert proposed[(None, "registry_status")] == effect.registry_status.value
    if effect.needs_target:
        assert proposed[(None, "merged_into_id")] == str(target.id)
    if effect.all_members:
        assert proposed[(member.id, "presence_status")] == "deceased"
    if outcome == Outcome.MOVED_WITHIN:
        assert proposed[(None, "address")] == "Jl. Pindahan 9" and proposed[(None, "rt")] == "007"


def test_duplicate_without_a_target_asks_for_one_with_candidates(
    client, auth_headers, db_session, reviewer, enumerator
):
    household = make_household(head_name="Rahmat Hidayat")
    twin = make_household(head_name="Rahmat Hidayat", kk_number=household.kk_number)
    visit = make_visit(household, enumerator, outcome="duplicate")
    headers = auth_headers(reviewer)
    response = _decide(client, headers, visit, {"decision": "approve"})
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert error["code"] == "review.target_required" and str(twin.id) in error["details"]["candidates"]
    detail = client.get(f"/api/v1/review/visits/{visit.id}", headers=headers).get_json()["data"]
    assert detail["target_candidates"][0]["id"] == str(twin.id)
    assert detail["target_candidates"][0]["matched_by"] == "kk_number"
    compared = {(row["member_id"], row["field"]): row for row in detail["comparison"]}
    assert compared[(None, "registry_status")]["now"] == "active"
    assert compared[(None, "registry_status")]["found"] == "duplicate"
    assert compared[(None, "location")]["found"] == {"lon": 117.15, "lat": -0.5}
    response = _decide(client, headers, visit, {"decision": "approve", "target_household_id": str(twin.id)})
    assert response.status_code == 200, response.get_json()


def test_two_reviewers_on_one_visit_the_second_gets_412(client, auth_headers, db_session, reviewer, enumerator):
    from tests.factories import make_user

    other = make_user("reviewer", regions=("64.72.01",))
    visit = make_visit(make_household(), enumerator)
    first = _decide(client, auth_headers(reviewer), visit, {"decision": "approve"}, version=1)
    second = _decide(
        client, auth_headers(other), visit, {"decision": "reject", "reason_code": "not_a_real_visit"}, version=1
    )
    assert first.status_code == 200 and second.status_code == 412
    assert second.get_json()["error"]["code"] == "review.stale_version"
    assert second.get_json()["error"]["details"]["review_status"] == "approved"
    missing = client.post(
        f"/api/v1/review/visits/{visit.id}/decision", json={"decision": "approve"}, headers=auth_headers(other)
    )
    assert missing.status_code == 428


def test_reject_needs_a_reason_changes_nothing_and_returns_the_household_to_the_list(
    client, auth_headers, db_session, reviewer, enumerator
):
    household = make_household(verification_status="visited")
    visit = make_visit(household, enumerator, answers={"house_condition": {"floor": "ceramic"}})
    headers = auth_headers(reviewer)
    assert _decide(client, headers, visit, {"decision": "reject"}).status_code == 422
    response = _decide(
        client, headers, visit, {"decision": "reject", "reason_code": "not_a_real_visit", "comment": "x"}
    )
    assert response.status_code == 200, response.get_json()
    db_session.expire_all()
    assert db_session.get(Household, household.id).verification_status == "unverified"
    assert _changes(db_session, household) == []
    assert db_session.get(Visit, visit.id).review_reason_code == "not_a_real_visit"


def test_approval_supersedes_other_pending_visits_of_the_household(
    client, auth_headers, db_session, reviewer, enumerator
):
    household = make_household()
    older = make_visit(household, enumerator)
    newer = make_visit(household, enumerator)
    response = _decide(client, auth_headers(reviewer), newer, {"decision": "approve"})
    assert response.get_json()["data"]["superseded"] == [str(older.id)]
    db_session.expire_all()
    assert db_session.get(Visit, older.id).review_status == "superseded"
    assert db_session.query(VisitReview).filter_by(visit_id=older.id, decision="supersede", via="system").count() == 1
    queue = client.get("/api/v1/review/queue?status=superseded", headers=auth_headers(reviewer)).get_json()["data"]
    assert [row["id"] for row in queue] == [str(older.id)]


def _field_proposal(enumerator, **extra):
    household = make_household(registry_id=None, source="field", registry_status="proposed", head_name="Keluarga Baru")
    visit = make_visit(
        household,
        enumerator,
        base_version=None,
        answers={
            "members": [{"presence": "new", "name": "Keluarga Baru", "sex": 1, "relationship_code": 1}],
            "new_household": {"id": str(household.id), "head_name": "Keluarga Baru", "region_code": "64.72.01.1001"},
        },
        **extra,
    )
    return household, visit


def test_field_proposal_accepted_rejected_and_merged(client, auth_headers, db_session, reviewer, enumerator):
    headers = auth_headers(reviewer)
    accepted, visit = _field_proposal(enumerator)
    assert _decide(client, headers, visit, {"decision": "approve"}).status_code == 200
    db_session.expire_all()
    assert db_session.query(Member).filter_by(household_id=accepted.id).one().name == "Keluarga Baru"
    states = {(c.field, c.state) for c in _changes(db_session, accepted)}
    assert states == {("member", "applied"), ("registry_status", "proposed")}
    assert db_session.get(Household, accepted.id).registry_status == "proposed"

    rejected, visit = _field_proposal(enumerator)
    response = _decide(client, headers, visit, {"decision": "reject", "reason_code": "not_a_real_visit"})
    assert response.status_code == 200
    db_session.expire_all()
    assert db_session.get(Household, rejected.id).registry_status == "removed"
    assert db_session.query(Tombstone).filter_by(household_id=rejected.id, reason="removed").count() == 1

    existing = make_household(head_name="Keluarga Baru")
    merged, visit = _field_proposal(enumerator)
    response = _decide(client, headers, visit, {"decision": "approve", "target_household_id": str(existing.id)})
    assert response.status_code == 200, response.get_json()
    db_session.expire_all()
    stored = db_session.get(Household, merged.id)
    assert stored.registry_status == "merged" and stored.merged_into_id == existing.id


def test_bulk_approval_of_a_mixed_filter(client, auth_headers, db_session, reviewer, enumerator):
    clean = [make_visit(make_household(), enumerator) for _ in range(3)]
    moved = make_visit(make_household(), enumerator, outcome="moved_within")
    duplicate = make_visit(make_household(), enumerator, outcome="duplicate")  # no target: refused
    elsewhere = make_visit(make_household(region_code="64.72.02.1009"), enumerator)  # outside the area
    response = client.post(
        "/api/v1/review/decisions",
        json={"decision": "approve", "filter": {"status": "pending"}},
        headers=auth_headers(reviewer),
    )
    assert response.status_code == 200, response.get_json()
    body = response.get_json()["data"]
    by_id = {item["id"]: item for item in body["results"]}
    assert set(by_id) == {str(v.id) for v in [*clean, moved, duplicate]}
    assert by_id[str(duplicate.id)] == {"id": str(duplicate.id), "status": "refused", "code": "review.target_required"}
    assert body["counts"] == {"decided": 4, "refused": 1}
    db_session.expire_all()
    assert db_session.get(Visit, elsewhere.id).review_status == "pending"
    assert db_session.get(Visit, duplicate.id).review_status == "pending"
    assert {db_session.get(Visit, v.id).review_status for v in [*clean, moved]} == {"approved"}
    assert db_session.query(VisitReview).filter(VisitReview.via == "bulk").count() == 4


def test_policy_decisions_through_the_service(db_session, enumerator):
    """The policy's door: `decide(None, …, via=POLICY)` behaves as a reviewer's approval."""
    from server.review.service import decide
    from server.types import ReviewVia

    household = make_household()
    visit = make_visit(household, enumerator)
    result = decide(None, visit.id, "approve", via=ReviewVia.POLICY)
    assert result["review_status"] == "approved"
    review = db_session.query(VisitReview).filter_by(visit_id=visit.id).one()
    assert review.via == "policy" and review.reviewer_id is None
    assert (
        db_session.execute(sa.select(Household.verification_status).where(Household.id == household.id)).scalar()
        == "approved"
    )


def test_an_approved_refusal_goes_back_on_the_list_only_when_the_campaign_says_so(
    client, auth_headers, db_session, reviewer, enumerator
):
    from server.campaigns.models import Campaign

    strict = Campaign(
        name="Ulang",
        period_start=date(2026, 1, 1),
        period_end=date(2026, 12, 31),
        settings={"refused_back_on_list": True},
    )
    plain = Campaign(name="Biasa", period_start=date(2026, 1, 1), period_end=date(2026, 12, 31))
    db_session.add_all([strict, plain])
    db_session.flush()
    back, counted = make_household(), make_household()
    first = make_visit(back, enumerator, outcome="refused", campaign_id=strict.id)
    second = make_visit(counted, enumerator, outcome="refused", campaign_id=plain.id)
    headers = auth_headers(reviewer)
    assert _decide(client, headers, first, {"decision": "approve"}).status_code == 200
    assert _decide(client, headers, second, {"decision": "approve"}).status_code == 200
    db_session.expire_all()
    assert db_session.get(Household, back.id).verification_status == "revisit"
    assert db_session.get(Household, counted.id).verification_status == "visited"


def test_a_large_bulk_decision_runs_as_a_job_with_one_result_per_visit(
    client, auth_headers, db_session, reviewer, enumerator, monkeypatch
):
    from server.review import service

    monkeypatch.setattr(service, "BULK_INLINE_MAX", 2)
    visits = [make_visit(make_household(), enumerator) for _ in range(4)]
    response = client.post(
        "/api/v1/review/decisions",
        json={"decision": "revisit", "reason_code": "photos_missing", "ids": [str(v.id) for v in visits]},
        headers=auth_headers(reviewer),
    )
    assert response.status_code == 202, response.get_json()
    job = client.get(response.headers["Location"], headers=auth_headers(reviewer)).get_json()["data"]
    assert job["state"] == "done", job
    assert job["result"]["counts"] == {"decided": 4, "refused": 0}
    db_session.expire_all()
    assert {db_session.get(Visit, v.id).review_status for v in visits} == {"revisit"}
    audited = db_session.query(AuditEntry).filter(AuditEntry.action == "visit.review").all()
    assert {entry.object_id for entry in audited} >= {str(v.id) for v in visits}
    assert all(entry.actor_id == reviewer.id for entry in audited)


def test_a_large_bulk_decision_by_filter_runs_as_a_job(
    client, auth_headers, db_session, reviewer, enumerator, monkeypatch
):
    from server.review import service

    monkeypatch.setattr(service, "BULK_INLINE_MAX", 0)
    household = make_household()
    older, newer = make_visit(household, enumerator), make_visit(household, enumerator)
    other = make_visit(make_household(), enumerator)
    response = client.post(
        "/api/v1/review/decisions",
        json={
            "decision": "reject",
            "reason_code": "duplicate_submission",
            "filter": {"household_id": str(household.id), "received_from": "2020-01-01T00:00:00+00:00"},
        },
        headers=auth_headers(reviewer),
    )
    assert response.status_code == 202, response.get_json()
    job = client.get(response.headers["Location"], headers=auth_headers(reviewer)).get_json()["data"]
    assert job["state"] == "done", job
    assert job["result"]["counts"] == {"decided": 2, "refused": 0}
    db_session.expire_all()
    assert {db_session.get(Visit, v.id).review_status for v in (older, newer)} == {"rejected"}
    assert db_session.get(Visit, other.id).review_status == "pending"
