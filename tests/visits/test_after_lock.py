"""A visit pushed for a kelurahan whose musyawarah round is locked is stored, never refused, and flagged
`after_lock` (the review queue sees it first); a kelurahan without a locked round gets no such flag."""

from __future__ import annotations

from datetime import UTC, datetime

from server.extensions import db
from server.musyawarah.models import MusyawarahRound
from server.visits.flags import FLAGS
from tests.factories import make_household, make_user
from tests.sync.conftest import assign, campaign
from tests.visits.test_push import _push, visit_item

LOCKED = "64.72.01.1005"  # Bantuas: no other test of this package visits it
OPEN = "64.72.01.1004"


def test_a_visit_after_the_lock_is_stored_and_flagged(sync_ctx, sync_client):
    enumerator = make_user("enumerator")
    late, fine = make_household(region_code=LOCKED), make_household(region_code=OPEN)
    round_ = campaign()
    assign(round_, [late, fine], enumerator)
    db.session.add(
        MusyawarahRound(campaign_id=round_.id, region_code=LOCKED, state="locked", locked_at=datetime.now(UTC))
    )
    db.session.add(MusyawarahRound(campaign_id=round_.id, region_code=OPEN, state="held"))
    db.session.commit()
    results = _push(
        sync_client,
        enumerator,
        [visit_item(late, outcome="deceased"), visit_item(fine, outcome="deceased")],
        sent_at=datetime.now(UTC).isoformat(),
    )
    assert [r["status"] for r in results] == ["created", "created"]
    assert "after_lock" in results[0]["visit"]["flags"]
    assert "after_lock" not in results[1]["visit"]["flags"]
    assert FLAGS["after_lock"].weight > 0
