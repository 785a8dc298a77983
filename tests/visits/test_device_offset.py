"""A visit's device_time comes back with the phone's own UTC offset (issue 12, finding 10): staff see the
enumerator's local clock reading, and the stored moment is the same."""

from __future__ import annotations

from datetime import datetime

from server.extensions import db
from tests.factories import make_user
from tests.sync.conftest import bearer
from tests.visits.test_push import _push, _stored, _world, visit_item


def test_device_time_keeps_the_phones_utc_offset(sync_ctx, sync_client):
    enumerator, homes = _world(2)
    wita = visit_item(homes[0], device_time="2026-10-05T09:07:00+08:00")
    odd = visit_item(homes[1], device_time="2026-10-05T09:07:00-03:30")
    assert [r["status"] for r in _push(sync_client, enumerator, [wita, odd])] == ["created", "created"]
    stored = {str(visit.id): visit for visit in _stored([wita["id"], odd["id"]])}
    assert stored[wita["id"]].device_time == datetime.fromisoformat("2026-10-05T01:07:00+00:00")
    admin = make_user("admin")
    db.session.commit()
    for item in (wita, odd):
        visit = sync_client.get(f"/api/v1/visits/{item['id']}", headers=bearer(admin)).get_json()["data"]
        assert visit["device_time"] == item["device_time"]
    detail = sync_client.get(f"/api/v1/households/{homes[0].id}", headers=bearer(admin)).get_json()["data"]
    assert detail["visits"][0]["device_time"] == "2026-10-05T09:07:00+08:00"
    listed = sync_client.get(f"/api/v1/visits?household_id={homes[1].id}", headers=bearer(admin)).get_json()["data"]
    assert listed[0]["device_time"] == "2026-10-05T09:07:00-03:30"
