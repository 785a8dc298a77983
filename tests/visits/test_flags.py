"""Quality flags at push: each flag of the catalogue raised by its own fact and not without it, campaign
overrides of thresholds and weights, the priority score, photo flags when the bytes arrive (unknown is never
a mismatch), and the push's statement count not growing with the batch (set-based, no per-item queries)."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa
from PIL import Image

from server.aid.models import AidProgram, AidReceipt
from server.extensions import db
from server.visits.flags import FLAGS, rules_for
from server.visits.models import Visit
from tests.factories import make_household, make_member, make_nik, make_user
from tests.photos.test_uploads import _create, _patch, jpeg, sha, store  # noqa: F401 (fixture)
from tests.sync.conftest import assign, campaign
from tests.visits.test_push import _push, visit_item

HOME = (117.15, -0.5)
# About 300 m east of HOME at this latitude.
EAST_300M = (117.15 + 300 / 111_315, -0.5)


def _world(households=1, settings=None, **household_values):
    enumerator = make_user("enumerator")
    homes = [
        make_household(location=f"SRID=4326;POINT({HOME[0]} {HOME[1]})", location_accuracy_m=10, **household_values)
        for _ in range(households)
    ]
    round_ = campaign()
    if settings is not None:
        round_.settings = settings
    assign(round_, homes, enumerator)
    db.session.commit()
    return enumerator, homes


def _gps(point, accuracy=8.0):
    return {"lon": point[0], "lat": point[1], "accuracy_m": accuracy, "fixed_at": "2026-11-28T09:11:50+08:00"}


def _visit(visit_id: str) -> Visit:
    db.session.expire_all()
    return db.session.get(Visit, uuid.UUID(visit_id))


def _weights(*codes: str) -> int:
    return sum(FLAGS[code].weight for code in codes)


def test_a_clean_visit_has_no_flag_and_priority_zero(sync_ctx, sync_client):
    enumerator, (home,) = _world()
    item = visit_item(home, gps=_gps(HOME))
    result = _push(sync_client, enumerator, [item], sent_at=datetime.now(UTC).isoformat())[0]
    assert result["status"] == "created" and result["visit"]["flags"] == []
    assert _visit(item["id"]).priority == 0


def test_distance_accuracy_fix_and_clock_flags_with_the_priority_score(sync_ctx, sync_client):
    enumerator, homes = _world(4)
    far = visit_item(homes[0], gps=_gps(EAST_300M))
    near = visit_item(homes[1], gps=_gps((HOME[0] + 100 / 111_315, HOME[1])))
    vague = visit_item(homes[2], gps=_gps(HOME, accuracy=80))
    blind = visit_item(homes[3], gps={"no_fix": True, "reason": "hujan deras"})
    skewed = (datetime.now(UTC) - timedelta(minutes=20)).isoformat()
    results = _push(sync_client, enumerator, [far, near, vague, blind], sent_at=skewed)
    assert [r["visit"]["flags"] for r in results] == [
        ["far_from_registered", "clock_skew"],
        ["clock_skew"],
        ["poor_accuracy", "clock_skew"],
        ["no_fix", "clock_skew"],
    ]
    # Quality flags are for the reviewer; only conflicts change the push's answer.
    assert {r["status"] for r in results} == {"created"}
    assert _visit(far["id"]).priority == _weights("far_from_registered", "clock_skew")
    assert _visit(blind["id"]).priority == _weights("no_fix", "clock_skew")


def test_a_household_without_a_registered_point_is_unknown_not_far(sync_ctx, sync_client):
    enumerator = make_user("enumerator")
    home = make_household()
    assign(campaign(), [home], enumerator)
    db.session.commit()
    result = _push(sync_client, enumerator, [visit_item(home, gps=_gps(EAST_300M))])[0]
    assert result["visit"]["flags"] == []


def test_campaign_overrides_threshold_and_weight(sync_ctx, sync_client):
    settings = {"flags": {"far_from_registered": {"threshold": 500}, "poor_accuracy": {"weight": 3}}}
    enumerator, homes = _world(2, settings=settings)
    results = _push(
        sync_client, enumerator, [visit_item(homes[0], gps=_gps(EAST_300M)), visit_item(homes[1], gps=_gps(HOME, 80))]
    )
    assert [r["visit"]["flags"] for r in results] == [[], ["poor_accuracy"]]
    assert _visit(results[1]["id"]).priority == 3


def test_outcome_members_aid_and_nik_flags(sync_ctx, sync_client):
    enumerator, homes = _world(5)
    members = [make_member(home) for home in homes]
    other = make_household()
    elsewhere = make_member(other, nik=make_nik())
    pkh = db.session.execute(sa.select(AidProgram).where(AidProgram.code == "PKH")).scalar_one()
    for home in homes[2:4]:
        db.session.add(
            AidReceipt(
                program_id=pkh.id,
                household_id=home.id,
                period_start=date(2026, 1, 1),
                period_end=date(2026, 12, 31),
                amount=3_000_000,
                source="agency_list",
                status="disbursed",
            )
        )
    db.session.commit()
    moved = visit_item(homes[0], gps=_gps(HOME), outcome="moved_within")
    died = visit_item(homes[1], gps=_gps(HOME), members=[{"member_id": str(members[1].id), "presence": "deceased"}])
    says_none = visit_item(homes[2], gps=_gps(HOME), aid_reported=[])
    says_pkh = visit_item(homes[3], gps=_gps(HOME), aid_reported=["PKH"])
    newcomer = visit_item(
        homes[4],
        gps=_gps(HOME),
        members=[
            {"member_id": str(members[4].id), "presence": "present"},
            {"presence": "new", "name": "Siti Baru", "nik": elsewhere.nik, "sex": 2, "relationship_code": 3},
        ],
    )
    results = _push(sync_client, enumerator, [moved, died, says_none, says_pkh, newcomer])
    assert [r["visit"]["flags"] for r in results] == [
        ["status_change"],
        ["member_changes"],
        ["aid_mismatch"],
        [],
        ["member_changes", "nik_elsewhere"],
    ]


@pytest.mark.usefixtures("store")
def test_photos_missing_cleared_when_the_bytes_arrive_and_unknown_capture_is_no_mismatch(sync_ctx, sync_client):
    enumerator, (home,) = _world()
    data = jpeg(40, 30, seed=3)
    photo = {"id": str(uuid.uuid4()), "kind": "house_front", "sha256": sha(data)}
    item = visit_item(home, gps=_gps(HOME), photos=[photo])
    assert _push(sync_client, enumerator, [item])[0]["visit"]["flags"] == ["photos_missing"]
    assert _visit(item["id"]).priority == _weights("photos_missing")
    location = _create(sync_client, enumerator, photo, len(data)).headers["Location"]
    assert _patch(sync_client, enumerator, location, 0, data).status_code == 204
    visit = _visit(item["id"])
    assert visit.flags == [] and visit.priority == 0


@pytest.mark.parametrize(
    ("declared", "exif_time", "mismatch"),
    [
        ({"captured_at": "2026-11-28T09:05:00+08:00"}, None, False),
        ({"captured_at": "2026-11-27T21:00:00+08:00"}, None, True),
        # 23:30 WITA on the visit's day is 15:30 UTC: still the same day where the visit was made.
        ({"captured_at": "2026-11-28T15:30:00+00:00"}, None, False),
        ({"capture_location": {"lon": EAST_300M[0], "lat": EAST_300M[1], "accuracy_m": 5}}, None, True),
        ({"capture_location": {"lon": HOME[0], "lat": HOME[1], "accuracy_m": 5}}, None, False),
        # EXIF time without a zone is WITA: 07:00 on the 28th is the visit's day, not the 27th in UTC.
        ({}, "2026:11:28 07:00:00", False),
        ({}, "2026:11:29 07:00:00", True),
        # Nothing known about when or where: unknown, not a mismatch.
        ({}, None, False),
    ],
)
@pytest.mark.usefixtures("store")
def test_photo_mismatch_on_another_day_or_far_from_the_fix(sync_ctx, sync_client, declared, exif_time, mismatch):
    enumerator, (home,) = _world()
    exif = None
    if exif_time:
        exif = Image.Exif()
        exif.get_ifd(0x8769)[36867] = exif_time
    data = jpeg(40, 30, seed=5, exif=exif)
    photo = {"id": str(uuid.uuid4()), "kind": "house_front", "sha256": sha(data), **declared}
    item = visit_item(home, gps=_gps(HOME), photos=[photo])
    _push(sync_client, enumerator, [item])
    location = _create(sync_client, enumerator, photo, len(data)).headers["Location"]
    assert _patch(sync_client, enumerator, location, 0, data).status_code == 204
    visit = _visit(item["id"])
    assert visit.flags == (["photo_mismatch"] if mismatch else [])
    assert visit.priority == (_weights("photo_mismatch") if mismatch else 0)


@pytest.mark.usefixtures("store")
def test_a_photo_uploaded_before_its_visit_is_judged_at_push(sync_ctx, sync_client):
    enumerator, (home,) = _world()
    data = jpeg(40, 30, seed=9)
    photo = {
        "id": str(uuid.uuid4()),
        "kind": "house_front",
        "sha256": sha(data),
        "captured_at": "2026-11-20T10:00:00+08:00",
    }
    location = _create(sync_client, enumerator, photo, len(data)).headers["Location"]
    assert _patch(sync_client, enumerator, location, 0, data).status_code == 204
    item = visit_item(home, gps=_gps(HOME), photos=[photo])
    result = _push(sync_client, enumerator, [item])[0]
    assert result["visit"]["flags"] == ["photo_mismatch"] and result["visit"]["missing_photos"] == []
    assert _visit(item["id"]).flags == ["photo_mismatch"]


def test_the_push_runs_as_many_statements_for_fifty_visits_as_for_five(sync_ctx, sync_client):
    """Set-based: flags' facts come per batch, never per item."""
    counts = []
    for size in (5, 50):
        enumerator, homes = _world(size)
        other = make_household()
        taken = make_member(other)
        db.session.commit()
        items = [
            visit_item(
                home,
                gps=_gps(EAST_300M if n % 2 else HOME),
                outcome="found" if n % 3 else "not_found",
                aid_reported=["PKH"],
                members=[{"presence": "new", "name": "Baru", "nik": taken.nik if n == 1 else make_nik()}],
                photos=[{"id": str(uuid.uuid4()), "kind": "house_front", "sha256": "ab" * 32}],
            )
            for n, home in enumerate(homes)
        ]
        statements = []

        def count(*args, statements=statements, **kwargs):
            statements.append(1)

        sa.event.listen(db.engine, "before_cursor_execute", count)
        try:
            results = _push(sync_client, enumerator, items)
        finally:
            sa.event.remove(db.engine, "before_cursor_execute", count)
        assert all("nik_elsewhere" in r["visit"]["flags"] for r in results[1:2])
        assert all("far_from_registered" in r["visit"]["flags"] for r in results[1::2])
        counts.append(len(statements))
    assert counts[0] == counts[1], counts


def test_rules_fall_back_to_the_catalogue():
    rules = rules_for({"flags": {"clock_skew": {"weight": 0}}})
    assert rules.weights["clock_skew"] == 0 and rules.weights["no_fix"] == FLAGS["no_fix"].weight
    assert rules.thresholds["far_from_registered"] == 150 and rules.policy_mode == "hold_all"
    assert rules.priority(["no_fix", "clock_skew"]) == FLAGS["no_fix"].weight
