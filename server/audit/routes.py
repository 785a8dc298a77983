"""HTTP route of the audit trail query (`/api/v1/audit`): admin only; reading it is itself audited."""

from __future__ import annotations

from server.api import Blueprint
from server.audit import service
from server.audit.schemas import AuditListResponseSchema, AuditQuerySchema
from server.auth.access import require
from server.types import Role

bp = Blueprint("audit", __name__, description="Jejak audit / Audit trail")


@bp.get("/audit")
@require(Role.ADMIN)
@bp.arguments(AuditQuerySchema, location="query")
@bp.response(200, AuditListResponseSchema, description="Entries and the cursor of the next page")
@bp.doc(summary="Query the audit trail")
def list_audit(params: dict):
    """Audit entries by actor, action, object and time, newest first."""
    entries, next_cursor = service.read_entries(params)
    return {"data": entries, "meta": {"next_cursor": next_cursor}}
