"""A merge the musyawarah accepts locks the two households in one fixed order (as a staff merge does), on real
separate connections: while another transaction holds the target, the decision waits for it without holding
the source, so the two can never deadlock; then it goes through."""

from __future__ import annotations

import threading
import time
import uuid
from datetime import date

import sqlalchemy as sa
from sqlalchemy.exc import OperationalError

from server.campaigns.models import Campaign
from server.extensions import db
from server.households.models import Household
from server.review.service import decide
from server.types import RegistryStatus, ReviewVia
from tests.factories import make_household, make_member, make_nik, make_user
from tests.review.conftest import make_visit
from tests.sync.conftest import bearer


def _waiting_for_a_lock(engine, timeout: float = 20.0) -> bool:
    deadline = time.monotonic() + timeout
    with engine.connect() as connection:
        while time.monotonic() < deadline:
            waiting = connection.execute(
                sa.text(
                    "SELECT count(*) FROM pg_stat_activity"
                    " WHERE wait_event_type = 'Lock' AND datname = current_database()"
                )
            ).scalar()
            if waiting:
                return True
            time.sleep(0.05)
    return False


def test_an_accepted_merge_waits_for_the_target_without_holding_the_source(sync_app, sync_ctx, sync_client):
    supervisor, enumerator = make_user("supervisor"), make_user("enumerator")
    campaign = Campaign(name="Verval", period_start=date(2026, 1, 1), period_end=date(2026, 12, 31), active=True)
    db.session.add(campaign)
    db.session.flush()
    # ids chosen so the fixed (text) order locks the target first
    target = make_household(id=uuid.UUID("00000000-0000-4000-8000-000000000001"), head_name="Kepala Tujuan")
    make_member(target, nik=make_nik(), name="Kepala Tujuan")
    source = make_household(id=uuid.UUID("ffffffff-0000-4000-8000-000000000001"), head_name="Kepala Ganda")
    make_member(source, nik=make_nik(), name="Kepala Ganda")
    visit = make_visit(source, enumerator, outcome="duplicate", campaign_id=campaign.id)
    decide(None, visit.id, "approve", target_household_id=target.id, via=ReviewVia.POLICY)
    db.session.commit()
    headers = bearer(supervisor)
    opened = sync_client.post(
        "/api/v1/musyawarah", json={"campaign_id": campaign.id, "region_code": target.region_code}, headers=headers
    )
    round_id = opened.get_json()["data"]["id"]
    assert sync_client.post(f"/api/v1/musyawarah/{round_id}/package", headers=headers).status_code == 202
    items = sync_client.get(f"/api/v1/musyawarah/{round_id}/items", headers=headers).get_json()["data"]
    row = next(i for i in items if i["section"] == "hapus" and i["household_id"] == str(source.id))

    other = db.engine.connect()
    holding = other.begin()
    other.execute(sa.text("SELECT id FROM households WHERE id = :id FOR UPDATE"), {"id": target.id})
    answers: list[tuple[int, dict]] = []

    def decide_row():
        response = sync_app.test_client().post(
            f"/api/v1/musyawarah/{round_id}/decisions",
            json={"decisions": [{"item_id": row["id"], "decision": "setuju"}]},
            headers=headers,
        )
        answers.append((response.status_code, response.get_json()))

    thread = threading.Thread(target=decide_row)
    thread.start()
    try:
        assert _waiting_for_a_lock(db.engine), ("the decision never waited for the target", answers, row)
        try:  # the source is free meanwhile: a transaction locking both in the same order cannot deadlock
            other.execute(sa.text("SELECT id FROM households WHERE id = :id FOR UPDATE NOWAIT"), {"id": source.id})
            source_was_free = True
        except OperationalError:
            source_was_free = False
    finally:
        holding.rollback()
        other.close()
        thread.join(60)
    assert answers and answers[0][0] == 200, answers
    assert answers[0][1]["data"]["results"][0]["status"] == "decided"
    assert source_was_free
    db.session.expire_all()
    assert db.session.get(Household, source.id).registry_status == RegistryStatus.MERGED
