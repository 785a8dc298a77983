"""Every decision and every change it makes is audited, by whom, with NIK masked: a bulk approval that
corrects a NIK, proposes a death and supersedes a sibling visit; and a policy's approval names the policy."""

from __future__ import annotations

import json

from server.audit.models import AuditEntry
from server.auth.masking import mask_number
from server.review.service import decide
from server.types import ReviewVia
from tests.factories import make_household, make_member, make_nik
from tests.review.conftest import make_visit


def test_bulk_approval_audits_decisions_corrections_proposals_and_supersedes_with_nik_masked(
    client, auth_headers, db_session, reviewer, enumerator
):
    household = make_household()
    head = make_member(household, relationship_code=1)
    wife = make_member(household, relationship_code=2, sex=2, nik=make_nik(female=True))
    corrected, original = make_nik(), head.nik
    sibling = make_visit(household, enumerator)
    visit = make_visit(
        household,
        enumerator,
        answers={
            "members": [
                {"member_id": str(head.id), "presence": "present", "nik": corrected},
                {"member_id": str(wife.id), "presence": "deceased"},
            ]
        },
    )
    response = client.post(
        "/api/v1/review/decisions", json={"decision": "approve", "ids": [str(visit.id)]}, headers=auth_headers(reviewer)
    )
    assert response.status_code == 200, response.get_json()
    entries = db_session.query(AuditEntry).filter(AuditEntry.actor_id == reviewer.id).all()
    by_action = {}
    for entry in entries:
        by_action.setdefault(entry.action, []).append(entry)
    assert [e.object_id for e in by_action["visit.review"]] == [str(visit.id)]
    assert by_action["visit.review"][0].changes["via"] == "bulk"
    assert by_action["visit.review"][0].changes["superseded"] == [str(sibling.id)]
    assert [e.object_id for e in by_action["visit.supersede"]] == [str(sibling.id)]
    member_update = by_action["member.update"][0]
    assert member_update.object_id == str(head.id)
    assert member_update.changes["nik"] == {"before": mask_number(original), "after": mask_number(corrected)}
    assert f"{wife.id}:presence_status" in by_action["household.propose"][0].changes
    assert "visit.review_bulk" in by_action
    logged = json.dumps([entry.changes for entry in db_session.query(AuditEntry).all()], default=str)
    assert corrected not in logged and original not in logged and wife.nik not in logged


def test_a_policy_approval_is_audited_as_the_policys(db_session, enumerator):
    visit = make_visit(make_household(), enumerator)
    decide(None, visit.id, "approve", via=ReviewVia.POLICY)
    entry = db_session.query(AuditEntry).filter(AuditEntry.action == "visit.review").one()
    assert entry.actor_id is None and entry.actor_username == "policy"
    assert entry.changes["via"] == "policy"
