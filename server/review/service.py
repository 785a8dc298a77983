"""Review use cases, callable without HTTP (plain functions taking an actor and parameters): the queue and its
facets, a visit's review detail, decisions (`decide`, one visit; `bulk_decide`, many), claims, and the
superseding of visits sent back for a revisit when the new visit arrives.

`decide` is the one place a decision is taken, whoever takes it: a reviewer (routes), a bulk decision, or a
campaign's review policy (auto-approval; pass `actor=None, via=ReviewVia.POLICY`). What approval does per
outcome is the table `catalog.APPROVAL_EFFECTS`; data corrections are applied at once, eligibility
changes proposed for the musyawarah; both land in the registry change history (server/history/).
Services flush only; the request (or the job runner) commits.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from server.audit.service import record
from server.auth.access import Actor
from server.errors import (
    NOT_FOUND,
    REVIEW_CLAIMED,
    REVIEW_DECIDED,
    REVIEW_STALE,
    REVIEW_TARGET_REQUIRED,
    AppError,
    validation_error,
)
from server.extensions import db
from server.history import service as history
from server.history.queries import MEMBER_FIELDS
from server.households.models import Household, Member
from server.households.queries import add_tombstone
from server.pagination import decode_cursor, encode_cursor
from server.review import catalog, queries
from server.types import (
    ChangeSource,
    HouseholdSource,
    Outcome,
    Presence,
    RegistryStatus,
    ReviewStatus,
    ReviewVia,
    TombstoneReason,
)
from server.visits.models import Visit

DECIDABLE = (ReviewStatus.PENDING.value, ReviewStatus.REVISIT.value)
STATUS_AFTER = {"approve": ReviewStatus.APPROVED, "reject": ReviewStatus.REJECTED, "revisit": ReviewStatus.REVISIT}
CLAIM_MINUTES = 15


def _value(value: Any) -> Any:
    return value.value if hasattr(value, "value") else value


# --- the queue --------------------------------------------------------------------------------------------


def queue(actor: Actor, params: dict[str, Any]) -> tuple[list[dict[str, Any]], str | None]:
    """A page of the review queue in the actor's area and the cursor of the next page (audited)."""
    params = dict(params)
    limit = params.pop("limit", 50)
    by_date = params.get("sort") == "date"
    after = None
    if params.get("cursor"):
        key = decode_cursor(params["cursor"], 2 if by_date else 3)
        try:
            after = (
                [datetime.fromisoformat(key[0]), uuid.UUID(key[1])]
                if by_date
                else [
                    int(key[0]),
                    datetime.fromisoformat(key[1]),
                    uuid.UUID(key[2]),
                ]
            )
        except (TypeError, ValueError) as error:
            raise validation_error({"cursor": ["Kursor tidak valid / invalid cursor"]}) from error
    rows = queries.queue_page(actor=actor, params=params, after=after, limit=limit)
    next_cursor = None
    if len(rows) == limit:
        last = rows[-1]
        key = [last["received_at"].isoformat(), str(last["id"])]
        next_cursor = encode_cursor(key if by_date else [last["priority"], *key])
    for row in rows:
        row["claimed"] = bool(
            row["claimed_until"] and row["claimed_until"] > datetime.now(UTC) and row["claimed_by_id"] != actor.user_id
        )
    record("review.queue", object_type="visit", changes={"rows": len(rows), **_filter_words(params)})
    return rows, next_cursor


def facets(actor: Actor, params: dict[str, Any]) -> dict[str, dict[str, int]]:
    """Counts per status, outcome, kelurahan, enumerator and flag under the current filter."""
    return queries.queue_facets(actor=actor, params=params)


def _filter_words(params: dict[str, Any]) -> dict[str, Any]:
    return {key: str(value) for key, value in params.items() if key != "cursor" and value not in (None, [], False)}


# --- the detail -------------------------------------------------------------------------------------------


def review_detail(actor: Actor, visit_id: uuid.UUID) -> dict[str, Any]:
    """Everything a reviewer weighs: the visit, the household now / at the visit's base version / as found,
    field by field, the declared photos and their state, earlier visits, decisions and the change history."""
    visit = queries.get_visit_in_scope(actor=actor, visit_id=visit_id)
    if visit is None:
        raise AppError(NOT_FOUND)
    now = history.household_now(visit.household_id)
    base = history.household_at_version(visit.household_id, visit.base_version) if visit.base_version else None
    photos = queries.photos_of(visit_id=visit_id)
    for photo in photos:
        photo["state"] = "uploaded" if photo["uploaded_at"] else "missing"
    point = queries.visit_point(visit_id=visit_id)
    detail = {
        "visit": {
            **{
                column.key: getattr(visit, column.key) for column in Visit.__table__.columns if column.key != "location"
            },
            "location": None
            if point is None
            else {"lon": point[0], "lat": point[1], "accuracy_m": visit.location_accuracy_m},
        },
        "household_now": now,
        "household_at_base": base,
        "comparison": _comparison(visit, now, base),
        "photos": photos,
        "earlier_visits": queries.earlier_visits(household_id=visit.household_id, excluding=visit.id),
        "reviews": queries.reviews_of(visit_id=visit_id),
        "changes": history.history_of(visit.household_id, limit=200),
        "pending_changes": history.pending_of(visit.household_id),
        "target_candidates": [],
    }
    household = queries.household_in_scope(actor=None, household_id=visit.household_id)
    if _value(visit.outcome) in (Outcome.DUPLICATE, Outcome.MERGED) or household.source == HouseholdSource.FIELD:
        detail["target_candidates"] = queries.target_candidates(
            actor=actor, household_id=visit.household_id, visit_id=visit.id
        )
    record("visit.review_read", object_type="visit", object_id=visit_id)
    return detail


def _comparison(visit: Visit, now: dict | None, base: dict | None) -> list[dict[str, Any]]:
    """Field by field: the registry now, at the visit's base version, and what the field found."""
    rows: list[dict[str, Any]] = []
    if now is None:
        return rows
    base_household = (base or {}).get("household", {})
    for field, value in now["household"].items():
        rows.append(
            {"member_id": None, "field": field, "now": value, "at_base": base_household.get(field), "found": None}
        )
    base_members = (base or {}).get("members", {})
    reported = {str(m.get("member_id")): m for m in (visit.answers or {}).get("members", []) if m.get("member_id")}
    for member_id, fields in now["members"].items():
        found = reported.get(member_id, {})
        for field, value in fields.items():
            seen = found.get("presence") if field == "presence_status" else found.get(field)
            rows.append(
                {
                    "member_id": member_id,
                    "field": field,
                    "now": value,
                    "at_base": base_members.get(member_id, {}).get(field),
                    "found": seen,
                }
            )
    for new in (visit.answers or {}).get("members", []):
        if new.get("presence") == Presence.NEW:
            rows.append({"member_id": None, "field": "member", "now": None, "at_base": None, "found": new})
    return rows


# --- decisions --------------------------------------------------------------------------------------------


def _check_reason(decision: str, reason_code: str | None) -> None:
    if decision not in catalog.DECISIONS:
        raise validation_error({"decision": [f"Salah satu dari / one of {', '.join(catalog.DECISIONS)}"]})
    if reason_code is None:
        if decision != "approve":
            raise validation_error(
                {"reason_code": ["Wajib untuk tolak / kunjungi ulang / required to reject or revisit"]}
            )
        return
    allowed = catalog.REASON_CODES.get(reason_code)
    if allowed is None or (decision != "approve" and decision not in allowed):
        raise validation_error({"reason_code": ["Kode alasan tidak dikenal / unknown reason code"]})


def decide(
    actor: Actor | None,
    visit_id: uuid.UUID,
    decision: str,
    *,
    expected_version: int | None = None,
    reason_code: str | None = None,
    comment: str | None = None,
    target_household_id: uuid.UUID | None = None,
    via: ReviewVia = ReviewVia.REVIEWER,
) -> dict[str, Any]:
    """Take one review decision (approve / reject / revisit) on a visit and do what it means.

    `actor` None is a campaign policy (every area); otherwise the visit must lie in the actor's area (404).
    `expected_version` is the visit's `review_version` the caller saw (412 `review.stale_version` when
    someone decided since; None skips the check). Reject and revisit need a catalogue `reason_code`.
    Approving a duplicate / merged outcome needs the target household (`target_household_id`, else the
    push's `duplicate_of`; 422 `review.target_required` otherwise). Returns what was done."""
    _check_reason(decision, reason_code)
    visit = queries.lock_visit(actor=actor, visit_id=visit_id)
    if visit is None:
        raise AppError(NOT_FOUND)
    if expected_version is not None and visit.review_version != expected_version:
        raise AppError(
            REVIEW_STALE,
            details={"current_version": visit.review_version, "review_status": _value(visit.review_status)},
        )
    if _value(visit.review_status) not in DECIDABLE:
        raise AppError(REVIEW_DECIDED, details={"review_status": _value(visit.review_status)})
    household = queries.lock_household(household_id=visit.household_id)
    actor_id = actor.user_id if actor else None
    at = datetime.now(UTC)
    outcome = {"applied": [], "proposed": [], "superseded": []}
    if decision == "approve":
        outcome.update(_approve(visit, household, actor, actor_id, target_household_id))
        outcome["superseded"] = supersede(
            queries.other_pending_visits(household_id=household.id, excluding=visit.id), by=visit.id, at=at
        )
    elif decision == "reject":
        _reject(visit, household, actor_id)
    else:
        household.verification_status = "revisit"
        household.updated_at = at
    visit.review_status = STATUS_AFTER[decision]
    visit.reviewed_by_id = actor_id
    visit.reviewed_at = at
    visit.review_comment = comment
    visit.review_reason_code = reason_code
    visit.review_version = visit.review_version + 1
    visit.claimed_by_id = None
    visit.claimed_until = None
    queries.add_reviews(
        rows=[
            {
                "visit_id": visit.id,
                "reviewer_id": actor_id,
                "decision": decision,
                "reason_code": reason_code,
                "comment": comment,
                "via": via.value,
                "created_at": at,
            }
        ]
    )
    db.session.flush()
    record(
        "visit.review",
        object_type="visit",
        object_id=visit.id,
        changes={
            "decision": decision,
            "reason_code": reason_code,
            "via": via.value,
            "household_id": str(household.id),
            "outcome": _value(visit.outcome),
            "applied": len(outcome["applied"]),
            "proposed": len(outcome["proposed"]),
            "superseded": [str(other) for other in outcome["superseded"]],
        },
        actor_username=None if actor else via.value,
    )
    return {
        "id": visit.id,
        "household_id": household.id,
        "decision": decision,
        "review_status": _value(visit.review_status),
        "review_version": visit.review_version,
        "household_version": household.version,
        **outcome,
    }


def supersede(visits: list[Visit], *, by: uuid.UUID, at: datetime | None = None) -> list[uuid.UUID]:
    """Visits replaced by a later one (a decided visit of the same household, or the revisit's new visit):
    kept and visible with status `superseded`, a history row each, audited."""
    if not visits:
        return []
    at = at or datetime.now(UTC)
    for visit in visits:
        visit.review_status = ReviewStatus.SUPERSEDED
        visit.review_version = visit.review_version + 1
        visit.reviewed_at = at
    queries.add_reviews(
        rows=[
            {
                "visit_id": visit.id,
                "reviewer_id": None,
                "decision": "supersede",
                "reason_code": None,
                "comment": f"superseded by {by}",
                "via": ReviewVia.SYSTEM.value,
                "created_at": at,
            }
            for visit in visits
        ]
    )
    db.session.flush()
    for visit in visits:
        record("visit.supersede", object_type="visit", object_id=visit.id, changes={"superseded_by": str(by)})
    return [visit.id for visit in visits]


def supersede_revisits(new_visits: dict[uuid.UUID, uuid.UUID]) -> list[uuid.UUID]:
    """A new visit of a household sent back for a revisit supersedes the visit sent back.
    `new_visits`: {household id: the new visit's id}."""
    superseded: list[uuid.UUID] = []
    old = queries.revisit_visits_of(household_ids=list(new_visits))
    for household_id, new_id in new_visits.items():
        superseded += supersede([visit for visit in old if visit.household_id == household_id], by=new_id)
    return superseded


def _bump(household: Household) -> None:
    household.version = household.version + 1
    household.updated_at = datetime.now(UTC)


def _target(actor: Actor | None, visit: Visit, household: Household, target_id: uuid.UUID | None) -> Household:
    answers = visit.answers or {}
    if target_id is None and answers.get("duplicate_of"):
        target_id = uuid.UUID(answers["duplicate_of"])
    target = queries.household_in_scope(actor=actor, household_id=target_id) if target_id else None
    if target is None or target.id == household.id or target.registry_status == RegistryStatus.MERGED:
        candidates = queries.target_candidates(actor=actor, household_id=household.id, visit_id=visit.id, limit=5)
        raise AppError(
            REVIEW_TARGET_REQUIRED,
            details={
                "fields": {"target_household_id": [REVIEW_TARGET_REQUIRED.message]},
                "candidates": [str(candidate["id"]) for candidate in candidates],
            },
        )
    return target


def _approve(
    visit: Visit, household: Household, actor: Actor | None, actor_id: int | None, target_id: uuid.UUID | None
) -> dict[str, list]:
    answers = visit.answers or {}
    source = {"source": ChangeSource.REVIEW, "source_id": visit.id}
    applied: dict[tuple[uuid.UUID | None, str], tuple[Any, Any]] = {}
    proposed: dict[tuple[uuid.UUID | None, str], tuple[Any, Any]] = {}
    if household.source == HouseholdSource.FIELD and household.registry_status == RegistryStatus.PROPOSED:
        return _approve_field_proposal(visit, household, actor, actor_id, target_id)
    effect = catalog.APPROVAL_EFFECTS[Outcome(_value(visit.outcome))]
    members = queries.members_of(household_id=household.id)
    if effect.corrections:
        accurate = (visit.location_accuracy_m or 1e9) <= catalog.LOCATION_ACCURACY_M
        if household.location is None and visit.location is not None and accurate:
            queries.set_location_from_visit(household_id=household.id, visit_id=visit.id)
            point = queries.visit_point(visit_id=visit.id)
            applied[(None, "location")] = (None, {"lon": round(point[0], 7), "lat": round(point[1], 7)})
        if answers.get("house_condition"):
            before = _latest_house_condition(household.id)
            if before != answers["house_condition"]:
                applied[(None, "house_condition")] = (before, answers["house_condition"])
    if effect.member_presence:
        for reported in answers.get("members", []):
            if reported.get("presence") == Presence.NEW:
                new = {field: reported.get(field) for field in MEMBER_FIELDS if field != "presence_status"}
                proposed[(None, history.MEMBER_CREATED)] = proposed.get((None, history.MEMBER_CREATED), (None, []))
                proposed[(None, history.MEMBER_CREATED)][1].append({**new, "presence_status": Presence.PRESENT.value})
                continue
            member = members.get(uuid.UUID(str(reported["member_id"]))) if reported.get("member_id") else None
            if member is None:
                continue
            for field in catalog.MEMBER_CORRECTIONS:
                if field not in reported or reported[field] is None:
                    continue
                current = history.json_value(getattr(member, field))
                if current != reported[field]:
                    applied[(member.id, field)] = (current, reported[field])
                    setattr(member, field, _member_value(field, reported[field]))
            presence = reported.get("presence")
            if presence and presence != _value(member.presence_status):
                proposed[(member.id, "presence_status")] = (_value(member.presence_status), presence)
    if effect.all_members:
        for member in members.values():
            if _value(member.presence_status) == Presence.PRESENT:
                proposed[(member.id, "presence_status")] = (Presence.PRESENT.value, effect.all_members)
    if effect.registry_status is not None:
        proposed[(None, "registry_status")] = (_value(household.registry_status), effect.registry_status.value)
        if effect.needs_target:
            target = _target(actor, visit, household, target_id)
            proposed[(None, "merged_into_id")] = (None, str(target.id))
        moved_to = answers.get("moved_to") or {}
        for field in ("address", "rt", "rw", "region_code"):
            if moved_to.get(field) and moved_to[field] != getattr(household, field):
                proposed[(None, field)] = (getattr(household, field), moved_to[field])
    household.verification_status = effect.verification
    household.updated_at = datetime.now(UTC)
    if applied:
        _bump(household)
        db.session.flush()
        _record_applied(household, applied, actor_id, source)
    for (member_id, field), change in proposed.items():
        if field == history.MEMBER_CREATED:
            for new in change[1]:
                history.propose(household.id, {field: (None, new)}, **source)
        else:
            history.propose(household.id, {field: change}, member_id=member_id, **source)
    if proposed:
        record(
            "household.propose",
            object_type="household",
            object_id=household.id,
            changes={
                f"{member_id or ''}:{field}" if member_id else field: change
                for (member_id, field), change in proposed.items()
            },
        )
    return {
        "applied": [{"member_id": m, "field": f} for m, f in applied],
        "proposed": [{"member_id": m, "field": f} for m, f in proposed],
    }


def _member_value(field: str, value: Any) -> Any:
    if field == "birth_date" and isinstance(value, str):
        return datetime.fromisoformat(value).date()
    return value


def _latest_house_condition(household_id: uuid.UUID) -> Any:
    for change in history.history_of(household_id, limit=None):
        if change["field"] == "house_condition" and change["state"] in ("applied", "accepted"):
            return change["new_value"]
    return None


def _record_applied(household: Household, applied: dict, actor_id: int | None, source: dict) -> None:
    by_member: dict[uuid.UUID | None, dict[str, tuple[Any, Any]]] = {}
    for (member_id, field), change in applied.items():
        by_member.setdefault(member_id, {})[field] = change
    for member_id, diff in by_member.items():
        history.record_applied(
            household.id, diff, member_id=member_id, version=household.version, actor_id=actor_id, **source
        )
        record(
            "member.update" if member_id else "household.update",
            object_type="member" if member_id else "household",
            object_id=member_id or household.id,
            changes={**diff, "source": f"review:{source['source_id']}"},
        )


def _approve_field_proposal(
    visit: Visit, household: Household, actor: Actor | None, actor_id: int | None, target_id: uuid.UUID | None
) -> dict[str, list]:
    """A household found in the field: merged into an existing one (target named), or accepted: its
    members are created (it is a proposal itself) and its entry into the registry proposed."""
    source = {"source": ChangeSource.REVIEW, "source_id": visit.id}
    if target_id is not None:
        target = _target(actor, visit, household, target_id)
        before = _value(household.registry_status)
        household.registry_status = RegistryStatus.MERGED
        household.merged_into_id = target.id
        household.verification_status = "approved"
        _bump(household)
        add_tombstone(household_id=household.id, reason=TombstoneReason.MERGED, merged_into_id=target.id)
        db.session.flush()
        diff = {"registry_status": (before, RegistryStatus.MERGED.value), "merged_into_id": (None, str(target.id))}
        history.record_applied(household.id, diff, version=household.version, actor_id=actor_id, **source)
        record("household.merge", object_type="household", object_id=household.id, changes=diff)
        return {"applied": [{"member_id": None, "field": field} for field in diff], "proposed": []}
    _bump(household)
    created = []
    for reported in (visit.answers or {}).get("members", []):
        if reported.get("presence") != Presence.NEW or not reported.get("name"):
            continue
        member = Member(
            household_id=household.id,
            name=reported["name"],
            nik=reported.get("nik"),
            sex=reported.get("sex") or 1,
            birth_date=_member_value("birth_date", reported.get("birth_date")),
            relationship_code=reported.get("relationship_code") or 8,
            presence_status=Presence.PRESENT,
        )
        db.session.add(member)
        created.append(member)
    household.verification_status = "approved"
    db.session.flush()
    for member in created:
        history.record_applied(
            household.id,
            {history.MEMBER_CREATED: (None, {field: getattr(member, field) for field in MEMBER_FIELDS})},
            member_id=member.id,
            version=household.version,
            actor_id=actor_id,
            **source,
        )
        record("member.create", object_type="member", object_id=member.id, changes={"nik": (None, member.nik)})
    history.propose(household.id, {"registry_status": (RegistryStatus.PROPOSED.value, "active")}, **source)
    return {
        "applied": [{"member_id": member.id, "field": history.MEMBER_CREATED} for member in created],
        "proposed": [{"member_id": None, "field": "registry_status"}],
    }


def _reject(visit: Visit, household: Household, actor_id: int | None) -> None:
    """Not accepted as a finding: nothing changes in the registry; the household is to be visited again
    (a field proposal is dropped: removed, and the phones told to forget it)."""
    if household.source == HouseholdSource.FIELD and household.registry_status == RegistryStatus.PROPOSED:
        household.registry_status = RegistryStatus.REMOVED
        _bump(household)
        add_tombstone(household_id=household.id, reason=TombstoneReason.REMOVED, merged_into_id=None)
        db.session.flush()
        history.record_applied(
            household.id,
            {"registry_status": (RegistryStatus.PROPOSED.value, RegistryStatus.REMOVED.value)},
            version=household.version,
            actor_id=actor_id,
            source=ChangeSource.REVIEW,
            source_id=visit.id,
        )
        return
    household.verification_status = "unverified"
    household.updated_at = datetime.now(UTC)


# --- bulk ---------------------------------------------------------------------------------------------------

BULK_INLINE_MAX = 200
BULK_MAX = 20_000


def bulk_decide(
    actor: Actor,
    decision: str,
    *,
    ids: list[uuid.UUID] | None = None,
    params: dict[str, Any] | None = None,
    reason_code: str | None = None,
    comment: str | None = None,
    progress: Any = None,
) -> dict[str, Any]:
    """One decision on many visits (by ids, or every visit under a queue filter), one result per visit:
    `decided`, or `refused` with the error code (a visit decided meanwhile, a duplicate without target…).
    Each visit is decided in its own savepoint, so one refusal spoils nothing else."""
    _check_reason(decision, reason_code)
    if ids is None:
        ids = queries.visit_ids_matching(actor=actor, params=params or {}, limit=BULK_MAX)
    results: list[dict[str, Any]] = []
    counts = {"decided": 0, "refused": 0}
    for done, visit_id in enumerate(ids, start=1):
        try:
            with db.session.begin_nested():
                decided = decide(
                    actor,
                    visit_id,
                    decision,
                    reason_code=reason_code,
                    comment=comment,
                    via=ReviewVia.BULK,
                )
            results.append({"id": str(visit_id), "status": "decided", "review_status": decided["review_status"]})
            counts["decided"] += 1
        except AppError as error:
            results.append({"id": str(visit_id), "status": "refused", "code": error.kind.code})
            counts["refused"] += 1
        if progress is not None and done % 50 == 0:
            progress.advance(done, len(ids))
    record(
        "visit.review_bulk",
        object_type="visit",
        changes={"decision": decision, "reason_code": reason_code, **counts},
    )
    return {"decision": decision, "counts": counts, "results": results}


# --- claims -------------------------------------------------------------------------------------------------


def claim(actor: Actor, visit_id: uuid.UUID, *, minutes: int = CLAIM_MINUTES, release: bool = False) -> dict:
    """Claim a visit for `minutes` (others see it claimed and may filter it out), or release the claim."""
    visit = queries.lock_visit(actor=actor, visit_id=visit_id)
    if visit is None:
        raise AppError(NOT_FOUND)
    now = datetime.now(UTC)
    held_by_other = visit.claimed_until and visit.claimed_until > now and visit.claimed_by_id != actor.user_id
    if release:
        if not held_by_other:
            visit.claimed_by_id = visit.claimed_until = None
    else:
        if held_by_other:
            raise AppError(
                REVIEW_CLAIMED,
                details={"claimed_by_id": visit.claimed_by_id, "claimed_until": visit.claimed_until.isoformat()},
            )
        visit.claimed_by_id = actor.user_id
        visit.claimed_until = now + timedelta(minutes=minutes)
    db.session.flush()
    record("visit.claim", object_type="visit", object_id=visit_id, changes={"release": release})
    return {"id": visit.id, "claimed_by_id": visit.claimed_by_id, "claimed_until": visit.claimed_until}


def change_history(actor: Actor, household_id: uuid.UUID, at_version: int | None = None) -> dict[str, Any]:
    """A household's registry change history (newest first) and, optionally, the household at a version."""
    household = queries.household_in_scope(actor=actor, household_id=household_id)
    if household is None:
        raise AppError(NOT_FOUND)
    result = {
        "household_id": household_id,
        "version": household.version,
        "changes": history.history_of(household_id, limit=1000),
        "at_version": history.household_at_version(household_id, at_version) if at_version else None,
    }
    record("household.history_read", object_type="household", object_id=household_id)
    return result
