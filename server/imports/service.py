"""Import use cases: run a registry or aid import, record it (who, when, file hash, counts), keep its
rejections, and audit it. Services flush only; the route (or the CLI command) commits."""

from __future__ import annotations

import hashlib
from typing import Any

from server.audit.service import record
from server.auth.access import Actor
from server.errors import NOT_FOUND, VALIDATION, AppError, validation_error
from server.imports import queries
from server.imports.models import DataImport
from server.imports.registry import FileRejected, run_registry_import


def sha256_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def import_registry(data: bytes, filename: str, *, actor: Actor | None, dry_run: bool) -> DataImport:
    """Validate and load a registry file; returns the DataImport record (counts, rejections stored)."""
    if not data.strip():
        raise validation_error({"file": ["Berkas kosong / empty file"]})
    try:
        report = run_registry_import(data, actor=actor, dry_run=dry_run)
    except FileRejected as rejected:
        message = "Kolom wajib tidak ada / required columns missing"
        raise AppError(VALIDATION, details={"fields": {"file": [message]}, **rejected.details}) from rejected
    counts: dict[str, Any] = dict(report.counts)
    counts["encoding"] = report.encoding or "xlsx"
    imported = queries.add_import(
        kind="registry",
        filename=filename[:255],
        sha256=sha256_of(data),
        actor_id=actor.user_id if actor else None,
        dry_run=dry_run,
        counts=counts,
    )
    queries.add_rejections(import_id=imported.id, rejections=report.rejections)
    record(
        "import.registry" + (".dry_run" if dry_run else ""),
        object_type="data_import",
        object_id=imported.id,
        changes={"counts": {key: value for key, value in counts.items() if isinstance(value, int)}},
        actor_username=None if actor else "cli",
    )
    return imported


def require_import(import_id: int) -> DataImport:
    imported = queries.get_import(import_id=import_id)
    if imported is None:
        raise AppError(NOT_FOUND)
    return imported


def import_report(imported: DataImport, *, rejection_limit: int = 100) -> dict[str, Any]:
    rejections = queries.rejections_of(import_id=imported.id, limit=rejection_limit)
    return {
        "id": imported.id,
        "kind": imported.kind,
        "filename": imported.filename,
        "sha256": imported.sha256,
        "dry_run": imported.dry_run,
        "actor_id": imported.actor_id,
        "created_at": imported.created_at,
        "counts": imported.counts,
        "rejections": [
            {
                "row": item.row_number,
                "column": item.column,
                "registry_id": item.record_key,
                "code": item.code,
                "reason": item.reason,
            }
            for item in rejections
        ],
        "rejections_truncated": len(rejections) == rejection_limit,
        "rejections_csv": f"/api/v1/imports/{imported.id}/rejections.csv",
    }


def rejection_rows(imported: DataImport):
    for item in queries.rejections_of(import_id=imported.id):
        yield (item.row_number, item.column or "", item.record_key or "", item.code, item.reason)
