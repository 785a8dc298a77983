"""The city-wide household CSV export as a background job: one row per member in the registry import's
columns, written to the job store atomically and downloadable by the user who asked for it only."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from server.csvout import csv_chunks
from server.errors import FORBIDDEN, AppError
from server.households import service
from server.households.queries import EXPORT_COLUMNS
from server.jobs.kinds import JobContext, job_kind
from server.jobs.storage import job_store

EXPORT = "export.households"


@job_kind(EXPORT, title="Ekspor rumah tangga (CSV) / Household export (CSV)", phases=("counting", "writing"))
def export_households(context: JobContext) -> dict[str, Any]:
    if context.actor is None:
        raise AppError(FORBIDDEN)
    region = context.payload.get("region") or None
    context.phase("counting")
    count, rows = service.export_households(context.actor, region)  # audited as a bulk read of personal data
    context.phase("writing", count)
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    name = f"households-{region or 'all'}-{stamp}.csv"
    store = job_store()
    written = 0

    def counted():
        nonlocal written
        for row in rows:
            yield row
            written += 1
            if written % 2000 == 0:
                context.advance(written)

    with store.write_result(context.job_id, name) as out:
        for chunk in csv_chunks(EXPORT_COLUMNS, counted(), bom=True):  # BOM: Excel reads the text as UTF-8
            out.write(chunk)
    context.advance(written, count)
    key = store.result_key(context.job_id, name)
    return {
        "rows": written,
        "region": region,
        "file": {"key": key, "name": name, "media_type": "text/csv", "bytes": store.path(key).stat().st_size},
        "links": {"file": f"/api/v1/jobs/{context.job_id}/file"},
    }
