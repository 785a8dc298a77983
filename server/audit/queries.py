"""SQL for the audit log: append only (the database refuses UPDATE/DELETE on it)."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from server.audit.models import AuditEntry
from server.extensions import db
from server.pagination import Keyset, natural_orders

# The orders of the audit trail (`sort`; `time`, newest first, by default: ids grow with time). Nothing else
# is put into ORDER BY.
AUDIT_ORDERS = natural_orders(
    time=Keyset((AuditEntry.id,), (int,), descending=True),
    actor=Keyset((sa.func.coalesce(AuditEntry.actor_username, ""), AuditEntry.id), (str, int)),
    action=Keyset((AuditEntry.action, AuditEntry.id), (str, int)),
)


def insert_entry(**values) -> None:
    db.session.add(AuditEntry(**values))


def insert_entries(*, rows: list[dict]) -> None:
    db.session.execute(sa.insert(AuditEntry.__table__), rows)


# Rows of `service.entry_rows` given as one JSON array (`:audit`), for a statement that writes them with its own
# rows (the sync push, server/visits/queries.py, appends its WHERE: only the visits it inserted).
ENTRIES_FROM_JSON = """
    INSERT INTO audit_log (actor_id, actor_username, device_id, client_addr, action, object_type, object_id, changes)
    SELECT e.actor_id, e.actor_username, e.device_id, e.client_addr, e.action, e.object_type, e.object_id, e.changes
      FROM json_populate_recordset(NULL::audit_log, CAST(:audit AS json)) AS e
"""


def list_entries(
    *,
    keyset: Keyset,
    after: list | None,
    limit: int,
    actor_id: int | None = None,
    actor: str | None = None,
    action: str | None = None,
    object_type: str | None = None,
    object_id: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> list[AuditEntry]:
    """`limit` + 1 entries in `keyset`'s order after the cursor's row: (AuditEntry, sort_0, sort_1…)."""
    query = keyset.apply(sa.select(AuditEntry, *keyset.labelled()).limit(limit + 1), after)
    if actor_id is not None:
        query = query.where(AuditEntry.actor_id == actor_id)
    if actor is not None:
        query = query.where(AuditEntry.actor_username == actor)
    if action is not None:
        query = query.where(
            AuditEntry.action.startswith(action, autoescape=True)
            if action.endswith(".")
            else AuditEntry.action == action
        )
    if object_type is not None:
        query = query.where(AuditEntry.object_type == object_type)
    if object_id is not None:
        query = query.where(AuditEntry.object_id == object_id)
    if since is not None:
        query = query.where(AuditEntry.at >= since)
    if until is not None:
        query = query.where(AuditEntry.at < until)
    return list(db.session.execute(query).all())
