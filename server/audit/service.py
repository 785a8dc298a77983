"""Writing the audit trail: one row per security-relevant event, with the actor and client taken from the request.

Callers pass field changes as {field: (before, after)}; identity numbers are masked here, so no caller
can leak a NIK or No. KK into the log by forgetting to.
"""

from __future__ import annotations

from typing import Any

from flask import g, has_app_context, has_request_context, request

from server.audit import queries
from server.auth.masking import mask_number
from server.pagination import order_named, page_of

MASKED_FIELDS = frozenset({"nik", "kk_number", "no_kk"})


def record(
    action: str,
    *,
    object_type: str | None = None,
    object_id: Any = None,
    changes: dict[str, tuple[Any, Any]] | dict[str, Any] | None = None,
    actor_id: int | None = None,
    actor_username: str | None = None,
) -> None:
    """Append one audit row. Actor, device and client address default to the current request's (a background
    job's worker sets `g.job_actor` to the user who started it, so its rows name that user)."""
    actor = _actor()
    queries.insert_entry(
        actor_id=actor_id if actor_id is not None else (actor.user_id if actor else None),
        actor_username=actor_username or (actor.username if actor else None),
        device_id=actor.device_id if actor else None,
        client_addr=request.remote_addr if has_request_context() else None,
        action=action,
        object_type=object_type,
        object_id=str(object_id) if object_id is not None else None,
        changes=_masked(changes) if changes else None,
    )


def record_many(
    action: str, *, object_type: str, entries: list[tuple[Any, dict]], actor_username: str | None = None
) -> None:
    """One audit row per (object id, changes), written in one statement (a sync push stores hundreds)."""
    if entries:
        queries.insert_entries(
            rows=entry_rows(action, object_type=object_type, entries=entries, actor_username=actor_username)
        )


def entry_rows(
    action: str, *, object_type: str, entries: list[tuple[Any, dict]], actor_username: str | None = None
) -> list[dict[str, Any]]:
    """The rows `record_many` writes, for a caller that writes them inside its own statement (the sync push:
    `queries.ENTRIES_FROM_JSON`): actor and client from the request, identity numbers masked."""
    actor = _actor()
    common = {
        "actor_id": actor.user_id if actor else None,
        "actor_username": actor_username or (actor.username if actor else None),
        "device_id": actor.device_id if actor else None,
        "client_addr": request.remote_addr if has_request_context() else None,
        "action": action,
        "object_type": object_type,
    }
    return [{**common, "object_id": str(object_id), "changes": _masked(changes)} for object_id, changes in entries]


def _actor():
    if has_request_context():
        return g.get("actor")
    return g.get("job_actor") if has_app_context() else None


def _masked(changes: dict) -> dict:
    result = {}
    for field, value in changes.items():
        if isinstance(value, tuple) and len(value) == 2:
            before, after = value
            value = {"before": _json_safe(before), "after": _json_safe(after)}
            if field in MASKED_FIELDS:
                value = {"before": mask_number(before), "after": mask_number(after)}
        elif field in MASKED_FIELDS:
            value = mask_number(value)
        else:
            value = _json_safe(value)
        result[field] = value
    return result


_JSON_TYPES = (str, int, float, bool, list, dict)  # a tuple: `str | int | …` builds a new union on every call


def _json_safe(value: Any) -> Any:
    if value is None or isinstance(value, _JSON_TYPES):
        return value
    return str(value)


def read_entries(params: dict) -> tuple[list, str | None]:
    """A page of the audit trail for an admin (the reading is audited too) and the cursor of the next one."""
    filters = dict(params)
    keyset = order_named(queries.AUDIT_ORDERS, filters.pop("sort", None), "time")
    after = keyset.after(filters.pop("cursor", None))
    rows, next_cursor = page_of(queries.list_entries(keyset=keyset, after=after, **filters), keyset, filters["limit"])
    record("audit.read", object_type="audit_log", changes={key: str(value) for key, value in filters.items()})
    return [row.AuditEntry for row in rows], next_cursor
