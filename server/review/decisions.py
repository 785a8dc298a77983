"""Review decisions: approve / reject / revisit one visit (`decide`) or many at once (`decide_many`,
`bulk_decide`), and what they mean (the table `catalog.APPROVAL_EFFECTS`).

One engine serves both: the visits are locked in one statement, their households, members and house
conditions read in one statement each, the decisions planned in Python, then written set-based (one
multi-row insert of history rows, of review rows, of audit rows; the ORM's batched updates). A decision
that cannot be taken (decided meanwhile, out of reach, a duplicate without its target) is refused for that
visit only, before anything is written. Approval applies data corrections and proposes eligibility
changes (server/history/); the household's other pending visits become `superseded`. Two visits of one
household in one call: the first approved supersedes the second, which is refused `review.already_decided`.
Services flush only; the request (or the job runner) commits.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.util import identity_key

from server.audit.service import record, record_many
from server.auth.access import Actor
from server.errors import (
    NOT_FOUND,
    REVIEW_DECIDED,
    REVIEW_STALE,
    REVIEW_TARGET_REQUIRED,
    AppError,
    translate_integrity,
    validation_error,
)
from server.extensions import db
from server.history import service as history
from server.history.queries import MEMBER_FIELDS
from server.households.models import Household, Member
from server.households.queries import add_tombstone
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
CHUNK = 500  # visits decided per engine call in a bulk decision

Key = tuple[uuid.UUID | None, str]  # (member id or None for the household, field)


def _value(value: Any) -> Any:
    return value.value if hasattr(value, "value") else value


def check_reason(decision: str, reason_code: str | None) -> None:
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


@dataclass
class _Plan:
    """What one decision does, before it is written."""

    visit: Visit
    household: Household
    applied: dict[Key, tuple[Any, Any]] = field(default_factory=dict)
    proposed: list[tuple[Key, tuple[Any, Any]]] = field(default_factory=list)
    location_from_visit: bool = False
    verification: str | None = None  # the household's verification status after the decision (None: unchanged)
    written: list[dict[str, Any]] = field(default_factory=list)  # history rows a special case wrote itself
    superseded: list[uuid.UUID] = field(default_factory=list)
    visit_version: int = 0
    household_version: int = 0


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
    outcome = decide_many(
        actor,
        [visit_id],
        decision,
        expected_versions={visit_id: expected_version} if expected_version is not None else None,
        reason_code=reason_code,
        comment=comment,
        targets={visit_id: target_household_id} if target_household_id else None,
        via=via,
    )[visit_id]
    if isinstance(outcome, AppError):
        raise outcome
    return outcome


def decide_many(
    actor: Actor | None,
    visit_ids: list[uuid.UUID],
    decision: str,
    *,
    expected_versions: dict[uuid.UUID, int] | None = None,
    reason_code: str | None = None,
    comment: str | None = None,
    targets: dict[uuid.UUID, uuid.UUID] | None = None,
    via: ReviewVia = ReviewVia.REVIEWER,
) -> dict[uuid.UUID, dict[str, Any] | AppError]:
    """The same decision on several visits in one pass; per visit id, what was done or the refusal."""
    check_reason(decision, reason_code)
    expected_versions, targets = expected_versions or {}, targets or {}
    at = datetime.now(UTC)
    actor_id = actor.user_id if actor else None
    visits = queries.lock_visits(actor=actor, ids=list(dict.fromkeys(visit_ids)))
    results: dict[uuid.UUID, dict[str, Any] | AppError] = {}
    live: list[Visit] = []
    for visit_id in dict.fromkeys(visit_ids):
        visit = visits.get(visit_id)
        if visit is None:
            results[visit_id] = AppError(NOT_FOUND)
        elif visit_id in expected_versions and visit.review_version != expected_versions[visit_id]:
            results[visit_id] = AppError(
                REVIEW_STALE,
                details={"current_version": visit.review_version, "review_status": _value(visit.review_status)},
            )
        elif _value(visit.review_status) not in DECIDABLE:
            results[visit_id] = AppError(REVIEW_DECIDED, details={"review_status": _value(visit.review_status)})
        else:
            live.append(visit)
    household_ids = sorted({visit.household_id for visit in live}, key=str)
    households = queries.lock_households(ids=household_ids)
    members, house, settings = {}, {}, {}
    if decision == "approve":
        members = queries.members_by_household(ids=household_ids)
        house = queries.latest_house_conditions(ids=household_ids)
        refused = {visit.campaign_id for visit in live if _value(visit.outcome) == Outcome.REFUSED}
        settings = queries.campaign_settings(ids=sorted(campaign for campaign in refused if campaign is not None))
    approved: dict[uuid.UUID, uuid.UUID] = {}  # household → the visit approved for it in this call
    plans: list[_Plan] = []
    for visit in live:
        household = households[visit.household_id]
        if decision == "approve" and household.id in approved:
            results[visit.id] = AppError(REVIEW_DECIDED, details={"review_status": ReviewStatus.SUPERSEDED.value})
            continue
        plan = _Plan(visit, household)
        try:
            if decision == "approve":
                _plan_approval(
                    plan,
                    actor,
                    actor_id,
                    members.get(household.id, {}),
                    house,
                    targets.get(visit.id),
                    at,
                    settings.get(visit.campaign_id) or {},
                )
                approved[household.id] = visit.id
            elif decision == "reject":
                _plan_rejection(plan, actor_id, at)
            else:
                plan.verification = "revisit"
        except AppError as error:
            results[visit.id] = error
            continue
        plans.append(plan)
    _write(plans, decision, approved, actor_id, reason_code, comment, via, at)
    for plan in plans:
        results[plan.visit.id] = {
            "id": plan.visit.id,
            "household_id": plan.household.id,
            "decision": decision,
            "review_status": STATUS_AFTER[decision].value,
            "review_version": plan.visit_version,
            "household_version": plan.household_version,
            "applied": [{"member_id": member_id, "field": name} for member_id, name in plan.applied]
            + [{"member_id": row["member_id"], "field": row["field"]} for row in plan.written],
            "proposed": [{"member_id": member_id, "field": name} for (member_id, name), _ in plan.proposed],
            "superseded": plan.superseded,
        }
    return results


def _write(
    plans: list[_Plan],
    decision: str,
    approved: dict[uuid.UUID, uuid.UUID],
    actor_id: int | None,
    reason_code: str | None,
    comment: str | None,
    via: ReviewVia,
    at: datetime,
) -> None:
    if not plans:
        return
    queries.set_locations_from_visits(
        pairs=[(plan.household.id, plan.visit.id) for plan in plans if plan.location_from_visit]
    )
    rows: list[dict[str, Any]] = []
    changed: list[tuple[Any, dict]] = []  # households' corrections
    corrected: list[tuple[Any, dict]] = []  # members' corrections
    proposals: list[tuple[Any, dict]] = []
    household_rows: list[tuple[str, str | None, int, str | None]] = []
    for plan in plans:
        source = {"source": ChangeSource.REVIEW, "source_id": plan.visit.id}
        version = plan.household.version + (1 if plan.applied else 0)
        if plan.applied or plan.verification:
            head_name = plan.applied.get((None, "head_name"), (None, None))[1]
            household_rows.append((str(plan.household.id), plan.verification, version, head_name))
        if plan.applied:
            by_member: dict[uuid.UUID | None, dict[str, tuple[Any, Any]]] = {}
            for (member_id, name), change in plan.applied.items():
                by_member.setdefault(member_id, {})[name] = change
            for member_id, diff in by_member.items():
                rows += history.applied_rows(
                    plan.household.id, diff, member_id=member_id, version=version, actor_id=actor_id, at=at, **source
                )
                entry = (member_id or plan.household.id, {**diff, "source": f"review:{plan.visit.id}"})
                (corrected if member_id else changed).append(entry)
        for (member_id, name), change in plan.proposed:
            rows += history.proposed_rows(plan.household.id, {name: change}, member_id=member_id, at=at, **source)
        if plan.proposed:
            proposals.append(
                (
                    plan.household.id,
                    {
                        f"{member_id}:{name}" if member_id else name: change
                        for (member_id, name), change in plan.proposed
                    },
                )
            )
    db.session.flush()  # members corrected, field proposals' members
    queries.update_households_after_review(rows=household_rows, at=at)
    queries.update_decided_visits(
        ids=[plan.visit.id for plan in plans],
        status=STATUS_AFTER[decision].value,
        reviewer_id=actor_id,
        comment=comment,
        reason_code=reason_code,
        at=at,
    )
    after = {household_id: (status, version) for household_id, status, version, _head in household_rows}
    for plan in plans:
        # The rows were written by the statements above; the loaded objects learn the same values without
        # becoming dirty (a flush would write them again, one UPDATE per row).
        plan.visit_version = plan.visit.review_version + 1
        _committed(
            plan.visit,
            review_status=STATUS_AFTER[decision],
            review_version=plan.visit_version,
            reviewed_by_id=actor_id,
            reviewed_at=at,
            review_comment=comment,
            review_reason_code=reason_code,
            claimed_by_id=None,
            claimed_until=None,
        )
        status, version = after.get(str(plan.household.id), (None, plan.household.version))
        plan.household_version = version
        _committed(
            plan.household,
            version=version,
            updated_at=at,
            **({"verification_status": status} if status else {}),
            **({"head_name": plan.applied[(None, "head_name")][1]} if (None, "head_name") in plan.applied else {}),
        )
    decided = [plan.visit.id for plan in plans]
    others = queries.supersede_visits(
        household_ids=list(approved), status=ReviewStatus.PENDING.value, excluding=decided, at=at
    )
    by_household = {plan.household.id: plan for plan in plans}
    for visit_id, household_id, _version in others:
        by_household[household_id].superseded.append(visit_id)
    _superseded(others, {visit_id: approved[household_id] for visit_id, household_id, _ in others}, at)
    history.add_rows(rows)
    queries.add_reviews(
        rows=[
            {
                "visit_id": plan.visit.id,
                "reviewer_id": actor_id,
                "decision": decision,
                "reason_code": reason_code,
                "comment": comment,
                "via": via.value,
                "created_at": at,
            }
            for plan in plans
        ]
    )
    who = None if actor_id else via.value  # a policy's decisions are not the request's user's
    record_many("household.update", object_type="household", entries=changed, actor_username=who)
    record_many("member.update", object_type="member", entries=corrected, actor_username=who)
    record_many("household.propose", object_type="household", entries=proposals, actor_username=who)
    record_many(
        "visit.review",
        object_type="visit",
        entries=[
            (
                plan.visit.id,
                {
                    "decision": decision,
                    "reason_code": reason_code,
                    "via": via.value,
                    "household_id": str(plan.household.id),
                    "outcome": _value(plan.visit.outcome),
                    "applied": len(plan.applied) + len(plan.written),
                    "proposed": len(plan.proposed),
                    "superseded": [str(other) for other in plan.superseded],
                },
            )
            for plan in plans
        ],
        actor_username=who,
    )


def _committed(obj: Any, **values: Any) -> None:
    for key, value in values.items():
        set_committed_value(obj, key, value)


def _superseded(visits: list[tuple[uuid.UUID, uuid.UUID, int]], by: dict[uuid.UUID, uuid.UUID], at: datetime) -> None:
    """What follows the visits' superseding (queries.supersede_visits: id, household id, new review version):
    loaded objects learn their new state, a review row and an audit row each."""
    if not visits:
        return
    for visit_id, _household_id, version in visits:
        visit = db.session.identity_map.get(identity_key(Visit, visit_id))
        if visit is not None:
            _committed(
                visit,
                review_status=ReviewStatus.SUPERSEDED,
                review_version=version,
                reviewed_at=at,
                claimed_by_id=None,
                claimed_until=None,
            )
    queries.add_reviews(
        rows=[
            {
                "visit_id": visit_id,
                "reviewer_id": None,
                "decision": "supersede",
                "reason_code": None,
                "comment": f"superseded by {by[visit_id]}",
                "via": ReviewVia.SYSTEM.value,
                "created_at": at,
            }
            for visit_id, _household_id, _version in visits
        ]
    )
    record_many(
        "visit.supersede",
        object_type="visit",
        entries=[(visit_id, {"superseded_by": str(by[visit_id])}) for visit_id, _household_id, _version in visits],
    )


def supersede_revisits(new_visits: dict[uuid.UUID, uuid.UUID]) -> list[uuid.UUID]:
    """A new visit of a household sent back for a revisit supersedes the visit sent back (kept, visible,
    a history row and an audit row each). `new_visits`: {household id: the new visit's id}."""
    at = datetime.now(UTC)
    old = queries.supersede_visits(household_ids=list(new_visits), status=ReviewStatus.REVISIT.value, at=at)
    _superseded(old, {visit_id: new_visits[household_id] for visit_id, household_id, _ in old}, at)
    return [visit_id for visit_id, _household_id, _version in old]


# --- what approval does -------------------------------------------------------------------------------------


def _member_value(name: str, value: Any) -> Any:
    if name == "birth_date" and isinstance(value, str):
        return datetime.fromisoformat(value).date()
    return value


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


def _plan_approval(
    plan: _Plan,
    actor: Actor | None,
    actor_id: int | None,
    members: dict[uuid.UUID, Member],
    house: dict[uuid.UUID, Any],
    target_id: uuid.UUID | None,
    at: datetime,
    campaign_settings: dict[str, Any],
) -> None:
    visit, household = plan.visit, plan.household
    answers = visit.answers or {}
    if household.source == HouseholdSource.FIELD and household.registry_status == RegistryStatus.PROPOSED:
        _approve_field_proposal(plan, actor, actor_id, target_id, at)
        return
    effect = catalog.APPROVAL_EFFECTS[Outcome(_value(visit.outcome))]
    if effect.needs_target:
        target = _target(actor, visit, household, target_id)
    if effect.corrections:
        accurate = (visit.location_accuracy_m or 1e9) <= catalog.LOCATION_ACCURACY_M
        if household.location is None and visit.location is not None and accurate:
            plan.location_from_visit = True
            point = queries.visit_point(visit_id=visit.id)
            plan.applied[(None, "location")] = (None, {"lon": round(point[0], 7), "lat": round(point[1], 7)})
        if answers.get("house_condition") and house.get(household.id) != answers["house_condition"]:
            plan.applied[(None, "house_condition")] = (house.get(household.id), answers["house_condition"])
    if effect.member_presence:
        for reported in answers.get("members", []):
            if reported.get("presence") == Presence.NEW:
                new = {name: reported.get(name) for name in MEMBER_FIELDS if name != "presence_status"}
                plan.proposed.append(((None, history.MEMBER_CREATED), (None, {**new, "presence_status": "present"})))
                continue
            member = members.get(uuid.UUID(str(reported["member_id"]))) if reported.get("member_id") else None
            if member is None:
                continue
            for name in catalog.MEMBER_CORRECTIONS:
                if reported.get(name) is None:
                    continue
                current = history.json_value(getattr(member, name))
                if current != reported[name]:
                    plan.applied[(member.id, name)] = (current, reported[name])
                    setattr(member, name, _member_value(name, reported[name]))
                    member.updated_at = at
            head = member.relationship_code == 1 and _value(member.presence_status) == Presence.PRESENT
            if head and (member.id, "name") in plan.applied and member.name != household.head_name:
                # The household's head name is the head member's name: the lists and the phones show it.
                plan.applied[(None, "head_name")] = (household.head_name, member.name)
            presence = reported.get("presence")
            if presence and presence != _value(member.presence_status):
                plan.proposed.append(((member.id, "presence_status"), (_value(member.presence_status), presence)))
    if effect.all_members:
        for member in members.values():
            if _value(member.presence_status) == Presence.PRESENT:
                plan.proposed.append(((member.id, "presence_status"), (Presence.PRESENT.value, effect.all_members)))
    if effect.registry_status is not None:
        status = (_value(household.registry_status), effect.registry_status.value)
        plan.proposed.append(((None, "registry_status"), status))
        if effect.needs_target:
            plan.proposed.append(((None, "merged_into_id"), (None, str(target.id))))
        moved_to = answers.get("moved_to") or {}
        for name in ("address", "rt", "rw", "region_code"):
            if moved_to.get(name) and moved_to[name] != getattr(household, name):
                plan.proposed.append(((None, name), (getattr(household, name), moved_to[name])))
    plan.verification = effect.verification
    if _value(visit.outcome) == Outcome.REFUSED and campaign_settings.get("refused_back_on_list"):
        plan.verification = "revisit"  # back on the enumerator's list, marked for another try


def _approve_field_proposal(
    plan: _Plan, actor: Actor | None, actor_id: int | None, target_id: uuid.UUID | None, at: datetime
) -> None:
    """A household found in the field: merged into an existing one (target named: applied at once, it was
    never in the registry), or accepted: its members are created and its entry into the registry proposed."""
    visit, household = plan.visit, plan.household
    source = {"source": ChangeSource.REVIEW, "source_id": visit.id}
    household.verification_status = "approved"
    household.updated_at = at
    if target_id is not None:
        target = _target(actor, visit, household, target_id)
        before = _value(household.registry_status)
        household.registry_status = RegistryStatus.MERGED
        household.merged_into_id = target.id
        household.version = household.version + 1
        add_tombstone(household_id=household.id, reason=TombstoneReason.MERGED, merged_into_id=target.id)
        diff = {"registry_status": (before, RegistryStatus.MERGED.value), "merged_into_id": (None, str(target.id))}
        plan.written += history.applied_rows(
            household.id, diff, version=household.version, actor_id=actor_id, at=at, **source
        )
        history.add_rows(plan.written)
        return
    household.version = household.version + 1
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
    db.session.flush()
    for member in created:
        plan.written += history.applied_rows(
            household.id,
            {history.MEMBER_CREATED: (None, {name: getattr(member, name) for name in MEMBER_FIELDS})},
            member_id=member.id,
            version=household.version,
            actor_id=actor_id,
            at=at,
            **source,
        )
    history.add_rows(plan.written)
    plan.proposed.append(((None, "registry_status"), (RegistryStatus.PROPOSED.value, "active")))


def _plan_rejection(plan: _Plan, actor_id: int | None, at: datetime) -> None:
    """Not accepted as a finding: nothing changes in the registry and the household is to be visited again;
    a field proposal is dropped (removed, and the phones told to forget it)."""
    household = plan.household
    if household.source == HouseholdSource.FIELD and household.registry_status == RegistryStatus.PROPOSED:
        household.registry_status = RegistryStatus.REMOVED
        household.version = household.version + 1
        household.updated_at = at
        add_tombstone(household_id=household.id, reason=TombstoneReason.REMOVED, merged_into_id=None)
        plan.written += history.applied_rows(
            household.id,
            {"registry_status": (RegistryStatus.PROPOSED.value, RegistryStatus.REMOVED.value)},
            version=household.version,
            actor_id=actor_id,
            at=at,
            source=ChangeSource.REVIEW,
            source_id=plan.visit.id,
        )
        history.add_rows(plan.written)
        return
    plan.verification = "unverified"


# --- bulk -----------------------------------------------------------------------------------------------------


def _chunks(items: list[uuid.UUID], size: int) -> Iterable[list[uuid.UUID]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def bulk_decide(
    actor: Actor | None,
    decision: str,
    *,
    ids: list[uuid.UUID] | None = None,
    params: dict[str, Any] | None = None,
    reason_code: str | None = None,
    comment: str | None = None,
    progress: Any = None,
    via: ReviewVia = ReviewVia.BULK,
    max_visits: int = 20_000,
) -> dict[str, Any]:
    """One decision on many visits (by ids, or every visit under a queue filter), one result per visit:
    `decided`, or `refused` with the error code. Decided in chunks, each in a savepoint; a chunk the database
    refuses (a rule only it knows, e.g. one present head) is decided again visit by visit, so only the
    visit at fault is refused."""
    check_reason(decision, reason_code)
    if ids is None:
        ids = queries.visit_ids_matching(actor=actor, params=params or {}, limit=max_visits)
    ids = list(dict.fromkeys(ids))
    outcomes: dict[uuid.UUID, dict[str, Any] | AppError] = {}
    done = 0
    for chunk in _chunks(ids, CHUNK):
        try:
            with db.session.begin_nested():
                outcomes.update(decide_many(actor, chunk, decision, reason_code=reason_code, comment=comment, via=via))
        except IntegrityError:
            for visit_id in chunk:
                try:
                    with db.session.begin_nested():
                        outcomes.update(
                            decide_many(actor, [visit_id], decision, reason_code=reason_code, comment=comment, via=via)
                        )
                except IntegrityError as error:
                    outcomes[visit_id] = translate_integrity(error)
        done += len(chunk)
        if progress is not None:
            progress.advance(done, len(ids))
    results: list[dict[str, Any]] = []
    counts = {"decided": 0, "refused": 0}
    for visit_id in ids:
        outcome = outcomes[visit_id]
        if isinstance(outcome, AppError):
            results.append({"id": str(visit_id), "status": "refused", "code": outcome.kind.code})
            counts["refused"] += 1
        else:
            results.append({"id": str(visit_id), "status": "decided", "review_status": outcome["review_status"]})
            counts["decided"] += 1
    record(
        "visit.review_bulk",
        object_type="visit",
        changes={"decision": decision, "reason_code": reason_code, **counts},
        actor_username=None if actor else via.value,
    )
    return {"decision": decision, "counts": counts, "results": results}
