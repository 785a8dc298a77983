"""HTTP routes of the phone's sync: the pull (`/api/v1/sync/pull`, gzip-compressed for phones on slow
networks) and the push of visits (`/api/v1/sync/push`, through `visits/service.py`)."""

from __future__ import annotations

import gzip

from flask import Blueprint, request

from server.auth.access import current_actor, require
from server.http import json_body, ok
from server.metrics.service import count_push_results
from server.sync import service
from server.sync.schemas import PullQuerySchema
from server.types import Role
from server.visits import service as visit_service
from server.visits.push_schemas import PushBatchSchema

bp = Blueprint("sync", __name__)
GZIP_FROM_BYTES = 1024


@bp.after_request
def _gzip(response):
    """Compress JSON for clients that accept it (a first sync is a few hundred kB before compression)."""
    accepts = "gzip" in request.headers.get("Accept-Encoding", "").lower()
    if accepts and response.status_code == 200 and not response.direct_passthrough:
        body = response.get_data()
        if len(body) >= GZIP_FROM_BYTES and "Content-Encoding" not in response.headers:
            response.set_data(gzip.compress(body, compresslevel=6))
            response.headers["Content-Encoding"] = "gzip"
    response.vary.add("Accept-Encoding")
    return response


@bp.get("/sync/pull")
@require(Role.ENUMERATOR)
def pull():
    """What changed for this enumerator since the cursor: households, tombstones, form reference data.
    ---
    get:
      tags: [sync]
      summary: Pull changes
      description: >
        No cursor = full sync. Apply each page and store its `next_cursor` in one local transaction;
        repeat while `has_more`. A cursor older than the retention answers 410 `sync.cursor_expired`:
        drop local households (never the outbox) and pull from scratch. Gzip when accepted.
      parameters:
        - in: query
          schema: PullQuerySchema
      responses:
        200:
          description: A page of changes; see docs/sync-protocol.md
          content:
            application/json:
              schema: PullPageSchema
        400: BadRequest
        403: Forbidden
        410: Gone
        422: ValidationFailed
    """
    params = PullQuerySchema().load(request.args)
    data, meta = service.pull(current_actor(), params["cursor"], params["limit"])
    return ok(data, meta=meta, headers={"Cache-Control": "no-store"})


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
    results = visit_service.push(current_actor(), batch["items"], batch["sent_at"])
    count_push_results(results)
    return ok({"results": results})
