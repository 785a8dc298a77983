"""Imports as background jobs: a registry file or an agency's aid list, read from the job store, imported in
the job's one transaction with progress per phase (reading, validating, staging, applying)."""

from __future__ import annotations

from datetime import date
from typing import Any

from server.errors import JOB_UPLOAD_MISSING, AppError
from server.imports import service
from server.imports.models import DataImport
from server.jobs.kinds import JobContext, job_kind
from server.jobs.storage import job_store

REGISTRY = "import.registry"
AID = "import.aid"


def _upload(context: JobContext) -> bytes:
    context.phase("reading")
    key = context.payload.get("upload")
    store = job_store()
    if not key or not store.exists(key):
        raise AppError(JOB_UPLOAD_MISSING)
    return store.read(key)


def _result(imported: DataImport) -> dict[str, Any]:
    return {
        "import_id": imported.id,
        "dry_run": imported.dry_run,
        "counts": imported.counts,
        "links": {
            "report": f"/api/v1/imports/{imported.id}",
            "rejections_csv": f"/api/v1/imports/{imported.id}/rejections.csv",
        },
    }


@job_kind(
    REGISTRY,
    title="Impor registri / Registry import",
    phases=("reading", "validating", "staging", "applying"),
)
def registry_import(context: JobContext) -> dict[str, Any]:
    data = _upload(context)
    imported = service.import_registry(
        data,
        context.payload["filename"],
        actor=context.actor,
        dry_run=bool(context.payload.get("dry_run")),
        progress=context,
        as_of=date.fromisoformat(context.payload["as_of"]) if context.payload.get("as_of") else None,
    )
    _analytics_moved_on(context, imported)
    return _result(imported)


@job_kind(AID, title="Impor daftar penerima bantuan / Aid list import", phases=("reading", "validating", "applying"))
def aid_import(context: JobContext) -> dict[str, Any]:
    data = _upload(context)
    payload = context.payload
    imported = service.import_aid(
        data,
        payload["filename"],
        program_code=payload["program"],
        period_start=date.fromisoformat(payload["period_start"]),
        period_end=date.fromisoformat(payload["period_end"]),
        actor=context.actor,
        dry_run=bool(payload.get("dry_run")),
        progress=context,
    )
    _analytics_moved_on(context, imported)
    return _result(imported)


def _analytics_moved_on(context: JobContext, imported: DataImport) -> None:
    """An import that wrote something makes the analysed periods' figures stale: queue their refresh."""
    if not imported.dry_run:
        from server.analytics.service import request_refresh

        request_refresh(context.actor, inline=False)
