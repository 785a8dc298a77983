"""HTTP route of the audit trail query (`/api/v1/audit`): admin only; reading it is itself audited."""

from __future__ import annotations

from flask import Blueprint, request

from server.audit import queries
from server.audit.schemas import AuditEntrySchema, AuditQuerySchema
from server.audit.service import record
from server.auth.access import require
from server.errors import validation_error
from server.http import ok
from server.pagination import decode_cursor, encode_cursor
from server.types import Role

bp = Blueprint("audit", __name__)


@bp.get("/audit")
@require(Role.ADMIN)
def list_audit():
    """Audit entries by actor, action, object and time, newest first.
    ---
    get:
      tags: [audit]
      summary: Query the audit trail
      parameters:
        - in: query
          schema: AuditQuerySchema
      responses:
        200:
          description: Entries and the cursor of the next page
          content:
            application/json:
              schema: AuditListResponseSchema
        403: Forbidden
        422: ValidationFailed
    """
    params = AuditQuerySchema().load(request.args)
    cursor = params.pop("cursor", None)
    after_id = decode_cursor(cursor, 1)[0] if cursor else None
    if after_id is not None and not isinstance(after_id, int):
        raise validation_error({"cursor": ["Kursor tidak valid / invalid cursor"]})
    entries = queries.list_entries(after_id=after_id, **params)
    next_cursor = encode_cursor([entries[-1].id]) if len(entries) == params["limit"] else None
    record("audit.read", object_type="audit_log", changes={key: str(value) for key, value in params.items()})
    return ok(AuditEntrySchema(many=True).dump(entries), meta={"next_cursor": next_cursor})
