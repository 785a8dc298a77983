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
