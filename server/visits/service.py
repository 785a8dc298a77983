"""Visit use cases: the sync push (served by `server/sync/routes.py`) and the scoped reads of the visit API.

The push: a batch of visits from a phone, one result per item, nothing lost, nothing doubled.

Each item is validated on its own (a bad item is reported `invalid` and the rest of the batch is kept).
The visit's client UUID makes the write idempotent: the same UUID with the same content (a retry after a
lost answer) returns the stored result as `duplicate`; with other content it is a `conflict`, never an
overwrite, because a sent visit is frozen. A visit made against an older household version, or a second
visit of a household that already has one, is stored and flagged (`accepted_with_conflict`) for the
reviewer: field work is never dropped. Every visit also gets its quality flags and the review queue's
priority score (catalogue and campaign overrides in `server/visits/flags.py`), from facts fetched with the
batch's household lookup, so they go in with the row itself. A push is a few round trips to PostgreSQL
whatever the batch's size: every lookup in one statement (`queries.push_facts`), every write in one more
(`queries.write_visits`: visits with INSERT … ON CONFLICT DO NOTHING, so a twin request racing this one
cannot make a duplicate either, their photos, households and audit rows); the rest only when a batch needs it.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import msgspec
from marshmallow import ValidationError
from sqlalchemy.exc import IntegrityError

from server.audit.service import entry_rows, record
from server.auth.access import Actor, region_in_scope
from server.errors import NOT_FOUND, AppError, PushStatus
from server.extensions import db
from server.households.service import flag_field_niks
from server.pagination import decode_cursor, encode_cursor, invalid_cursor
from server.photos.service import missing_after_declaring, missing_photo_ids_for_visits, photo_rows
from server.review.service import supersede_revisits
from server.types import HouseholdSource, RegistryStatus, VerificationStatus
from server.visits import flags as catalogue
from server.visits import push_fast, queries
from server.visits.photo_flags import refresh_photo_flags
from server.visits.policy import approve_as_policy, select_auto_approvals
from server.visits.push_schemas import MAX_ITEM_BYTES, VisitPushSchema
from server.visits.schemas import utc_offset_minutes

# An item's status, from the catalogue (server.errors.PushStatus).
CREATED, DUPLICATE, CONFLICT = PushStatus.CREATED, PushStatus.DUPLICATE, PushStatus.CONFLICT
INVALID, ACCEPTED_WITH_CONFLICT = PushStatus.INVALID, PushStatus.ACCEPTED_WITH_CONFLICT
STALE_BASE_VERSION, SECOND_VISIT = "stale_base_version", "second_visit"


@dataclass
class _Item:
    index: int
    raw: Any
    data: dict[str, Any] | None = None
    content_hash: str | None = None
    result: dict[str, Any] | None = None
    flags: list[str] = field(default_factory=list)
    priority: int = 0
    campaign_id: int | None = None
    rules: catalogue.Rules | None = None
    household: Any = None
    photos_missing: bool = False
    status: str | None = None  # created or accepted_with_conflict, once checked and flagged
    twin_of: _Item | None = None


def push(actor: Actor, items: list[Any], sent_at: datetime | None) -> list[dict[str, Any]]:
    received_at = datetime.now(UTC)
    skew = (received_at - sent_at).total_seconds() if sent_at else None
    batch = [_Item(index, raw) for index, raw in enumerate(items)]
    _validate(batch)
    pending = [item for item in batch if item.result is None]
    if pending:
        facts = _look_up(pending, actor)
        _check_programs(pending, facts)
        _settle_known_ids(pending, actor, facts.stored, facts.missing_photos)
        pending = [item for item in pending if item.result is None]
        _check_households(pending, actor, facts)
        pending = [item for item in pending if item.result is None]
        _check_supersedes(pending, actor, facts)
        pending = [item for item in pending if item.result is None]
        _flag_second_visits(pending, facts)
        _flag_quality(pending, skew, facts)
        _store(pending, actor, received_at, skew)
    for item in batch:
        if item.twin_of is not None and item.result["status"] == DUPLICATE:
            # The same content twice in one batch: the second gets whatever the first got.
            item.result = item.twin_of.result
    return [item.result for item in batch]


def _validate(batch: list[_Item]) -> None:
    schema = VisitPushSchema()
    for item in batch:
        if not isinstance(item.raw, dict):
            item.result = _invalid(None, {"_schema": ["Harus objek JSON / must be a JSON object"]})
            continue
        if _item_size(item.raw) > MAX_ITEM_BYTES:
            item.result = _invalid(
                item.raw.get("id"),
                {"_schema": [f"Lebih dari {MAX_ITEM_BYTES} bita / larger than {MAX_ITEM_BYTES} bytes"]},
            )
            continue
        try:
            item.data = push_fast.load(item.raw, schema)
        except ValidationError as error:
            item.result = _invalid(item.raw.get("id"), error.messages)
            continue
        item.content_hash = content_hash(item.data)
    valid = [item for item in batch if item.result is None]
    seen: dict[uuid.UUID, _Item] = {}
    for item in valid:
        twin = seen.get(item.data["id"])
        if twin is not None:
            # The same visit twice in one batch: the second is a replay of the first, or a conflict.
            same = twin.content_hash == item.content_hash
            item.result = {"id": str(item.data["id"]), "status": DUPLICATE if same else CONFLICT}
            if not same:
                item.result["errors"] = {
                    "id": ["Id dipakai dua kali dengan isi berbeda / id reused with other content"]
                }
            item.twin_of = twin
        else:
            seen[item.data["id"]] = item


def _look_up(items: list[_Item], actor: Actor) -> queries.PushFacts:
    """Everything the checks and flags below need about the batch's valid items, in one statement."""
    return queries.push_facts(
        user_id=actor.user_id,
        visit_ids=[item.data["id"] for item in items],
        supersedes_ids=[item.data["supersedes_id"] for item in items if item.data["supersedes_id"]],
        household_ids=[item.data["household_id"] for item in items],
        new_niks=_new_niks(items),
        photo_ids=[photo["id"] for item in items for photo in item.data["photos"]],
        proposal_regions=[item.data["new_household"]["region_code"] for item in items if item.data["new_household"]],
    )


def _new_niks(items: list[_Item]) -> list[tuple[uuid.UUID, str]]:
    """(household, NIK) of the members the items report as new with a NIK."""
    return [
        (item.data["household_id"], member["nik"])
        for item in items
        for member in item.data["members"]
        if member["presence"] == "new" and member.get("nik")
    ]


def _check_programs(batch: list[_Item], facts: queries.PushFacts) -> None:
    for item in batch:
        if item.result is None:
            unknown = sorted(set(item.data["aid_reported"]) - facts.programs)
            if unknown:
                item.result = _invalid(
                    item.data["id"], {"aid_reported": [f"Program tidak dikenal / unknown: {unknown}"]}
                )


def content_hash(data: dict[str, Any]) -> str:
    """SHA-256 of the loaded item's canonical JSON: what tells a replay (same) from a conflict (other)."""
    return hashlib.sha256(canonical_json(data)).hexdigest()


_CANONICAL = msgspec.json.Encoder(order="sorted")


def canonical_json(data: dict[str, Any]) -> bytes:
    """The loaded item as `json.dumps(data, sort_keys=True, default=str, separators=(",", ":"))`, the text
    content hashes have always been computed from (a visit sent before an upgrade and resent after it must
    still be its own replay). msgspec writes the same text ~5x faster for what a loaded item holds (ids,
    dates, whole numbers, booleans, printable ASCII text, floats in plain notation) once its times are given
    as str() writes them (a space, not `T`); an item it could write otherwise (floats Python writes in
    exponent form; text beyond printable ASCII or with escapes, which json.dumps writes as \\u escapes) is
    written by json.dumps. tests/visits/test_push_fast.py compares both on generated items."""
    if _plain_floats(data):
        try:
            fast = _CANONICAL.encode(_times_as_text(data))
        except (TypeError, ValueError, OverflowError, msgspec.EncodeError):
            fast = None
        if fast is not None and fast.isascii() and b"\\" not in fast and b"\x7f" not in fast:
            return fast
    return json.dumps(data, sort_keys=True, default=str, separators=(",", ":")).encode()


def _plain_floats(data: dict[str, Any]) -> bool:
    """Whether Python writes every float of the loaded item in plain notation, as msgspec does (its repr takes
    the exponent form below 1e-4 and from 1e16 up, and NaN is no JSON number): the fix's, each photo's
    capture location's and the house's figures are the only numbers of an item that may be floats."""
    values = [*data["gps"].values(), *data["house_condition"].values()]
    for photo in data["photos"]:
        values.extend((photo["capture_location"] or {}).values())
    return all(not isinstance(value, float) or value == 0 or 1e-4 <= abs(value) < 1e16 for value in values)


def _times_as_text(data: dict[str, Any]) -> dict[str, Any]:
    """The loaded item with its times (the visit's, the fix's, each photo's) as str() writes them."""
    gps = data["gps"]
    return {
        **data,
        "device_time": str(data["device_time"]),
        "gps": gps if gps.get("fixed_at") is None else {**gps, "fixed_at": str(gps["fixed_at"])},
        "photos": [
            photo if photo["captured_at"] is None else {**photo, "captured_at": str(photo["captured_at"])}
            for photo in data["photos"]
        ],
    }


def _item_size(raw: dict[str, Any]) -> int:
    """The item's size as compact ASCII JSON (the cap's measure). The ASCII form is at most six characters per
    UTF-8 byte, so an item whose UTF-8 encoding (msgspec, ~20x faster) is under a sixth of the cap is under it."""
    try:
        utf8 = len(msgspec.json.encode(raw))
    except (TypeError, ValueError, OverflowError, msgspec.EncodeError):
        utf8 = MAX_ITEM_BYTES
    if utf8 * 6 <= MAX_ITEM_BYTES:
        return utf8
    return len(json.dumps(raw, separators=(",", ":")))


def _settle_known_ids(
    batch: list[_Item], actor: Actor, stored: dict[uuid.UUID, Any], missing: dict[uuid.UUID, list[uuid.UUID]]
) -> None:
    """Replays: already stored under this id (same content → duplicate, other content → conflict).
    `stored`: the visits stored under these ids; `missing`: their declared photos without bytes."""
    for item in (item for item in batch if item.result is None):
        row = stored.get(item.data["id"])
        if row is None:
            continue
        if row.enumerator_id == actor.user_id and row.content_hash == item.content_hash:
            item.result = {"id": str(row.id), "status": DUPLICATE, "visit": _summary(row, missing.get(row.id, []))}
        else:
            item.result = {
                "id": str(row.id),
                "status": CONFLICT,
                "errors": {"id": ["Kunjungan ini sudah terkirim dengan isi lain / already sent with other content"]},
            }


def _check_households(items: list[_Item], actor: Actor, facts: queries.PushFacts) -> None:
    """Listed households must be assigned to this enumerator; proposals must lie in their area."""
    households, kelurahan = facts.households, facts.villages
    for item in items:
        data, household = item.data, households.get(item.data["household_id"])
        proposal = data["new_household"]
        if proposal:
            if household is not None and household.source != HouseholdSource.FIELD:
                item.result = _invalid(data["id"], {"household_id": ["Sudah terdaftar / already a listed household"]})
            elif proposal["region_code"] not in kelurahan or not region_in_scope(actor, proposal["region_code"]):
                item.result = _invalid(
                    data["id"],
                    {"new_household": {"region_code": ["Kelurahan di luar wilayah Anda / outside your area"]}},
                )
            else:
                item.campaign_id = household.campaign_id if household else None
            continue
        if household is None or household.campaign_id is None:
            item.result = _invalid(
                data["id"],
                {"household_id": ["Rumah tangga tidak ditugaskan kepada Anda / household not assigned to you"]},
            )
            continue
        item.campaign_id, item.household = household.campaign_id, household
        if data["base_version"] < household.version:
            item.flags.append(STALE_BASE_VERSION)
        elif data["base_version"] > household.version:
            item.result = _invalid(
                data["id"], {"base_version": [f"Lebih baru dari server / ahead of the server ({household.version})"]}
            )


def _check_supersedes(items: list[_Item], actor: Actor, facts: queries.PushFacts) -> None:
    """A correction names an earlier visit of the same household by the same enumerator."""
    stored = facts.stored
    in_batch = {item.data["id"]: item for item in items}
    for item in items:
        target_id = item.data["supersedes_id"]
        if target_id is None:
            continue
        target = stored.get(target_id)
        target_household = target.household_id if target else None
        target_owner = target.enumerator_id if target else None
        if target is None and target_id in in_batch:
            target_household, target_owner = in_batch[target_id].data["household_id"], actor.user_id
        if (
            target_household != item.data["household_id"]
            or target_owner != actor.user_id
            or target_id == item.data["id"]
        ):
            item.result = _invalid(
                item.data["id"],
                {"supersedes_id": ["Bukan kunjungan Anda ke rumah tangga ini / not your visit to this household"]},
            )


def _flag_second_visits(items: list[_Item], facts: queries.PushFacts) -> None:
    """Two phones (or two visits) for one household: keep both, flag the later for the reviewer."""
    seen_in_batch: dict[uuid.UUID, list[uuid.UUID]] = {}
    for item in items:
        household_id = item.data["household_id"]
        others = facts.earlier.get(household_id, []) + seen_in_batch.get(household_id, [])
        if any(other != item.data["supersedes_id"] for other in others):
            item.flags.append(SECOND_VISIT)
        seen_in_batch.setdefault(household_id, []).append(item.data["id"])


def _flag_quality(items: list[_Item], skew: float | None, facts: queries.PushFacts) -> None:
    """The catalogue's quality flags and the priority score, per item, from the facts of the batch."""
    used = {item.campaign_id for item in items}
    rules = {
        campaign_id: catalogue.rules_for(settings)
        for campaign_id, settings in facts.campaign_settings.items()
        if campaign_id in used
    }
    default_rules = catalogue.rules_for(None)
    elsewhere, with_bytes, locked = facts.nik_elsewhere, facts.photos_with_bytes, facts.locked
    for item in items:
        data, household = item.data, item.household
        item.photos_missing = any(photo["id"] not in with_bytes for photo in data["photos"])
        aid_on_record = None
        if household is not None:
            day = catalogue.visit_day(data["device_time"], utc_offset_minutes(data["device_time"])).isoformat()
            aid_on_record = {code for code, start, end in household.aid if start <= day <= end}
        item.rules = item_rules = rules.get(item.campaign_id, default_rules)
        raised = set(item.flags) | set(
            catalogue.quality_flags(
                item_rules,
                data=data,
                skew_s=skew,
                registered=(household.lon, household.lat)
                if household is not None and household.lon is not None
                else None,
                aid_on_record=aid_on_record,
                nik_elsewhere=any((data["household_id"], member.get("nik")) in elsewhere for member in data["members"]),
                photos_missing=item.photos_missing,
                after_lock=_item_region(item) in locked,
            )
        )
        item.flags = [code for code in catalogue.FLAGS if code in raised]
        item.priority = item_rules.priority(item.flags)


def _item_region(item: _Item) -> str | None:
    """The kelurahan a visit item is about (its household's, or the field proposal's)."""
    if item.household is not None:
        return item.household.region_code
    proposal = item.data.get("new_household")
    return proposal.get("region_code") if proposal else None


def _store(items: list[_Item], actor: Actor, received_at: datetime, skew: float | None) -> None:
    if not items:
        return
    queries.add_proposed_households(
        rows=[_proposed_household(item.data) for item in items if item.data["new_household"]]
    )
    for item in items:
        # Conflict flags come from the checks above; the photo flags refreshed below are never conflicts.
        item.status = ACCEPTED_WITH_CONFLICT if catalogue.CONFLICT_FLAGS.intersection(item.flags) else CREATED
    written = _write(items, actor, received_at, skew)
    stored = [item for item in items if item.data["id"] in written.visits and item.result is None]
    missing = missing_after_declaring(
        {item.data["id"]: item.data["photos"] for item in stored}, written.photos, written.waiting
    )
    # Photos whose bytes came before the visit (or an upload that overtook the prediction): flags again.
    recheck = [
        item.data["id"]
        for item in stored
        if bool(missing[item.data["id"]]) != item.photos_missing
        or len(missing[item.data["id"]]) < len(item.data["photos"])
    ]
    refreshed = refresh_photo_flags(recheck)
    for item in stored:
        if item.data["id"] in refreshed:
            item.flags, item.priority = refreshed[item.data["id"]]
    if written.revisits:
        # A household sent back for a revisit: the new visit supersedes the one sent back.
        supersede_revisits({item.data["household_id"]: item.data["id"] for item in stored})
    flag_field_niks(_new_niks(stored))
    for item in stored:
        item.result = {
            "id": str(item.data["id"]),
            "status": item.status,
            "visit": {
                "id": str(item.data["id"]),
                "household_id": str(item.data["household_id"]),
                "received_at": received_at.isoformat(),
                "flags": item.flags,
                "missing_photos": [str(photo_id) for photo_id in missing[item.data["id"]]],
            },
        }
    approve_as_policy(select_auto_approvals([(item.data["id"], item.flags, "pending", item.rules) for item in stored]))
    # Lost a race with a twin request carrying the same ids: settle them as that request's replays.
    raced = [item for item in items if item.data["id"] not in written.visits and item.result is None]
    if raced:
        twins = queries.stored_visits(ids=[item.data["id"] for item in raced])
        _settle_known_ids(raced, actor, twins, missing_photo_ids_for_visits(list(twins)))


def _write(items: list[_Item], actor: Actor, received_at: datetime, skew: float | None) -> queries.Written:
    """The batch in one statement; if the database still refuses something, item by item so only that one
    fails (`invalid`, the rest stored)."""
    try:
        with db.session.begin_nested():
            return queries.write_visits(**_rows(items, actor, received_at, skew))
    except IntegrityError:
        written = queries.Written(set(), {}, set(), [])
        for item in items:
            try:
                with db.session.begin_nested():
                    written.add(queries.write_visits(**_rows([item], actor, received_at, skew)))
            except IntegrityError:
                item.result = _invalid(item.data["id"], {"_schema": ["Ditolak basis data / refused by the database"]})
        return written


def _rows(items: list[_Item], actor: Actor, received_at: datetime, skew: float | None) -> dict[str, list[dict]]:
    """The rows `queries.write_visits` writes for these items: visits, declared photos, audit."""
    return {
        "visits": [_visit_row(item, actor, received_at, skew) for item in items],
        "photos": photo_rows({item.data["id"]: item.data["photos"] for item in items}),
        "audit": entry_rows(
            "visit.create",
            object_type="visit",
            entries=[
                (
                    item.data["id"],
                    {
                        "household_id": str(item.data["household_id"]),
                        "outcome": item.data["outcome"],
                        "status": item.status,
                    },
                )
                for item in items
            ],
        ),
    }


def _visit_row(item: _Item, actor: Actor, received_at: datetime, skew: float | None) -> dict[str, Any]:
    data, gps = item.data, item.data["gps"]
    fixed = not gps.get("no_fix")
    return {
        "id": data["id"],
        "household_id": data["household_id"],
        "campaign_id": item.campaign_id,
        "enumerator_id": actor.user_id,
        "device_id": actor.device_id,
        "supersedes_id": data["supersedes_id"],
        "base_version": data["base_version"],
        "device_time": data["device_time"],
        "device_utc_offset_min": utc_offset_minutes(data["device_time"]),
        "received_at": received_at,
        "clock_skew_s": skew,
        "location": f"SRID=4326;POINT({gps['lon']} {gps['lat']})" if fixed else None,
        "location_accuracy_m": gps["accuracy_m"] if fixed else None,
        "location_fixed_at": gps.get("fixed_at") if fixed else None,
        "no_fix_reason": None if fixed else gps["reason"],
        "outcome": data["outcome"],
        "consent": data["consent"],
        # Encoded with the row (default=str: dates and ids as text), as the answers were always stored.
        "answers": {
            "members": data["members"],
            "house_condition": data["house_condition"],
            "aid_reported": data["aid_reported"],
            "new_household": data["new_household"],
        }
        | {key: data[key] for key in ("duplicate_of", "moved_to") if data.get(key)},
        "notes": data["notes"],
        "content_hash": item.content_hash,
        "flags": item.flags,
        "priority": item.priority,
        "review_status": "pending",
    }


def _proposed_household(data: dict[str, Any]) -> dict[str, Any]:
    proposal = data["new_household"]
    return {
        "id": proposal["id"],
        "kk_number": proposal.get("kk_number"),
        "head_name": proposal["head_name"],
        "address": proposal.get("address"),
        "rt": proposal.get("rt"),
        "rw": proposal.get("rw"),
        "region_code": proposal["region_code"],
        "registry_status": RegistryStatus.PROPOSED.value,
        "verification_status": VerificationStatus.VISITED.value,
        "source": HouseholdSource.FIELD.value,
    }


def _summary(row: Any, missing: list[uuid.UUID]) -> dict[str, Any]:
    return {
        "id": str(row.id),
        "household_id": str(row.household_id),
        "received_at": row.received_at.isoformat(),
        "flags": row.flags,
        "missing_photos": [str(photo_id) for photo_id in missing],
    }


def _invalid(visit_id: Any, errors: dict) -> dict[str, Any]:
    # The id is echoed so the phone can match the answer; anything but a short string is not an id.
    if isinstance(visit_id, uuid.UUID):
        visit_id = str(visit_id)
    echoed = visit_id if isinstance(visit_id, str) and len(visit_id) <= 64 else None
    return {"id": echoed, "status": INVALID, "errors": errors}


def list_visits(actor: Actor, params: dict[str, Any]) -> tuple[list[dict[str, Any]], str | None]:
    """A page of the visits `actor` may see, newest first, with the cursor of the next page (audited)."""
    params = dict(params)
    cursor = params.pop("cursor", None)
    after = None
    if cursor:
        received_at, visit_id = decode_cursor(cursor, 2)
        try:
            after = (datetime.fromisoformat(received_at), uuid.UUID(visit_id))
        except (TypeError, ValueError) as error:
            raise invalid_cursor() from error
    visits = queries.list_visits(actor=actor, after=after, **params)
    next_cursor = None
    if len(visits) == params["limit"]:
        next_cursor = encode_cursor([visits[-1]["received_at"].isoformat(), str(visits[-1]["id"])])
    record("visit.list", object_type="visit", changes={"count": len(visits)})
    return visits, next_cursor


def get_visit(actor: Actor, visit_id: uuid.UUID) -> dict[str, Any]:
    """One visit within the actor's reach (404 otherwise), audited."""
    visit = queries.get_visit(actor=actor, visit_id=visit_id)
    if visit is None:
        raise AppError(NOT_FOUND)
    record("visit.read", object_type="visit", object_id=visit_id)
    return visit
