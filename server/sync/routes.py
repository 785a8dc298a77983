"""HTTP routes of the phone's sync: the pull (`/api/v1/sync/pull`, gzip-compressed for phones on slow
networks) and the push of visits (`/api/v1/sync/push`, through `visits/service.py`)."""

from __future__ import annotations

import gzip

from flask import request

from server.api import Blueprint
from server.auth.access import current_actor, require
from server.http import ok
from server.metrics.service import count_push_results
from server.sync import service
from server.sync.schemas import PullPageSchema, PullQuerySchema
from server.types import Role
from server.visits import service as visit_service
from server.visits.push_schemas import PushBatchSchema, PushResponseSchema

bp = Blueprint("sync", __name__, description="Sinkronisasi ponsel / Phone sync")
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
@bp.arguments(PullQuerySchema, location="query")
@bp.response(200, PullPageSchema, description="A page of changes; see docs/sync-protocol.md")
@bp.alt_response(400, response="BadRequest")
@bp.alt_response(410, response="Gone")
@bp.doc(summary="Pull changes")
def pull(params: dict):
    """What changed for this enumerator since the cursor: households, tombstones, form reference data.

    No cursor = full sync. Apply each page and store its `next_cursor` in one local transaction; repeat while
    `has_more`. A cursor older than the retention answers 410 `sync.cursor_expired`: drop local households
    (never the outbox) and pull from scratch. Gzip when accepted. The page is built inside PostgreSQL for speed,
    in the shape of PullPageSchema.
    """
    service.note_client(current_actor(), params)
    data, meta = service.pull(current_actor(), params["cursor"], params["limit"])
    return ok(data, meta=meta, headers={"Cache-Control": "no-store"})


@bp.post("/sync/push")
@require(Role.ENUMERATOR)
@bp.arguments(PushBatchSchema)
@bp.response(200, PushResponseSchema, description="One result per item")
@bp.doc(summary="Push visits")
def push_visits(batch: dict):
    """A batch of visits from a phone (1-500); one result per item, in order.

    Each item: `created`, `duplicate` (same id and content: the stored result again), `conflict` (same id,
    other content: not stored), `invalid` (field errors; not stored, the rest is), or `accepted_with_conflict`
    (stored and flagged: older household version or a second visit). `visit.missing_photos` lists declared
    photos whose bytes have not arrived. See docs/sync-protocol.md.
    """
    service.note_client(current_actor(), batch.get("client"))
    results = visit_service.push(current_actor(), batch["items"], batch["sent_at"])
    count_push_results(results)
    return ok({"results": results})
