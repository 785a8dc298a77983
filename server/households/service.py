"""Household use cases: scoped listing and search, detail, edits under optimistic concurrency, members,
merging duplicates, and the CSV export. Services flush only; the route commits.

Every write checks the caller's `If-Match` version against the row locked `FOR UPDATE`, bumps
`version`, and records the change (before/after) in the audit log.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from server.audit.service import record
from server.auth.access import Actor, region_in_scope
from server.auth.masking import IDENTITY_ROLES
from server.campaigns import queries as campaign_queries
from server.errors import (
    FORBIDDEN,
    HOUSEHOLD_MERGED,
    HOUSEHOLD_STALE,
    MEMBER_NIK_TAKEN,
    NOT_FOUND,
    AppError,
    validation_error,
)
from server.extensions import db
from server.history import service as history
from server.history.queries import HOUSEHOLD_FIELDS, MEMBER_FIELDS
from server.households import queries
from server.households.models import Household, Member
from server.households.schemas import HouseholdDetailSchema, HouseholdSummarySchema, MemberSchema
from server.pagination import decode_cursor, encode_cursor, invalid_cursor
from server.regions import queries as region_queries
from server.types import ChangeSource, HouseholdFlag, Presence, RegistryStatus, Role, TombstoneReason

# What an enumerator may correct directly; the rest goes through a visit and its review.
ENUMERATOR_FIELDS = frozenset({"head_name", "address", "rt", "rw", "location"})
MERGE_ROLES = frozenset({Role.ADMIN, Role.SUPERVISOR})


def masked_for(actor: Actor) -> bool:
    return actor.role not in IDENTITY_ROLES


def list_households(actor: Actor, params: dict[str, Any]) -> tuple[list[dict], str | None]:
    """A page of households the actor may see, and the cursor of the next page (None at the end)."""
    q = (params.get("q") or "").strip()
    digits = q.replace(" ", "")
    all_digits = digits.isascii() and digits.isdigit()  # 0-9 only: '²'.isdigit() is true too
    number = digits if all_digits and len(digits) == 16 else None
    name = q if q and number is None else None
    if name is not None and all_digits:
        raise validation_error({"q": ["NIK / No. KK harus 16 angka / NIK or No. KK must be 16 digits"]})
    if number is not None and masked_for(actor):
        # Whoever sees numbers masked must not be able to test a full number against the registry either.
        raise AppError(FORBIDDEN, details={"q": "search by NIK / No. KK needs an identity role"})
    sort = params.get("sort")
    by_score = name is not None and not sort
    keyset = None if by_score else queries.SORTS[sort or "region"]
    after = None
    if by_score and params.get("cursor"):
        after = decode_cursor(params["cursor"], 2)
        try:
            float(after[0])
            uuid.UUID(str(after[-1]))
        except (TypeError, ValueError) as error:
            raise invalid_cursor() from error
    elif keyset is not None:
        after = keyset.after(params.get("cursor"))
    limit = params["limit"]
    rows = queries.list_households(
        actor=actor,
        region=params.get("region"),
        registry_statuses=_split(params.get("registry_status")),
        verification_statuses=_split(params.get("verification_status")),
        deciles=[int(value) for value in _split(params.get("decile")) or []] or None,
        flag=params.get("flag"),
        program=params.get("program"),
        has_stacking=params.get("has_stacking"),
        has_no_aid=params.get("has_no_aid"),
        assigned=params.get("assigned"),
        enumerator_id=params.get("enumerator_id"),
        number=number,
        name=name,
        sort=sort,
        after=after,
        limit=limit,
    )
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        last = rows[-1]
        next_cursor = keyset.cursor_of(last) if keyset else encode_cursor([last["score"], str(last["id"])])
    # A page of names (and numbers) is a bulk read of personal data: who looked, how, how many. The search
    # text itself stays out of the log (it may be a NIK).
    filters = {key: str(value) for key, value in params.items() if key not in ("q", "cursor")}
    search = "number" if number else ("name" if name else None)
    record("household.list", object_type="household", changes={"rows": len(rows), "search": search, **filters})
    return HouseholdSummarySchema(many=True, masked=masked_for(actor)).dump(rows), next_cursor


def _split(value: str | None) -> list[str] | None:
    if not value:
        return None
    return [part.strip() for part in value.split(",") if part.strip()]


def household_detail(actor: Actor, household_id: uuid.UUID, *, audit_read: bool = True) -> dict[str, Any]:
    """The household with members, aid receipts and visit history (an enumerator sees only their visits)."""
    row = queries.get_household_summary(actor=actor, household_id=household_id)
    if row is None:
        raise AppError(NOT_FOUND)
    row["members"] = queries.members_of(household_id=household_id)
    row["aid"] = queries.aid_of(household_id=household_id)
    row["visits"] = queries.visits_of(
        household_id=household_id, enumerator_id=actor.user_id if actor.role == Role.ENUMERATOR else None
    )
    if audit_read:  # after a write, the write's own audit row already says who touched it
        record("household.read", object_type="household", object_id=household_id)
    return HouseholdDetailSchema(masked=masked_for(actor)).dump(row)


def _locked(actor: Actor, household_id: uuid.UUID, expected_version: int) -> Household:
    household = queries.lock_household(actor=actor, household_id=household_id)
    if household is None:
        raise AppError(NOT_FOUND)
    if household.version != expected_version:
        raise AppError(
            HOUSEHOLD_STALE, details={"current_version": household.version, "your_version": expected_version}
        )
    return household


def _bump(household: Household) -> None:
    household.version = household.version + 1
    household.updated_at = datetime.now(UTC)


def update_household(
    actor: Actor, household_id: uuid.UUID, expected_version: int, changes: dict[str, Any]
) -> dict[str, Any]:
    """Apply field changes to a household at the version the caller saw; returns the new detail."""
    if actor.role == Role.ENUMERATOR:
        refused = sorted(set(changes) - ENUMERATOR_FIELDS)
        if refused:
            raise AppError(FORBIDDEN, details={"fields": refused})
    household = _locked(actor, household_id, expected_version)
    if "region_code" in changes:
        _check_region(actor, changes["region_code"])
    if household.registry_status == RegistryStatus.MERGED:
        raise AppError(HOUSEHOLD_MERGED, details={"merged_into_id": str(household.merged_into_id)})
    before_location = _location_of(household_id)
    diff: dict[str, tuple[Any, Any]] = {}
    for field, value in changes.items():
        if field == "location":
            after = None if value is None else {"lon": value["lon"], "lat": value["lat"]}
            if after != before_location:
                queries.set_location(
                    household=household,
                    lon=None if value is None else value["lon"],
                    lat=None if value is None else value["lat"],
                )
                household.location_accuracy_m = None if value is None else value.get("accuracy_m")
                diff["location"] = (before_location, after)
            continue
        current = getattr(household, field)
        current_value = current.value if hasattr(current, "value") else current
        if current_value != value:
            diff[field] = (current_value, value)
            setattr(household, field, value)
    if diff:
        _bump(household)
        db.session.flush()
        record("household.update", object_type="household", object_id=household.id, changes=diff)
        history.record_applied(
            household.id,
            {field: change for field, change in diff.items() if field in HOUSEHOLD_FIELDS},
            version=household.version,
            source=ChangeSource.STAFF_EDIT,
            actor_id=actor.user_id,
        )
    return household_detail(actor, household_id, audit_read=False)


def _location_of(household_id: uuid.UUID) -> dict | None:
    row = queries.get_household_summary(
        actor=Actor(user_id=0, username="", role=Role.ADMIN, region_codes=(), device_id=None),
        household_id=household_id,
    )
    if row is None or row["lon"] is None:
        return None
    return {"lon": row["lon"], "lat": row["lat"]}


def _check_region(actor: Actor, code: str) -> None:
    if not region_queries.is_village(code=code):
        raise validation_error({"region_code": ["Kode kelurahan tidak dikenal / unknown kelurahan code"]})
    if actor.role != Role.ENUMERATOR and not region_in_scope(actor, code):
        raise validation_error({"region_code": ["Di luar wilayah Anda / outside your area"]})


NIK_DUPLICATE = HouseholdFlag.NIK_DUPLICATE.value


def _check_nik(nik: str | None, household: Household) -> None:
    """A NIK twice in one household is refused; a NIK listed in another household is accepted and both are
    flagged `nik_duplicate` for review (never merged, and the other household is not named to the caller)."""
    if not nik:
        return
    if any(member.nik == nik and member.presence_status != Presence.REMOVED for member in household.members):
        raise AppError(MEMBER_NIK_TAKEN, details={"fields": {"nik": [MEMBER_NIK_TAKEN.message]}})
    elsewhere = queries.households_with_nik(nik=nik, excluding=household.id)
    if elsewhere:
        ids = [household.id, *(other.id for other in elsewhere)]
        flagged = queries.add_flag(household_ids=ids, flag=NIK_DUPLICATE)
        record(
            "household.flag",
            object_type="household",
            object_id=household.id,
            changes={"flag": NIK_DUPLICATE, "households": len(ids), "newly_flagged": flagged},
        )


def flag_field_niks(reported: list[tuple[uuid.UUID, str]]) -> int:
    """New members reported at the door (a visit) with a NIK another household lists: both households are
    flagged `nik_duplicate` for review, never merged. Returns how many households got the flag."""
    households = queries.households_sharing_niks(reported=reported)
    flagged = queries.add_flag(household_ids=sorted(households, key=str), flag=NIK_DUPLICATE)
    if flagged:
        record("household.flag", object_type="household", changes={"flag": NIK_DUPLICATE, "households": flagged})
    return flagged


def add_member(actor: Actor, household_id: uuid.UUID, expected_version: int, data: dict[str, Any]) -> dict:
    household = _locked(actor, household_id, expected_version)
    _check_nik(data.get("nik"), household)
    member = Member(household_id=household.id, presence_status=Presence.NEW, **data)
    db.session.add(member)
    _bump(household)
    db.session.flush()
    record(
        "member.create",
        object_type="member",
        object_id=member.id,
        changes={field: (None, value) for field, value in data.items()} | {"household_id": (None, str(household.id))},
    )
    history.record_applied(
        household.id,
        {history.MEMBER_CREATED: (None, {field: getattr(member, field) for field in MEMBER_FIELDS})},
        member_id=member.id,
        version=household.version,
        source=ChangeSource.STAFF_EDIT,
        actor_id=actor.user_id,
    )
    return MemberSchema(masked=masked_for(actor)).dump(member)


def update_member(
    actor: Actor, household_id: uuid.UUID, member_id: uuid.UUID, expected_version: int, data: dict[str, Any]
) -> dict:
    household = _locked(actor, household_id, expected_version)
    member = queries.get_member(household_id=household.id, member_id=member_id)
    if member is None:
        raise AppError(NOT_FOUND)
    if data.get("nik") and data["nik"] != member.nik:
        _check_nik(data["nik"], household)
    diff = {}
    for field, value in data.items():
        current = getattr(member, field)
        current_value = current.value if hasattr(current, "value") else current
        if current_value != value:
            diff[field] = (current_value, value)
            setattr(member, field, value)
    if diff:
        member.updated_at = datetime.now(UTC)
        _bump(household)
        db.session.flush()
        record("member.update", object_type="member", object_id=member.id, changes=diff)
        history.record_applied(
            household.id,
            {field: change for field, change in diff.items() if field in MEMBER_FIELDS},
            member_id=member.id,
            version=household.version,
            source=ChangeSource.STAFF_EDIT,
            actor_id=actor.user_id,
        )
    return MemberSchema(masked=masked_for(actor)).dump(member)


def merge_households(
    actor: Actor,
    survivor_id: uuid.UUID,
    expected_version: int,
    duplicate_id: uuid.UUID,
    duplicate_version: int | None,
    reason: str | None,
) -> dict[str, Any]:
    """Merge `duplicate_id` into `survivor_id`: the duplicate becomes a `merged` tombstone pointing at it."""
    if duplicate_id == survivor_id:
        raise validation_error({"duplicate_id": ["Tidak bisa digabung dengan dirinya / cannot merge into itself"]})
    # Lock in a fixed order so two opposite merges cannot deadlock.
    first, second = sorted([survivor_id, duplicate_id], key=str)
    locked = {}
    for household_id in (first, second):
        household = queries.lock_household(actor=actor, household_id=household_id)
        if household is None:
            raise AppError(NOT_FOUND, details={"household_id": str(household_id)})
        locked[household_id] = household
    survivor, loser = locked[survivor_id], locked[duplicate_id]
    if survivor.version != expected_version:
        raise AppError(HOUSEHOLD_STALE, details={"current_version": survivor.version})
    if duplicate_version is not None and loser.version != duplicate_version:
        raise AppError(HOUSEHOLD_STALE, details={"duplicate_current_version": loser.version})
    for household, field in ((survivor, "id"), (loser, "duplicate_id")):
        if household.registry_status == RegistryStatus.MERGED:
            raise validation_error({field: ["Sudah digabung / already merged"]})
    now = datetime.now(UTC)
    moved = queries.move_members_and_aid(loser=loser, survivor=survivor)
    before_status = loser.registry_status.value if hasattr(loser.registry_status, "value") else loser.registry_status
    loser.registry_status = RegistryStatus.MERGED
    loser.merged_into_id = survivor.id
    _bump(loser)
    _bump(survivor)
    ended = campaign_queries.end_all_assignments(household_id=loser.id, at=now)
    queries.add_tombstone(household_id=loser.id, reason=TombstoneReason.MERGED, merged_into_id=survivor.id)
    db.session.flush()
    history.record_applied(
        loser.id,
        {
            "registry_status": (before_status, RegistryStatus.MERGED.value),
            "merged_into_id": (None, str(survivor_id)),
        },
        version=loser.version,
        source=ChangeSource.MERGE,
        source_id=survivor_id,
        actor_id=actor.user_id,
        reason=reason,
    )
    db.session.expire_all()
    record(
        "household.merge",
        object_type="household",
        object_id=loser.id,
        changes={
            "registry_status": (before_status, RegistryStatus.MERGED.value),
            "merged_into_id": (None, str(survivor_id)),
            "reason": reason,
            "assignments_ended": ended,
            **moved,
        },
    )
    return {
        "survivor": household_detail(actor, survivor_id, audit_read=False),
        "merged": {"id": str(duplicate_id), **moved},
    }


def export_households(actor: Actor, region: str | None) -> tuple[int, Iterator[tuple]]:
    """Rows (one per member) for the CSV export; the export itself is audited as a bulk read of personal data."""
    count = queries.count_export(actor=actor, region=region)
    record(
        "household.export",
        object_type="household",
        changes={"format": "csv", "region": region or "*", "rows": count},
    )
    return count, queries.export_rows(actor=actor, region=region)
