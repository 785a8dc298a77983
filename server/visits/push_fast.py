"""The push's fast path: validates a visit item as the phones send it in a few microseconds (msgspec structs
for shape, types, bounds and unknown fields; the same Python checks as the schema for choices, dates, NIK
and No. KK), and builds exactly the dict `VisitPushSchema().load(item)` would.

`VisitPushSchema` (push_schemas.py) stays the contract: it is what the API document shows, and it alone
words the errors. This path only ever answers "valid, here is the loaded item" or "not sure": anything it
does not accept (a wrong item, or a valid one written in a form marshmallow tolerates but this path does
not, such as `"consent": "yes"` or `"base_version": "3"`) goes through the schema, so a refused item gets
the schema's own field errors. tests/visits/test_push_fast.py proves with generated items that whatever
this path accepts, the schema accepts too, with the identical loaded item (and so the identical content
hash, which replays depend on).

Marshmallow spent ~1 ms per item (4 members, 2 photos), about half of a push's CPU; this path ~20 µs.
"""

from __future__ import annotations

import math
import uuid
from datetime import date, datetime
from typing import Annotated, Any

import msgspec
from marshmallow import ValidationError

from server.households.schemas import kk_field, nik_field, plausible_birth_date
from server.visits import push_schemas
from server.visits.form import HOUSE_CONDITION, HOUSE_NUMBERS, OUTCOMES, PHOTO_KINDS, VISIT_PRESENCE
from server.visits.push_schemas import VisitPushSchema

UNSET = msgspec.UNSET
Lon = Annotated[float, msgspec.Meta(ge=94.0, le=142.0)]
Lat = Annotated[float, msgspec.Meta(ge=-11.5, le=6.5)]
Accuracy = Annotated[float, msgspec.Meta(ge=0, le=100_000)]
Text200 = Annotated[str, msgspec.Meta(max_length=200)]
Text500 = Annotated[str, msgspec.Meta(max_length=500)]
Code13 = Annotated[str, msgspec.Meta(min_length=13, max_length=13)]

OUTCOME_CODES = frozenset(o["code"] for o in OUTCOMES)
PRESENCE_CODES = frozenset(p["code"] for p in VISIT_PRESENCE)
PHOTO_KIND_CODES = frozenset(k["code"] for k in PHOTO_KINDS)
CONDITION_CODES = {key: frozenset(choice["code"] for choice in choices) for key, choices in HOUSE_CONDITION.items()}
# The schema's own patterns (`$` also matches before a final newline there, so it must here too).
SHA256 = push_schemas.SHA256.regex
DIGITS = push_schemas.DIGITS.regex


class NotSure(Exception):
    """The fast path does not vouch for this item: let the schema decide (and word the errors)."""


class _Struct(msgspec.Struct, forbid_unknown_fields=True):
    pass


class _Gps(_Struct):
    lon: Lon | msgspec.UnsetType = UNSET
    lat: Lat | msgspec.UnsetType = UNSET
    accuracy_m: Accuracy | msgspec.UnsetType = UNSET
    fixed_at: str | msgspec.UnsetType | None = UNSET
    no_fix: bool | msgspec.UnsetType = UNSET
    reason: Text200 | msgspec.UnsetType = UNSET


class _Member(_Struct):
    presence: str
    member_id: uuid.UUID | None = None
    name: Annotated[str, msgspec.Meta(min_length=1, max_length=200)] | msgspec.UnsetType = UNSET
    nik: str | msgspec.UnsetType | None = UNSET
    sex: int | msgspec.UnsetType = UNSET
    birth_date: str | msgspec.UnsetType | None = UNSET
    relationship_code: Annotated[int, msgspec.Meta(ge=1, le=8)] | msgspec.UnsetType = UNSET


class _CaptureLocation(_Struct):
    lon: Lon
    lat: Lat
    accuracy_m: Accuracy | None = None


class _Photo(_Struct):
    id: uuid.UUID
    kind: str
    sha256: str
    captured_at: str | None = None
    capture_location: _CaptureLocation | None = None


class _NewHousehold(_Struct):
    id: uuid.UUID
    head_name: Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
    region_code: Code13
    kk_number: str | msgspec.UnsetType | None = UNSET
    address: Text500 | msgspec.UnsetType | None = UNSET
    rt: str | msgspec.UnsetType | None = UNSET
    rw: str | msgspec.UnsetType | None = UNSET


class _MovedTo(_Struct):
    address: Text500 | msgspec.UnsetType | None = UNSET
    rt: str | msgspec.UnsetType | None = UNSET
    rw: str | msgspec.UnsetType | None = UNSET
    region_code: Code13 | msgspec.UnsetType | None = UNSET
    note: Text500 | msgspec.UnsetType | None = UNSET


class _Visit(_Struct):
    id: uuid.UUID
    household_id: uuid.UUID
    device_time: str
    gps: _Gps
    outcome: str
    consent: bool
    base_version: Annotated[int, msgspec.Meta(ge=1)] | None = None
    new_household: _NewHousehold | None = None
    supersedes_id: uuid.UUID | None = None
    members: Annotated[list[_Member], msgspec.Meta(max_length=60)] = []
    house_condition: dict[str, Any] = {}
    aid_reported: Annotated[list[Annotated[str, msgspec.Meta(max_length=32)]], msgspec.Meta(max_length=40)] = []
    notes: Annotated[str, msgspec.Meta(max_length=4000)] | None = None
    photos: Annotated[list[_Photo], msgspec.Meta(max_length=20)] = []
    duplicate_of: uuid.UUID | msgspec.UnsetType | None = UNSET
    moved_to: _MovedTo | msgspec.UnsetType | None = UNSET


def load(raw: Any, schema: VisitPushSchema | None = None) -> dict[str, Any]:
    """The loaded item: from the fast path when it vouches for it, else from the schema (which raises its
    ValidationError with the field errors)."""
    try:
        return load_item(raw)
    except NotSure:
        return (schema or VisitPushSchema()).load(raw)


def load_item(raw: Any) -> dict[str, Any]:
    """`VisitPushSchema().load(raw)` for an item this path can vouch for; NotSure otherwise."""
    try:
        visit = msgspec.convert(raw, _Visit)
    except msgspec.ValidationError as error:
        raise NotSure from error
    try:
        return _loaded(visit)
    except (ValidationError, ValueError, TypeError) as error:
        raise NotSure from error


def _aware(value: str | None) -> datetime | None:
    if value is None:
        return None
    parsed = datetime.fromisoformat(value)
    if parsed.tzinfo is None or parsed.utcoffset() is None:
        raise ValueError("naive")
    return parsed


def _finite(value: float) -> float:
    if math.isnan(value) or math.isinf(value):
        raise ValueError("special")
    return value


def _optional(target: dict[str, Any], struct: Any, names: tuple[str, ...]) -> dict[str, Any]:
    for name in names:
        value = getattr(struct, name)
        if value is not UNSET:
            target[name] = value
    return target


def _digits(value: str | msgspec.UnsetType | None) -> None:
    if isinstance(value, str) and not DIGITS.match(value):
        raise ValueError("digits")


def _gps(gps: _Gps) -> dict[str, Any]:
    loaded = _optional({}, gps, ("lon", "lat", "accuracy_m", "no_fix", "reason"))
    for name in ("lon", "lat", "accuracy_m"):
        if name in loaded:
            _finite(loaded[name])
    if gps.fixed_at is not UNSET:
        loaded["fixed_at"] = _aware(gps.fixed_at)
    if loaded.get("no_fix"):
        if not loaded.get("reason"):
            raise ValueError("reason")
    elif any(loaded.get(name) is None for name in ("lon", "lat", "accuracy_m")):
        raise ValueError("fix")
    return loaded


def _member(member: _Member) -> dict[str, Any]:
    if member.presence not in PRESENCE_CODES:
        raise ValueError("presence")
    loaded = _optional(
        {"member_id": member.member_id, "presence": member.presence},
        member,
        ("name", "nik", "sex", "relationship_code"),
    )
    if member.sex is not UNSET and member.sex not in (1, 2):
        raise ValueError("sex")
    if member.nik is not UNSET:
        nik_field(member.nik)
    if member.birth_date is not UNSET:
        birth = None if member.birth_date is None else date.fromisoformat(member.birth_date)
        plausible_birth_date(birth)
        loaded["birth_date"] = birth
    if member.presence == "new":
        if not loaded.get("name"):
            raise ValueError("name")
    elif member.member_id is None:
        raise ValueError("member_id")
    return loaded


def _photo(photo: _Photo) -> dict[str, Any]:
    if photo.kind not in PHOTO_KIND_CODES or not SHA256.match(photo.sha256):
        raise ValueError("photo")
    location = photo.capture_location
    if location is not None:
        location = {"lon": _finite(location.lon), "lat": _finite(location.lat), "accuracy_m": location.accuracy_m}
        if location["accuracy_m"] is not None:
            _finite(location["accuracy_m"])
    return {
        "id": photo.id,
        "kind": photo.kind,
        "sha256": photo.sha256,
        "captured_at": _aware(photo.captured_at),
        "capture_location": location,
    }


def _house_condition(value: dict[str, Any]) -> dict[str, Any]:
    for key, answer in value.items():
        if key in HOUSE_NUMBERS:
            low, high = HOUSE_NUMBERS[key]
            if not isinstance(answer, int | float) or isinstance(answer, bool) or not low <= answer <= high:
                raise ValueError(key)
        elif key not in CONDITION_CODES or not isinstance(answer, str) or answer not in CONDITION_CODES[key]:
            raise ValueError(key)
    return value


def _loaded(visit: _Visit) -> dict[str, Any]:
    if visit.outcome not in OUTCOME_CODES:
        raise ValueError("outcome")
    proposal = None
    if visit.new_household is not None:
        new = visit.new_household
        proposal = _optional(
            {"id": new.id, "head_name": new.head_name, "region_code": new.region_code},
            new,
            ("kk_number", "address", "rt", "rw"),
        )
        if new.kk_number is not UNSET:
            kk_field(new.kk_number)
        _digits(new.rt)
        _digits(new.rw)
        if new.id != visit.household_id:
            raise ValueError("household_id")
    elif visit.base_version is None:
        raise ValueError("base_version")
    loaded = {
        "id": visit.id,
        "household_id": visit.household_id,
        "base_version": visit.base_version,
        "new_household": proposal,
        "supersedes_id": visit.supersedes_id,
        "device_time": _aware(visit.device_time),
        "gps": _gps(visit.gps),
        "outcome": visit.outcome,
        "consent": visit.consent,
        "members": [_member(member) for member in visit.members],
        "house_condition": _house_condition(visit.house_condition),
        "aid_reported": visit.aid_reported,
        "notes": visit.notes,
        "photos": [_photo(photo) for photo in visit.photos],
    }
    if visit.duplicate_of is not UNSET:
        loaded["duplicate_of"] = visit.duplicate_of
    if visit.moved_to is not UNSET:
        moved = visit.moved_to
        if moved is not None:
            _digits(moved.rt)
            _digits(moved.rw)
            moved = _optional({}, moved, ("address", "rt", "rw", "region_code", "note"))
        loaded["moved_to"] = moved
    return loaded
