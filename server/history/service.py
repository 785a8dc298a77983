"""Writing and reading the registry change history (server/history/models.py says what a row means).

Every path that changes a household or member calls `record_applied` (or `propose` for an eligibility
change that waits for the musyawarah) with {field: (before, after)} diffs, after bumping the household's
version. `household_at_version` rebuilds the household as it was at an older version by undoing, newest
first, every change that took effect after it: this is how a reviewer sees the registry as the enumerator
saw it (the visit's base version). The audit log cannot serve for that: it masks NIK.
"""

from __future__ import annotations

import copy
import enum
import uuid
from datetime import UTC, date, datetime
from typing import Any

from server.history import queries
from server.history.models import RegistryChange
from server.types import ChangeSource, ChangeState

MEMBER_CREATED = "member"  # field of the row that records a new member (new_value: the member's fields)
# A member moving between households (a settled merge): `member_joined` on the household it joins (new_value:
# the member's fields, old_value: {"household_id": where from}), `member_left` on the one it leaves (old_value:
# the member's fields, new_value: {"household_id": where to}).
MEMBER_JOINED = "member_joined"
MEMBER_LEFT = "member_left"


def json_value(value: Any) -> Any:
    """A field value as the history stores it (JSON): enums by value, dates ISO, uuids as text."""
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, dict):
        return {key: json_value(item) for key, item in value.items()}
    return value


def _row(
    household_id: uuid.UUID,
    member_id: uuid.UUID | None,
    field: str,
    before: Any,
    after: Any,
    *,
    source: ChangeSource,
    source_id: Any,
    state: ChangeState,
    version: int | None,
    actor_id: int | None,
    reason: str | None,
    at: datetime,
) -> dict[str, Any]:
    settled = state != ChangeState.PROPOSED
    return {
        "household_id": household_id,
        "member_id": member_id,
        "field": field,
        "old_value": json_value(before),
        "new_value": json_value(after),
        "source_kind": source.value,
        "source_id": None if source_id is None else str(source_id),
        "state": state.value,
        "household_version": version if settled else None,
        "reason": reason,
        "decided_by_id": actor_id if settled else None,
        "decided_at": at if settled else None,
        "created_at": at,
    }


def applied_rows(
    household_id: uuid.UUID,
    diff: dict[str, tuple[Any, Any]],
    *,
    version: int,
    source: ChangeSource,
    source_id: Any = None,
    actor_id: int | None,
    member_id: uuid.UUID | None = None,
    at: datetime,
    reason: str | None = None,
) -> list[dict[str, Any]]:
    """The rows `record_applied` writes, for a caller that writes many households' changes in one statement."""
    return [
        _row(
            household_id,
            member_id,
            field,
            before,
            after,
            source=source,
            source_id=source_id,
            state=ChangeState.APPLIED,
            version=version,
            actor_id=actor_id,
            reason=reason,
            at=at,
        )
        for field, (before, after) in diff.items()
    ]


def proposed_rows(
    household_id: uuid.UUID,
    diff: dict[str, tuple[Any, Any]],
    *,
    source: ChangeSource,
    source_id: Any = None,
    member_id: uuid.UUID | None = None,
    at: datetime,
    reason: str | None = None,
) -> list[dict[str, Any]]:
    """The rows `propose` writes (see `applied_rows`)."""
    return [
        _row(
            household_id,
            member_id,
            field,
            before,
            after,
            source=source,
            source_id=source_id,
            state=ChangeState.PROPOSED,
            version=None,
            actor_id=None,
            reason=reason,
            at=at,
        )
        for field, (before, after) in diff.items()
    ]


def add_rows(rows: list[dict[str, Any]], *, returning: bool = False) -> list[int]:
    """Write rows built by `applied_rows` / `proposed_rows`; their ids when asked."""
    return queries.add_changes(rows=rows, returning=returning)


def record_applied(
    household_id: uuid.UUID,
    diff: dict[str, tuple[Any, Any]],
    *,
    version: int,
    source: ChangeSource,
    source_id: Any = None,
    actor_id: int | None,
    member_id: uuid.UUID | None = None,
    reason: str | None = None,
) -> None:
    """Changes that took effect now; `version` is the household's version after them."""
    queries.add_changes(
        rows=applied_rows(
            household_id,
            diff,
            version=version,
            source=source,
            source_id=source_id,
            actor_id=actor_id,
            member_id=member_id,
            at=datetime.now(UTC),
            reason=reason,
        )
    )


def propose(
    household_id: uuid.UUID,
    diff: dict[str, tuple[Any, Any]],
    *,
    source: ChangeSource,
    source_id: Any = None,
    member_id: uuid.UUID | None = None,
    reason: str | None = None,
) -> None:
    """Eligibility changes waiting for the musyawarah: the registry keeps its values meanwhile."""
    queries.add_changes(
        rows=proposed_rows(
            household_id,
            diff,
            source=source,
            source_id=source_id,
            member_id=member_id,
            at=datetime.now(UTC),
            reason=reason,
        )
    )


def change_dict(change: RegistryChange) -> dict[str, Any]:
    return {
        "id": change.id,
        "household_id": change.household_id,
        "member_id": change.member_id,
        "field": change.field,
        "old_value": change.old_value,
        "new_value": change.new_value,
        "source_kind": change.source_kind.value if hasattr(change.source_kind, "value") else change.source_kind,
        "source_id": change.source_id,
        "state": change.state.value if hasattr(change.state, "value") else change.state,
        "household_version": change.household_version,
        "reason": change.reason,
        "decided_by_id": change.decided_by_id,
        "decided_at": change.decided_at,
        "created_at": change.created_at,
    }


def history_of(household_id: uuid.UUID, *, limit: int | None = 500) -> list[dict[str, Any]]:
    """The household's changes, newest first."""
    return [change_dict(change) for change in queries.changes_of(household_id=household_id, limit=limit)]


def pending_of(household_id: uuid.UUID) -> list[dict[str, Any]]:
    """Proposed changes waiting for the musyawarah, oldest first."""
    return [change_dict(change) for change in queries.proposed_of(household_id=household_id)]


def household_now(household_id: uuid.UUID) -> dict[str, Any] | None:
    """The household's followed fields and members as the registry holds them now (JSON values)."""
    return queries.snapshot(household_id=household_id)


def household_at_version(household_id: uuid.UUID, version: int) -> dict[str, Any] | None:
    """The household (followed fields and members) as it was at `version`, or None if it does not exist.

    Members created (or joined) after `version` are left out, members who left after it are back; fields
    changed after it get their old values back."""
    now = queries.snapshot(household_id=household_id)
    if now is None:
        return None
    if version >= now["version"]:
        return now
    state = copy.deepcopy(now)
    members = state["members"]
    for change in queries.changes_after_version(household_id=household_id, version=version):
        if change.member_id is None:
            state["household"][change.field] = change.old_value
            continue
        key = str(change.member_id)
        if change.field in (MEMBER_CREATED, MEMBER_JOINED):
            members.pop(key, None)
        elif change.field == MEMBER_LEFT:
            members[key] = copy.deepcopy(change.old_value)
        elif key in members:
            members[key][change.field] = change.old_value
    state["version"] = version
    return state
