"""HTTP route of the sync pull (`/api/v1/sync/pull`), gzip-compressed for phones on slow networks."""

from __future__ import annotations

import gzip

from flask import Blueprint, request

from server.auth.access import current_actor, require
from server.http import ok
from server.sync import service
from server.sync.schemas import PullQuerySchema
from server.types import Role

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
