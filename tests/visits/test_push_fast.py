"""The push's fast validator (server/visits/push_fast.py) against the contract, VisitPushSchema, on generated
items: whatever the fast path accepts, the schema accepts with the identical loaded item (same canonical JSON,
hence the same content hash that replays are recognised by); what it does not vouch for goes to the schema,
so the push's answer (loaded item or field errors) is always exactly the schema's; and for items written the
way the phones write them (JSON types as the PWA sends them), both accept and refuse exactly the same items.
Through the route too: a batch of generated items gets, for each item the schema refuses, `invalid` with the
schema's own field paths and messages in the documented envelope. And the content hash's fast canonical JSON
is json.dumps' text byte for byte (the hashes stored before it must still match).
"""

from __future__ import annotations

import json
import uuid
from datetime import date

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from marshmallow import ValidationError

from server.auth.models import User
from server.boundary import bad_fields_of_json
from server.extensions import db
from server.visits import push_fast, service
from server.visits.form import HOUSE_CONDITION, OUTCOMES, PHOTO_KINDS, VISIT_PRESENCE
from server.visits.push_schemas import VisitPushSchema
from server.visits.service import canonical_json, content_hash
from tests.factories import make_kk, make_nik, make_user
from tests.sync.conftest import bearer

SCHEMA = VisitPushSchema()
SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


class Lax:
    """A value the schema tolerates in a form the phones never send (`"3"` for 3, `"yes"` for true)."""

    def __init__(self, value):
        self.value = value


def lax(strategy):
    return strategy.map(Lax)


# Each field: (valid values as the phones send them, other values: wrong, or lax forms wrapped in Lax).
def _uuid_forms():
    return st.uuids().flatmap(lambda u: st.sampled_from([str(u), str(u).upper(), u.hex]))


def _lax_uuids():
    return lax(st.uuids().flatmap(lambda u: st.sampled_from([f"{{{u}}}", f"urn:uuid:{u}"])))


UUIDS = (_uuid_forms(), _lax_uuids() | st.sampled_from(["", "bukan-uuid", "1234", 5, 1.5, True, [], {}, None]))
TIMES = (
    st.sampled_from(["2026-11-28T09:12:00+08:00", "2026-11-28T01:12:00Z", "2026-11-28T09:12:00.123456+08:00"])
    | st.datetimes(timezones=st.timezones()).map(lambda value: value.isoformat()),
    st.sampled_from(["2026-11-28 09:12:00+0800", "2026-11-28T09:12:00", "2026-11-28", "kemarin", "", 5, True])
    | st.datetimes().map(lambda value: value.isoformat())
    | st.text(max_size=30),
)
BOOLS = (
    st.booleans(),
    lax(st.sampled_from([1, 0, "true", "yes", "1", "f", "OFF"])) | st.sampled_from(["mungkin", 2, 0.5, [], None]),
)


def numbers(low, high):
    inside = st.floats(min_value=low, max_value=high) | st.integers(min_value=int(low), max_value=int(high))
    outside = st.floats(allow_nan=True, allow_infinity=True) | st.integers(min_value=-(10**20), max_value=10**20)
    edges = st.sampled_from([low - 1e-9, high + 1e-9, float("nan"), float("inf"), 10**400, "abc", True, [], None])
    as_text = lax(st.floats(min_value=low, max_value=high).map(str))
    return inside | st.sampled_from([low, high, -0.0 if low <= 0 else low]), outside | edges | as_text


def integers(low, high):
    return (
        st.integers(min_value=low, max_value=high),
        st.integers(min_value=low - 3, max_value=low - 1)
        | st.integers(min_value=high + 1, max_value=high + 3)
        | lax(st.integers(min_value=low, max_value=high).map(str))
        | lax(st.integers(min_value=low, max_value=high).map(float))
        | lax(st.just(low + 0.5))
        | st.sampled_from(["satu", True, False, [], 1.5e300, None]),
    )


def texts(max_size, min_size=0):
    valid = st.text(min_size=min_size, max_size=min(max_size, 40)) | st.sampled_from(
        ["x" * max_size, "é" * max_size, "😀" * max_size]
    )
    other = st.sampled_from(["x" * (max_size + 1), "é" * (max_size + 1), 5, 1.5, True, [], {}, None])
    return (valid, other | st.just("")) if min_size else (valid, other)


def codes(valid):
    return st.sampled_from(sorted(valid)), st.sampled_from(["", "diculik", "FOUND", 5, None])


def nullable(pair):
    return pair[0] | st.none(), pair[1].filter(lambda value: value is not None)


NIKS = (
    st.sampled_from([make_nik(1), make_nik(2, female=True)]) | st.none(),
    st.sampled_from(["647201" + "320180" + "0001", "1234", "", "x" * 16])
    | st.from_regex(r"\A[0-9]{16}\Z")
    | lax(st.just(int(make_nik(3)))),
)
KKS = (
    st.sampled_from([make_kk(1), make_kk(2)]) | st.none(),
    st.sampled_from(["1234", "", 5]) | st.from_regex(r"\A[0-9]{16}\Z"),
)
DATES = (
    st.dates(min_value=date(1900, 1, 1), max_value=date(2025, 12, 31)).map(lambda value: value.isoformat()) | st.none(),
    st.sampled_from(["1899-12-31", "2999-01-01", "17-05-1980", "19800517", "", 5]) | st.text(max_size=12),
)
SHAS = (st.from_regex(r"\A[0-9a-fA-F]{64}\Z"), st.sampled_from(["ab" * 32 + "\n", "abc", "g" * 64, 5, None]))
DIGITS = (st.sampled_from(["1", "01", "123"]) | st.none(), st.sampled_from(["1234", "", "1a", "12\n", 7]))
REGIONS = (st.sampled_from(["64.72.01.1001", "64.72.05.1003"]), st.sampled_from(["64.72.01", "x" * 14, "", 13, None]))
HOUSE = (
    st.dictionaries(
        st.sampled_from(list(HOUSE_CONDITION)),
        st.sampled_from(sorted({c["code"] for cs in HOUSE_CONDITION.values() for c in cs})),
        max_size=4,
    ).filter(lambda answers: all(v in {c["code"] for c in HOUSE_CONDITION[k]} for k, v in answers.items()))
    | st.fixed_dictionaries({"floor_area": numbers(1.0, 2000.0)[0]}),
    st.dictionaries(
        st.sampled_from([*HOUSE_CONDITION, "floor_area", "lantai_emas"]),
        st.sampled_from(["", None, True, "emas", 5000, float("nan")]),
        min_size=1,
        max_size=2,
    )
    | st.sampled_from([None, "semen", []]),
)


TARGETS: list[str] = []
# One field (wherever it occurs: every photo's `sha256`), or one object's unknown key, is given another value
# in each item, or none is: so every field's wrong and lax values meet otherwise valid items.
TARGET = st.shared(st.deferred(lambda: st.sampled_from(["none"] * (len(TARGETS) // 3) + TARGETS)), key="target")


def objects(kind: str, fields: dict, required=()):
    """A dict of `fields` (optional ones sometimes left out); if the item's target is one of its fields, that
    one gets another value (or, if required, may be left out); if it is `kind:extra`, an unknown key is added."""
    TARGETS.extend([*(f"{kind}.{name}" for name in fields), f"{kind}:extra"])
    return _objects(kind, fields, tuple(required))


@st.composite
def _objects(draw, kind, fields, required):
    target = draw(TARGET)
    out = {}
    for name, (valid, other) in fields.items():
        mutate = target == f"{kind}.{name}"
        if mutate and name in required and draw(st.booleans()):
            continue
        if not mutate and name not in required and draw(st.integers(0, 2)) == 1:
            continue
        out[name] = draw(other if mutate else valid)
    if target == f"{kind}:extra":
        out[draw(st.sampled_from(["padding", "Id", "id "]))] = draw(st.sampled_from(["x" * 10, 1, None]))
    return out


def nested(strategy, required=False):
    valid = strategy if required else strategy | st.none()
    return valid, st.sampled_from(["di sini", 5, []] + ([None] if required else []))


GPS = nested(
    objects(
        "gps",
        {
            "lon": numbers(94.0, 142.0),
            "lat": numbers(-11.5, 6.5),
            "accuracy_m": numbers(0, 100_000),
            "fixed_at": nullable(TIMES),
        },
        required=("lon", "lat", "accuracy_m"),
    )
    | objects(
        "no_fix",
        {"no_fix": (st.just(True), BOOLS[1] | st.just(False)), "reason": texts(200, 1)},
        required=("no_fix", "reason"),
    ),
    required=True,
)
MEMBER = objects(
    "member",
    {
        "member_id": UUIDS,
        "presence": (st.just("present"), codes({p["code"] for p in VISIT_PRESENCE})[1]),
        "sex": integers(1, 2),
    },
    required=("member_id", "presence"),
) | objects(
    "new_member",
    {
        "member_id": nullable(UUIDS),
        "presence": (st.just("new"), codes({p["code"] for p in VISIT_PRESENCE})[0]),
        "name": texts(200, 1),
        "nik": NIKS,
        "sex": integers(1, 2),
        "birth_date": DATES,
        "relationship_code": integers(1, 8),
    },
    required=("presence", "name"),
)
PHOTO = objects(
    "photo",
    {
        "id": UUIDS,
        "kind": codes({k["code"] for k in PHOTO_KINDS}),
        "sha256": SHAS,
        "captured_at": nullable(TIMES),
        "capture_location": nested(
            objects(
                "capture_location",
                {"lon": numbers(94.0, 142.0), "lat": numbers(-11.5, 6.5), "accuracy_m": nullable(numbers(0, 100_000))},
                required=("lon", "lat"),
            )
        ),
    },
    required=("id", "kind", "sha256"),
)
MOVED = nested(
    objects(
        "moved_to",
        {
            "address": nullable(texts(500)),
            "rt": DIGITS,
            "rw": DIGITS,
            "region_code": nullable(REGIONS),
            "note": nullable(texts(500)),
        },
    )
)


def lists(element, max_size, limit):
    over = st.tuples(element, st.integers(limit + 1, limit + 2)).map(lambda pair: [pair[0]] * pair[1])
    return st.lists(element, max_size=max_size), over | st.sampled_from(["bukan daftar", {}, None])


HOUSEHOLD = st.shared(UUIDS[0], key="household")
NEW_HOUSEHOLD = objects(
    "new_household",
    {
        "id": (HOUSEHOLD, UUIDS[0] | UUIDS[1]),
        "head_name": texts(200, 1),
        "kk_number": KKS,
        "address": nullable(texts(500)),
        "rt": DIGITS,
        "rw": DIGITS,
        "region_code": REGIONS,
    },
    required=("id", "head_name", "region_code"),
)


def visits(kind: str, proposal: bool):
    fields = {
        "id": UUIDS,
        "household_id": (HOUSEHOLD, UUIDS[1]),
        "base_version": (st.none(), integers(1, 40)[0]) if proposal else integers(1, 40),
        "new_household": (NEW_HOUSEHOLD, st.none() | st.sampled_from(["baru", 5]))
        if proposal
        else nested(NEW_HOUSEHOLD),
        "supersedes_id": nullable(UUIDS),
        "device_time": TIMES,
        "gps": GPS,
        "outcome": codes({o["code"] for o in OUTCOMES}),
        "consent": BOOLS,
        "members": lists(MEMBER, 4, 60),
        "house_condition": HOUSE,
        "aid_reported": lists(texts(32)[0], 3, 40),
        "notes": nullable(texts(4000)),
        "photos": lists(PHOTO, 3, 20),
        "duplicate_of": nullable(UUIDS),
        "moved_to": MOVED,
    }
    required = ("id", "household_id", "device_time", "gps", "outcome", "consent")
    required += ("new_household",) if proposal else ("base_version",)
    return objects(kind, fields, required=required)


ITEMS = visits("listed_visit", False) | visits("proposal_visit", True)


def items():
    return ITEMS


def unwrap(value):
    """(the JSON value, whether it holds a value in a form the phones never send)."""
    if isinstance(value, Lax):
        return unwrap(value.value)[0], True
    if isinstance(value, dict):
        pairs = {key: unwrap(item) for key, item in value.items()}
        return {key: item for key, (item, _) in pairs.items()}, any(flag for _, flag in pairs.values())
    if isinstance(value, list):
        pairs = [unwrap(item) for item in value]
        return [item for item, _ in pairs], any(flag for _, flag in pairs)
    return value, False


def schema_verdict(raw):
    try:
        return SCHEMA.load(raw), None
    except ValidationError as error:
        return None, error.messages


@SETTINGS
@given(items())
def test_fast_path_accepts_only_what_the_schema_accepts_with_the_same_loaded_item(drawn):
    raw, has_lax = unwrap(drawn)
    loaded, errors = schema_verdict(raw)
    try:
        fast = push_fast.load_item(raw)
    except push_fast.NotSure:
        fast = None
    if fast is not None:
        assert errors is None, f"fast path accepted what the schema refuses: {errors}"
        assert content_hash(fast) == content_hash(loaded)
        assert fast == loaded
    elif not has_lax:
        # Written as the phones write: the fast path refuses exactly what the schema refuses.
        assert errors is not None, "fast path refused a phone-shaped item the schema accepts"
    # Whatever the path, the push sees the schema's answer: the same item or the same field errors.
    try:
        combined, combined_errors = push_fast.load(raw, SCHEMA), None
    except ValidationError as error:
        combined, combined_errors = None, error.messages
    assert combined_errors == errors
    if loaded is not None:
        assert content_hash(combined) == content_hash(loaded)


def phone_item(**overrides):
    item = {
        "id": str(uuid.uuid4()),
        "household_id": str(uuid.uuid4()),
        "base_version": 3,
        "device_time": "2026-11-28T09:12:00+08:00",
        "gps": {"lon": 117.15, "lat": -0.5, "accuracy_m": 12.5, "fixed_at": "2026-11-28T09:11:50+08:00"},
        "outcome": "found",
        "consent": True,
        "members": [
            {"member_id": str(uuid.uuid4()), "presence": "present"},
            {"presence": "new", "name": "Bayi", "sex": 2, "relationship_code": 3, "birth_date": "2026-01-02"},
        ],
        "house_condition": {"floor": "cement", "lighting": "pln_900", "floor_area": 36},
        "aid_reported": ["PKH"],
        "notes": "Rumah panggung",
        "photos": [
            {
                "id": str(uuid.uuid4()),
                "kind": "house_front",
                "sha256": "ab" * 32,
                "captured_at": "2026-11-28T09:10:00+08:00",
                "capture_location": {"lon": 117.15, "lat": -0.5, "accuracy_m": 8},
            }
        ],
    }
    item.update(overrides)
    return item


@pytest.mark.parametrize(
    "overrides",
    [
        {},
        {"base_version": None, "new_household": None},
        {"duplicate_of": str(uuid.uuid4()), "moved_to": {"address": "Jl. Baru", "rt": "01"}},
        {"gps": {"no_fix": True, "reason": "Di dalam gedung"}},
    ],
)
def test_the_phones_items_take_the_fast_path(overrides):
    raw = phone_item(**overrides)
    loaded, errors = schema_verdict(raw)
    if errors:
        with pytest.raises(push_fast.NotSure):
            push_fast.load_item(raw)
        return
    assert push_fast.load_item(raw) == loaded
    assert content_hash(push_fast.load_item(raw)) == content_hash(loaded)


def test_a_proposal_takes_the_fast_path():
    household = str(uuid.uuid4())
    raw = phone_item(
        household_id=household,
        base_version=None,
        new_household={"id": household, "head_name": "Budi", "region_code": "64.72.01.1001", "rt": "3"},
    )
    assert push_fast.load_item(raw) == SCHEMA.load(raw)


def _set(item, path, value):
    target = item
    for step in path[:-1]:
        target = target[step]
    if value is MISSING:
        target.pop(path[-1], None)
    else:
        target[path[-1]] = value


MISSING = object()
ANY_WRONG = ["", 5, 1.5, True, [], {}, None, MISSING]
INT_WRONG = ["", Lax(1.5), True, [], {}, None, MISSING]  # int(1.5) == 1: the schema takes it
EDGES = {
    ("id",): [*ANY_WRONG, "bukan-uuid", str(uuid.uuid4()).upper(), uuid.uuid4().hex, Lax(f"{{{uuid.uuid4()}}}")],
    ("base_version",): [*INT_WRONG, 0, 1, -1, 2**63, 2**70, Lax("3"), Lax(3.0), Lax(2.5)],
    ("device_time",): [*ANY_WRONG, "2026-11-28T09:12:00", "2026-11-28", "2026-11-28T09:12:00Z", "2026-11-28 09:12+08"],
    ("gps", "lon"): [*ANY_WRONG, 94.0, 142.0, 93.99999, 142.00001, float("nan"), float("inf"), 10**400, Lax("117")],
    ("gps", "lat"): [-11.5, 6.5, -11.50001, 6.50001, -0.0, float("-inf"), Lax("-0.5")],
    ("gps", "accuracy_m"): [0, -0.1, 100_000, 100_000.5, None, True],
    ("gps", "fixed_at"): [None, "2026-11-28T09:11:50", "x", 5, MISSING],
    ("gps", "reason"): ["", "x" * 200, "x" * 201, None],
    ("gps", "no_fix"): [False, True, None, Lax(0), Lax("false"), "mungkin"],
    ("outcome",): [*ANY_WRONG, "not_found", "diculik", "FOUND"],
    ("consent",): [*ANY_WRONG, False, Lax(1), Lax("yes"), Lax("0"), 2],
    ("members",): [*ANY_WRONG, [{"presence": "present", "member_id": str(uuid.uuid4())}] * 61],
    ("members", 0, "member_id"): ANY_WRONG,
    ("members", 0, "presence"): [*ANY_WRONG, "new", "moved", "duplicate"],
    ("members", 1, "name"): [*ANY_WRONG, "x" * 200, "x" * 201, "é" * 200],
    ("members", 1, "nik"): [*ANY_WRONG, make_nik(4), "1234", "6472013201800001", Lax(int(make_nik(5)))],
    ("members", 1, "sex"): [*INT_WRONG, 0, 1, 3, Lax("2"), Lax(1.0)],
    ("members", 1, "birth_date"): [*ANY_WRONG, "1900-01-01", "1899-12-31", "2999-01-01", "19800517", "17-05-1980"],
    ("members", 1, "relationship_code"): [0, 1, 8, 9, Lax("8")],
    ("house_condition",): [*ANY_WRONG, {"floor_area": 0.5}, {"floor_area": 2000}, {"floor": "emas"}, {"x": "y"}],
    ("house_condition", "floor_area"): [1, 1.0, 2000.0, 2000.01, True, "36", None, float("nan")],
    ("aid_reported",): [*ANY_WRONG, ["x" * 32], ["x" * 33], ["PKH"] * 40, ["PKH"] * 41, [5]],
    ("notes",): [*ANY_WRONG, "x" * 4000, "x" * 4001],
    ("photos",): ANY_WRONG,
    ("photos", 0, "id"): [*ANY_WRONG, "bukan-uuid"],
    ("photos", 0, "kind"): [*ANY_WRONG, "kitchen", "selfie"],
    ("photos", 0, "sha256"): [*ANY_WRONG, "ab" * 32 + "\n", "AB" * 32, "g" * 64, "ab" * 31, "ab" * 33],
    ("photos", 0, "captured_at"): [*ANY_WRONG, "2026-11-28T09:10:00"],
    ("photos", 0, "capture_location"): [*ANY_WRONG, {"lon": 117.0}, {"lon": 117.0, "lat": -0.5, "x": 1}],
    ("photos", 0, "capture_location", "accuracy_m"): [None, -1, 100_001, MISSING, Lax("8")],
    ("supersedes_id",): [*ANY_WRONG, "bukan-uuid"],
    ("duplicate_of",): [*ANY_WRONG, "bukan-uuid"],
    ("moved_to",): [
        *ANY_WRONG,
        {"rt": "1234"},
        {"rw": "12\n"},
        {"region_code": "64.72"},
        {"note": "x" * 501},
        {"address": None},
        {"z": 1},
    ],
    ("padding",): ["x" * 10, None],
}


@pytest.mark.parametrize(("path", "value"), [(path, value) for path, values in EDGES.items() for value in values])
def test_each_fields_edges_get_the_same_verdict(path, value):
    raw = phone_item()
    is_lax = isinstance(value, Lax)
    _set(raw, path, value.value if is_lax else value)
    loaded, errors = schema_verdict(raw)
    try:
        fast = push_fast.load_item(raw)
    except push_fast.NotSure:
        fast = None
    if fast is not None:
        assert errors is None and content_hash(fast) == content_hash(loaded) and fast == loaded
    elif not is_lax:
        assert errors is not None, "refused a phone-shaped item the schema accepts"


def dumps_canonical(data):
    """The text content hashes were always computed from (a resent visit must match its stored hash)."""
    return json.dumps(data, sort_keys=True, default=str, separators=(",", ":")).encode()


@SETTINGS
@given(items())
def test_the_content_hashs_text_is_json_dumps_text_on_generated_items(drawn):
    loaded, _ = schema_verdict(unwrap(drawn)[0])
    if loaded is not None:
        assert canonical_json(loaded) == dumps_canonical(loaded)


@pytest.mark.parametrize(
    "overrides",
    [
        {"notes": 'Ibu Siti tidak di rumah; kata tetangga "ke pasar"'},
        {"notes": "baris\nbaru\ttab \\ garis miring"},
        {"notes": "Désa Sukamaju, rumah № 5, 😀"},
        {"notes": "kontrol \x7f \x1f \u2028"},
        {"notes": "lihat :1e5 dan ,0.00001"},
        {"gps": {"lon": 117.15, "lat": 1e-05, "accuracy_m": 2.5e-07}},
        {"gps": {"lon": 117.15, "lat": -0.0001, "accuracy_m": 0.0}},
        {"gps": {"lon": 117.15, "lat": -0.0, "accuracy_m": 99999.99999999999}},
        {"house_condition": {"floor_area": 1999.9999999999998}},
        {"house_condition": {"floor_area": 1.0000000000000002}},
        {"device_time": "2026-11-28T09:12:00.123456-03:30"},
        {"device_time": "2026-11-28T01:12:00Z"},
    ],
)
def test_the_content_hashs_text_is_json_dumps_text_at_the_edges(overrides):
    loaded = SCHEMA.load(phone_item(**overrides))
    assert canonical_json(loaded) == dumps_canonical(loaded)


def test_a_phones_item_is_hashed_without_json_dumps(monkeypatch):
    # The fast encoder is what keeps the hash cheap (~40 µs of json.dumps per item otherwise).
    loaded = SCHEMA.load(phone_item())
    expected = dumps_canonical(loaded)
    monkeypatch.setattr(service.json, "dumps", lambda *args, **kwargs: pytest.fail("json.dumps used"))
    assert canonical_json(loaded) == expected


# What the push checks beyond the contract, against the database (server/visits/service.py).
CONTEXT_CHECKS = {"household_id", "new_household", "supersedes_id", "base_version", "aid_reported", "id"}


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.lists(items(), min_size=1, max_size=12))
def test_the_push_answers_every_refused_item_with_the_schemas_own_errors(sync_ctx, sync_client, drawn):
    """Through the route, in the documented envelope: an item the contract refuses is `invalid` with exactly
    the schema's field paths and messages, whichever validator looked at it first."""
    enumerator = db.session.execute(sa.select(User).where(User.username == "pushfast-envelope")).scalar()
    if enumerator is None:
        enumerator = make_user("enumerator", username="pushfast-envelope")
        db.session.commit()
    raws = [unwrap(item)[0] for item in drawn]
    # The request boundary refuses a whole body with a control character anywhere (422), before any item.
    assume(not bad_fields_of_json(raws))
    response = sync_client.post("/api/v1/sync/push", json={"items": raws}, headers=bearer(enumerator))
    assert response.status_code == 200, response.get_json()
    results = response.get_json()["data"]["results"]
    assert len(results) == len(raws)
    seen = set()
    for raw, result in zip(raws, results, strict=True):
        _, errors = schema_verdict(raw)
        if errors is not None:
            echoed = raw.get("id") if isinstance(raw.get("id"), str) and len(raw["id"]) <= 64 else None
            # As JSON writes them (a list item's index becomes a key: "0").
            assert result == {"id": echoed, "status": "invalid", "errors": json.loads(json.dumps(errors))}
        elif raw["id"] not in seen:
            # Valid by the contract: only the push's checks against the database may refuse it (a household not
            # assigned to this enumerator, a correction of someone else's visit, …), never a field's form.
            assert set(result.get("errors", {})) <= CONTEXT_CHECKS, result
        seen.add(raw.get("id") if isinstance(raw.get("id"), str) else None)
