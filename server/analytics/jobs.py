"""The analytics refresh as a background job: recompute the materialised findings of every recently used
period whose data (imports, review decisions, registry changes) or rule set moved on."""

from __future__ import annotations

from typing import Any

from server.analytics import service
from server.jobs.kinds import JobContext, job_kind


@job_kind(service.REFRESH, title="Perbarui analisis bantuan / Refresh aid analytics", phases=("refreshing",))
def refresh(context: JobContext) -> dict[str, Any]:
    context.phase("refreshing")
    return service.refresh_stale(progress=lambda done, total: context.advance(done, total))


EXPORT = "export.analytics"


@job_kind(EXPORT, title="Ekspor analisis (CSV/XLSX) / Analytics export (CSV/XLSX)", phases=("counting", "writing"))
def export(context: JobContext) -> dict[str, Any]:
    """A city-wide list as a file: `households` (one row per household with its programmes and findings of
    the period) or `visits` (all visits, of a campaign); CSV or XLSX."""
    from datetime import date

    from server.analytics import exports, queries
    from server.errors import FORBIDDEN, AppError

    if context.actor is None:
        raise AppError(FORBIDDEN)
    payload = context.payload
    region, fmt = payload.get("region"), payload.get("format", "csv")
    context.phase("counting")
    if payload["what"] == "households":
        start, end = date.fromisoformat(payload["period_start"]), date.fromisoformat(payload["period_end"])
        total, rows = service.household_list(context.actor, start, end, region)
        header, name = queries.HOUSEHOLD_LIST_COLUMNS, f"rumah-tangga-{start}-{end}"
    else:
        campaign_id = payload.get("campaign_id")
        total = service.count_visits_for_export(context.actor, campaign_id, region)
        rows = queries.visit_rows(actor=context.actor, campaign_id=campaign_id, region=region)
        header, name = queries.VISIT_COLUMNS, f"kunjungan-{campaign_id or 'semua'}"
    context.phase("writing", total)
    return {
        "what": payload["what"],
        "region": region,
        **exports.write_job_file(context, name, header, rows, fmt, total),
    }
