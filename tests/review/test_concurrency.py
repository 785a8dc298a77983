"""Two reviewers decide on one visit at the same moment, on separate connections: the row lock orders them,
one decision is taken and the other answers 412 `review.stale_version`; one review row, one audit row."""

from __future__ import annotations

import threading
import uuid

import sqlalchemy as sa

from server.extensions import db
from server.visits.models import Visit, VisitReview
from tests.factories import make_household, make_user
from tests.sync.conftest import assign, bearer, campaign
from tests.visits.test_push import visit_item


def test_two_reviewers_at_once_one_wins_the_other_gets_412(sync_app, sync_ctx, sync_client):
    enumerator = make_user("enumerator")
    reviewers = [make_user("reviewer"), make_user("reviewer")]
    home = make_household()
    assign(campaign(), [home], enumerator)
    db.session.commit()
    item = visit_item(home)
    pushed = sync_client.post("/api/v1/sync/push", json={"items": [item]}, headers=bearer(enumerator))
    assert pushed.status_code == 200
    barrier = threading.Barrier(2)
    answers: list[tuple[int, dict]] = []

    def review(reviewer, body):
        client = sync_app.test_client()
        with sync_app.app_context():
            headers = {**bearer(reviewer), "If-Match": '"1"'}
        barrier.wait()
        response = client.post(f"/api/v1/review/visits/{item['id']}/decision", json=body, headers=headers)
        answers.append((response.status_code, response.get_json()))

    threads = [
        threading.Thread(target=review, args=(reviewers[0], {"decision": "approve"})),
        threading.Thread(target=review, args=(reviewers[1], {"decision": "reject", "reason_code": "other"})),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sorted(status for status, _ in answers) == [200, 412], answers
    loser = next(body for status, body in answers if status == 412)
    assert loser["error"]["code"] == "review.stale_version"
    db.session.expire_all()
    visit_id = uuid.UUID(item["id"])
    assert db.session.get(Visit, visit_id).review_version == 2
    reviews = db.session.execute(sa.select(VisitReview).where(VisitReview.visit_id == visit_id)).scalars().all()
    assert len(reviews) == 1
