"""Bulk review decisions over large sets as a background job (one result per visit in the job's result)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from server.errors import FORBIDDEN, AppError
from server.jobs.kinds import JobContext, job_kind

BULK = "review.bulk"


@job_kind(BULK, title="Keputusan pemeriksaan massal / Bulk review decision", phases=("deciding",))
def bulk_review(context: JobContext) -> dict[str, Any]:
    from server.review import service

    if context.actor is None:
        raise AppError(FORBIDDEN)
    payload = context.payload
    ids = [uuid.UUID(value) for value in payload["ids"]] if payload.get("ids") else None
    params = dict(payload.get("filter") or {})
    for key in ("received_from", "received_to"):
        if params.get(key):
            params[key] = datetime.fromisoformat(params[key])
    if params.get("household_id"):
        params["household_id"] = uuid.UUID(params["household_id"])
    context.phase("deciding", len(ids) if ids else None)
    return service.bulk_decide(
        context.actor,
        payload["decision"],
        ids=ids,
        params=None if ids else params,
        reason_code=payload.get("reason_code"),
        comment=payload.get("comment"),
        progress=context,
    )
