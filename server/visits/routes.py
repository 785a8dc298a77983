"""HTTP routes of visits: the phones' push (`/api/v1/sync/push`) and reading them (`/api/v1/visits…`):
staff in their area, enumerators their own.

Viewers never see visits (they hold answers about named people, photos and exact positions).
"""

from __future__ import annotations

import uuid
from datetime import datetime

from flask import Blueprint, request

from server.audit.service import record
from server.auth.access import current_actor, require
from server.errors import NOT_FOUND, AppError, validation_error
from server.http import json_body, ok
from server.metrics.service import count_push_results
from server.pagination import decode_cursor, encode_cursor
from server.types import Role
from server.visits import push, queries
from server.visits.push_schemas import PushBatchSchema
from server.visits.schemas import VisitListQuerySchema, VisitSchema

bp = Blueprint("visits", __name__)

READERS = (Role.ADMIN, Role.SUPERVISOR, Role.REVIEWER, Role.ENUMERATOR)


@bp.get("/visits")
@require(*READERS)
def list_visits():
    """Visits the caller may see, newest first.
    ---
    get:
      tags: [visits]
      summary: List visits
      parameters:
        - in: query
          schema: VisitListQuerySchema
      responses:
        200:
          description: Visits and the cursor of the next page
          content:
            application/json:
              schema: VisitListResponseSchema
        403: Forbidden
        422: ValidationFailed
    """
    params = VisitListQuerySchema().load(request.args)
    cursor = params.pop("cursor", None)
    after = None
    if cursor:
        received_at, visit_id = decode_cursor(cursor, 2)
        try:
            after = (datetime.fromisoformat(received_at), uuid.UUID(visit_id))
        except (TypeError, ValueError) as error:
            raise validation_error({"cursor": ["Kursor tidak valid / invalid cursor"]}) from error
    visits = queries.list_visits(actor=current_actor(), after=after, **params)
    next_cursor = None
    if len(visits) == params["limit"]:
        next_cursor = encode_cursor([visits[-1]["received_at"].isoformat(), str(visits[-1]["id"])])
    record("visit.list", object_type="visit", changes={"count": len(visits)})
    return ok(VisitSchema(many=True).dump(visits), meta={"next_cursor": next_cursor})


@bp.get("/visits/<uuid:visit_id>")
@require(*READERS)
def get_visit(visit_id: uuid.UUID):
    """One visit (404 when it lies outside the caller's reach).
    ---
    get:
      tags: [visits]
      summary: Get a visit
      responses:
        200:
          description: The visit
          content:
            application/json:
              schema: VisitResponseSchema
        403: Forbidden
        404: NotFound
    """
    visit = queries.get_visit(actor=current_actor(), visit_id=visit_id)
    if visit is None:
        raise AppError(NOT_FOUND)
    record("visit.read", object_type="visit", object_id=visit_id)
    return ok(VisitSchema().dump(visit))


@bp.post("/sync/push")
@require(Role.ENUMERATOR)
def push_visits():
    """A batch of visits from a phone (1-500); one result per item, in order.
    ---
    post:
      tags: [sync]
      summary: Push visits
      description: >
        Each item: `created`, `duplicate` (same id and content: the stored result again), `conflict`
        (same id, other content: not stored), `invalid` (field errors; not stored, the rest is), or
        `accepted_with_conflict` (stored and flagged: older household version or a second visit).
        `visit.missing_photos` lists declared photos whose bytes have not arrived. See docs/sync-protocol.md.
      requestBody:
        required: true
        content:
          application/json:
            schema: PushBatchSchema
      responses:
        200:
          description: One result per item
          content:
            application/json:
              schema: PushResponseSchema
        403: Forbidden
        422: ValidationFailed
    """
    batch = PushBatchSchema().load(json_body())
    results = push.push(current_actor(), batch["items"], batch["sent_at"])
    count_push_results(results)
    return ok({"results": results})
