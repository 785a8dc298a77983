"""The sync push: replays change nothing, a cut-off batch retried loses and doubles nothing, bad items are
reported while good ones are kept, stale or second visits are kept and flagged, corrections supersede."""

from __future__ import annotations

import hashlib
import threading
import uuid
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from server.audit.models import AuditEntry
from server.extensions import db
from server.households.models import Household
from server.visits.models import Visit
from tests.factories import make_household, make_member, make_nik, make_user
from tests.sync.conftest import assign, bearer, campaign


def visit_item(household, **overrides):
    item = {
        "id": str(uuid.uuid4()),
        "household_id": str(household.id),
        "base_version": household.version,
        "device_time": "2026-11-28T09:12:00+08:00",
        "gps": {"lon": 117.15, "lat": -0.5, "accuracy_m": 12.5, "fixed_at": "2026-11-28T09:11:50+08:00"},
        "outcome": "found",
        "consent": True,
        "members": [],
        "house_condition": {"floor": "cement", "lighting": "pln_900", "floor_area": 36},
        "aid_reported": [],
        "notes": "Rumah panggung",
        "photos": [],
    }
    item.update(overrides)
    return item


def _world(households=3):
    enumerator = make_user("enumerator")
    homes = [make_household() for _ in range(households)]
    assign(campaign(), homes, enumerator)
    db.session.commit()
    return enumerator, homes


def _push(client, user, items, **extra):
    response = client.post("/api/v1/sync/push", json={"items": items, **extra}, headers=bearer(user))
    assert response.status_code == 200, response.get_json()
    return response.get_json()["data"]["results"]


def _stored(ids) -> list[Visit]:
    db.session.expire_all()
    return db.session.execute(sa.select(Visit).where(Visit.id.in_([uuid.UUID(i) for i in ids]))).scalars().all()


def test_replaying_a_push_any_number_of_times_leaves_the_same_state(sync_ctx, sync_client):
    enumerator, homes = _world()
    items = [visit_item(home) for home in homes]
    first = _push(sync_client, enumerator, items)
    assert [r["status"] for r in first] == ["created"] * 3
    for _ in range(3):
        again = _push(sync_client, enumerator, items)
        assert [r["status"] for r in again] == ["duplicate"] * 3
        assert [r["visit"]["id"] for r in again] == [r["visit"]["id"] for r in first]
    stored = _stored([item["id"] for item in items])
    assert len(stored) == 3 and {v.content_hash for v in stored} and all(v.review_status == "pending" for v in stored)
    audited = db.session.execute(
        sa.select(AuditEntry.object_id).where(AuditEntry.action == "visit.create", AuditEntry.actor_id == enumerator.id)
    ).scalars()
    assert sorted(audited) == sorted(item["id"] for item in items)  # once each, replays add nothing
    assert stored[0].answers["house_condition"]["floor_area"] == 36


def test_the_answers_are_stored_as_sent(sync_ctx, sync_client):
    """The form's answers reach `visits.answers` as the phone sent them, dates, ids, fractions and letters beyond
    ASCII included, and a replay is still recognised (the content hash is of the loaded item, not of the row)."""
    enumerator, homes = _world(1)
    baby = {"member_id": None, "presence": "new", "name": "Bayi Ñoñó Ülfah", "sex": 2, "birth_date": "2026-02-03"}
    present = {"member_id": str(uuid.uuid4()), "presence": "present"}
    item = visit_item(
        homes[0],
        members=[baby, present],
        house_condition={"floor": "cement", "lighting": "pln_900", "floor_area": 36.25},
        aid_reported=["PKH"],
        notes="Catatan: rumah 2½ lantai",
    )
    assert _push(sync_client, enumerator, [item])[0]["status"] in {"created", "accepted_with_conflict"}
    [stored] = _stored([item["id"]])
    member = stored.answers["members"][0]
    assert (member["name"], member["birth_date"], member["presence"]) == (baby["name"], "2026-02-03", "new")
    assert stored.answers["members"][1]["member_id"] == present["member_id"]
    assert stored.answers["house_condition"]["floor_area"] == 36.25 and stored.answers["aid_reported"] == ["PKH"]
    assert stored.notes == "Catatan: rumah 2½ lantai" and stored.device_time == datetime(
        2026, 11, 28, 1, 12, tzinfo=UTC
    )
    assert _push(sync_client, enumerator, [item])[0]["status"] == "duplicate"


def test_a_batch_cut_off_midway_and_retried_whole_loses_and_doubles_nothing(sync_ctx, sync_client):
    enumerator, homes = _world(6)
    items = [visit_item(home) for home in homes]
    _push(sync_client, enumerator, items[:3])  # the connection dropped after the server committed these
    results = _push(sync_client, enumerator, items)
    assert [r["status"] for r in results] == ["duplicate"] * 3 + ["created"] * 3
    assert len(_stored([item["id"] for item in items])) == 6
    count = db.session.execute(
        sa.select(sa.func.count()).select_from(Visit).where(Visit.enumerator_id == enumerator.id)
    ).scalar_one()
    assert count == 6


def test_bad_items_are_reported_one_by_one_and_good_ones_kept(sync_ctx, sync_client):
    enumerator, homes = _world(4)
    stranger = make_household()
    db.session.commit()
    bad_nik = make_nik(1)[:6] + "320180" + "0001"  # month 80 cannot be a birth date
    items = [
        visit_item(homes[0]),
        visit_item(homes[1], outcome="diculik", gps={"no_fix": True}),
        visit_item(
            homes[2], members=[{"presence": "new", "name": "Bayi", "sex": 2, "relationship_code": 3, "nik": bad_nik}]
        ),
        visit_item(homes[3], aid_reported=["PKH", "BANSOS-FIKTIF"]),
        visit_item(stranger),
        "bukan objek",
        None,
    ]
    results = _push(sync_client, enumerator, items)
    assert [r["status"] for r in results] == ["created"] + ["invalid"] * 6
    assert set(results[1]["errors"]) == {"outcome", "gps"} and "reason" in results[1]["errors"]["gps"]
    assert "nik" in results[2]["errors"]["members"]["0"]
    assert "aid_reported" in results[3]["errors"]
    assert "household_id" in results[4]["errors"]
    assert results[5]["id"] is None and results[6]["id"] is None
    assert len(_stored([item["id"] for item in items[:5]])) == 1


def test_an_item_the_database_refuses_is_invalid_alone_and_the_rest_of_the_batch_is_stored(sync_ctx, sync_client):
    """The batch is written in one statement; when the database refuses it, item by item, so only the refused
    item is lost (reported `invalid`), and nothing of it is written: no photo row, no audit row."""
    enumerator, homes = _world(3)
    photo = {"id": str(uuid.uuid4()), "kind": "house_front", "sha256": "ab" * 32}
    items = [visit_item(homes[0]), visit_item(homes[1], notes="ditolak-uji", photos=[photo]), visit_item(homes[2])]
    # A rule only the database knows (validation passes the item), added for this test and dropped after it.
    db.session.execute(
        sa.text("ALTER TABLE visits ADD CONSTRAINT test_refused CHECK (notes IS DISTINCT FROM 'ditolak-uji') NOT VALID")
    )
    db.session.commit()
    try:
        results = _push(sync_client, enumerator, items)
    finally:
        db.session.execute(sa.text("ALTER TABLE visits DROP CONSTRAINT test_refused"))
        db.session.commit()
    assert [r["status"] for r in results] == ["created", "invalid", "created"]
    assert results[1]["id"] == items[1]["id"] and "_schema" in results[1]["errors"]
    assert {str(v.id) for v in _stored([item["id"] for item in items])} == {items[0]["id"], items[2]["id"]}
    audited = db.session.execute(
        sa.select(AuditEntry.object_id).where(AuditEntry.action == "visit.create", AuditEntry.actor_id == enumerator.id)
    ).scalars()
    assert sorted(audited) == sorted([items[0]["id"], items[2]["id"]])
    assert db.session.execute(sa.text("SELECT count(*) FROM photos WHERE id = :id"), {"id": photo["id"]}).scalar() == 0
    households = {
        h.id: h
        for h in db.session.execute(sa.select(Household).where(Household.id.in_([h.id for h in homes]))).scalars()
    }
    assert [households[h.id].verification_status for h in homes] == ["visited", "unverified", "visited"]


def test_same_id_with_other_content_is_a_conflict_and_the_visit_stays_frozen(sync_ctx, sync_client):
    enumerator, homes = _world(1)
    item = visit_item(homes[0])
    _push(sync_client, enumerator, [item])
    changed = {**item, "outcome": "moved_within", "notes": "ubah"}
    result = _push(sync_client, enumerator, [changed])[0]
    assert result["status"] == "conflict" and "id" in result["errors"]
    assert _stored([item["id"]])[0].outcome == "found"


def test_stale_base_version_and_second_visit_are_stored_and_flagged(sync_ctx, sync_client):
    enumerator, homes = _world(2)
    stale = visit_item(homes[0], base_version=1)
    household = db.session.get(Household, homes[0].id)
    household.address = "Jl. Diubah Kantor"
    household.version = 2
    db.session.commit()
    result = _push(sync_client, enumerator, [stale])[0]
    assert result["status"] == "accepted_with_conflict" and result["visit"]["flags"] == ["stale_base_version"]

    # Two phones of the same enumerator both visited homes[1]: both kept, the later flagged.
    first, second = visit_item(homes[1]), visit_item(homes[1], device_time="2026-11-28T10:00:00+08:00")
    assert _push(sync_client, enumerator, [first])[0]["status"] == "created"
    later = _push(sync_client, enumerator, [second])[0]
    assert later["status"] == "accepted_with_conflict" and later["visit"]["flags"] == ["second_visit"]
    assert len(_stored([first["id"], second["id"]])) == 2


def test_a_correction_supersedes_the_earlier_visit_and_only_ones_own(sync_ctx, sync_client):
    enumerator, homes = _world(2)
    original = visit_item(homes[0])
    _push(sync_client, enumerator, [original])
    correction = visit_item(homes[0], outcome="moved_within", supersedes_id=original["id"])
    result = _push(sync_client, enumerator, [correction])[0]
    assert result["status"] == "created" and result["visit"]["flags"] == ["status_change"]
    assert str(_stored([correction["id"]])[0].supersedes_id) == original["id"]
    wrong = visit_item(homes[1], supersedes_id=original["id"])
    assert _push(sync_client, enumerator, [wrong])[0]["errors"].keys() == {"supersedes_id"}


def test_no_fix_clock_skew_photos_and_verification_status(sync_ctx, sync_client):
    enumerator, homes = _world(1)
    make_member(homes[0])
    db.session.commit()
    photo = {"id": str(uuid.uuid4()), "kind": "house_front", "sha256": hashlib.sha256(b"foto").hexdigest()}
    item = visit_item(homes[0], gps={"no_fix": True, "reason": "di dalam gang sempit"}, photos=[photo])
    sent_at = (datetime.now(UTC) - timedelta(minutes=7)).isoformat()
    result = _push(sync_client, enumerator, [item], sent_at=sent_at)[0]
    assert result["visit"]["missing_photos"] == [photo["id"]]
    visit = _stored([item["id"]])[0]
    assert visit.location is None and visit.no_fix_reason == "di dalam gang sempit"
    assert 400 < visit.clock_skew_s < 440
    assert visit.device_time == datetime.fromisoformat("2026-11-28T09:12:00+08:00")
    assert db.session.get(Household, homes[0].id).verification_status == "visited"
    pulled = sync_client.get("/api/v1/sync/pull", headers=bearer(enumerator)).get_json()["data"]["households"]
    assert pulled[0]["last_visit"]["id"] == item["id"] and pulled[0]["verification_status"] == "visited"


def test_a_photo_declaration_carries_the_apps_capture_time_and_fix(sync_ctx, sync_client):
    """EXIF is often missing on real phones: the app's own capture time and GPS fix come with the
    declaration and are stored beside whatever EXIF the bytes bring."""
    from server.photos.models import Photo

    enumerator, homes = _world(1)
    with_fix = {
        "id": str(uuid.uuid4()),
        "kind": "other",
        "sha256": hashlib.sha256(b"a").hexdigest(),
        "captured_at": "2026-11-28T09:10:30+08:00",
        "capture_location": {"lon": 117.1537, "lat": -0.5021, "accuracy_m": 9.5},
    }
    bare = {"id": str(uuid.uuid4()), "kind": "kitchen", "sha256": hashlib.sha256(b"b").hexdigest()}
    item = visit_item(homes[0], photos=[with_fix, bare])
    assert _push(sync_client, enumerator, [item])[0]["status"] == "created"
    db.session.expire_all()
    stored = db.session.get(Photo, uuid.UUID(with_fix["id"]))
    assert stored.captured_at == datetime.fromisoformat("2026-11-28T09:10:30+08:00")
    assert stored.capture_accuracy_m == 9.5
    where = db.session.execute(sa.select(sa.func.ST_AsText(Photo.capture_location)).where(Photo.id == stored.id))
    assert where.scalar() == "POINT(117.1537 -0.5021)"
    plain = db.session.get(Photo, uuid.UUID(bare["id"]))
    assert plain.captured_at is None and plain.capture_location is None
    wrong = visit_item(homes[0], photos=[{**with_fix, "id": str(uuid.uuid4()), "capture_location": {"lon": 1}}])
    assert _push(sync_client, enumerator, [wrong])[0]["status"] == "invalid"


def test_a_household_found_in_the_field_is_accepted_as_a_proposal(sync_ctx, sync_client):
    enumerator = make_user("enumerator", ["64.72.01.1001"])
    db.session.commit()
    new_id = str(uuid.uuid4())
    proposal = {
        "id": new_id,
        "head_name": "Keluarga Baru",
        "address": "Gg. Baru 1",
        "rt": "003",
        "rw": "001",
        "region_code": "64.72.01.1001",
    }
    item = visit_item(make_household(), household_id=new_id, new_household=proposal, base_version=None)
    db.session.commit()
    result = _push(sync_client, enumerator, [item])[0]
    assert result["status"] == "created", result
    household = db.session.get(Household, uuid.UUID(new_id))
    assert household.registry_status == "proposed" and household.source == "field"
    outside = visit_item(
        make_household(),
        household_id=(other := str(uuid.uuid4())),
        new_household={**proposal, "id": other, "region_code": "64.72.02.1009"},
        base_version=None,
    )
    db.session.commit()
    assert _push(sync_client, enumerator, [outside])[0]["status"] == "invalid"


def test_batch_limits_are_validated(sync_ctx, sync_client):
    enumerator, homes = _world(1)
    headers = bearer(enumerator)
    too_many = sync_client.post("/api/v1/sync/push", json={"items": [visit_item(homes[0])] * 501}, headers=headers)
    assert too_many.status_code == 422 and "items" in too_many.get_json()["error"]["details"]["fields"]
    assert sync_client.post("/api/v1/sync/push", json={"items": []}, headers=headers).status_code == 422


def test_two_identical_requests_racing_store_the_visit_once(sync_app, sync_ctx, sync_client):
    enumerator, homes = _world(5)
    items = [visit_item(home) for home in homes]
    token = bearer(enumerator)
    barrier, statuses = threading.Barrier(2), []

    def send():
        client = sync_app.test_client()
        barrier.wait()
        response = client.post("/api/v1/sync/push", json={"items": items}, headers=token)
        statuses.append([r["status"] for r in response.get_json()["data"]["results"]])

    threads = [threading.Thread(target=send) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(statuses) == 2
    assert sorted(status for batch in statuses for status in batch) == ["created"] * 5 + ["duplicate"] * 5
    assert len(_stored([item["id"] for item in items])) == 5
