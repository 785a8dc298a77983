"""SQL for the audit log: append only (the database refuses UPDATE/DELETE on it)."""

from __future__ import annotations

from server.audit.models import AuditEntry
from server.extensions import db


def insert_entry(**values) -> None:
    db.session.add(AuditEntry(**values))
