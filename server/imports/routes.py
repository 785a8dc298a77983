"""HTTP routes of imports (`/api/v1/imports…`): registry and aid uploads, reports, rejection CSVs."""

from __future__ import annotations

import csv
import io

from flask import Blueprint, Response, current_app, request

from server.auth.access import current_actor, require
from server.errors import NOT_FOUND, AppError, validation_error
from server.extensions import db
from server.http import ok
from server.imports import queries, service
from server.imports.schemas import ImportReportSchema, ImportSummarySchema  # noqa: F401 (named in the docstrings)
from server.types import Role

bp = Blueprint("imports", __name__)

IMPORTERS = (Role.ADMIN, Role.SUPERVISOR)
# A city's registry is ~25 MB of CSV: larger than the general request limit, so uploads get their own.
DEFAULT_IMPORT_MAX_BYTES = 200 * 1024 * 1024


def _upload() -> tuple[bytes, str]:
    request.max_content_length = current_app.config.get("IMPORT_MAX_CONTENT_LENGTH", DEFAULT_IMPORT_MAX_BYTES)
    upload = request.files.get("file")
    if upload is None:
        raise validation_error({"file": ["Unggah berkas CSV atau XLSX / upload a CSV or XLSX file"]})
    return upload.read(), upload.filename or "upload"


def _flag(name: str) -> bool:
    return (request.form.get(name) or request.args.get(name) or "").strip().lower() in {"1", "true", "yes", "on"}


def _visible(import_id: int):
    imported = service.require_import(import_id)
    actor = current_actor()
    if not actor.is_admin and imported.actor_id != actor.user_id:
        raise AppError(NOT_FOUND)
    return imported


@bp.post("/imports/registry")
@require(*IMPORTERS)
def import_registry():
    """Import a registry extract (CSV or XLSX, one row per member with household columns).
    ---
    post:
      tags: [imports]
      summary: Import the registry
      description: >
        Rows are validated one by one (NIK / No. KK structure, required columns, known kelurahan in the
        caller's area, coordinates inside Indonesia); a household with any bad row is rejected whole.
        Re-importing the same file changes nothing. `dry_run` reports without changing anything.
      requestBody:
        required: true
        content:
          multipart/form-data:
            schema:
              type: object
              required: [file]
              properties:
                file: {type: string, format: binary}
                dry_run: {type: boolean}
      responses:
        201:
          description: The import report (counts, first rejections, link to all rejections)
          content:
            application/json:
              schema: {type: object, properties: {data: ImportReportSchema}}
        403: Forbidden
        413: TooLarge
        422: ValidationFailed
    """
    data, filename = _upload()
    imported = service.import_registry(data, filename, actor=current_actor(), dry_run=_flag("dry_run"))
    report = service.import_report(imported)
    db.session.commit()
    return ok(report, 201)


@bp.get("/imports")
@require(*IMPORTERS)
def list_imports():
    """Recent imports (admins: all; supervisors: their own).
    ---
    get:
      tags: [imports]
      summary: List imports
      responses:
        200:
          description: Newest first
          content:
            application/json:
              schema: {type: object, properties: {data: {type: array, items: ImportSummarySchema}}}
        403: Forbidden
    """
    actor = current_actor()
    items = [
        {
            "id": item.id,
            "kind": item.kind,
            "filename": item.filename,
            "sha256": item.sha256,
            "dry_run": item.dry_run,
            "actor_id": item.actor_id,
            "created_at": item.created_at,
            "counts": item.counts,
        }
        for item in queries.list_imports(limit=200)
        if actor.is_admin or item.actor_id == actor.user_id
    ]
    return ok(items)


@bp.get("/imports/<int:import_id>")
@require(*IMPORTERS)
def import_report(import_id: int):
    """One import's report.
    ---
    get:
      tags: [imports]
      summary: Import report
      responses:
        200:
          description: Counts and the first rejections
          content:
            application/json:
              schema: {type: object, properties: {data: ImportReportSchema}}
        404: NotFound
    """
    return ok(service.import_report(_visible(import_id)))


@bp.get("/imports/<int:import_id>/rejections.csv")
@require(*IMPORTERS)
def import_rejections_csv(import_id: int):
    """Every rejected row of an import as CSV: row, column, registry_id, code, reason.
    ---
    get:
      tags: [imports]
      summary: Rejections as CSV
      responses:
        200:
          description: UTF-8 CSV (with BOM, so Excel shows Indonesian text right)
          content:
            text/csv:
              schema: {type: string}
        404: NotFound
    """
    imported = _visible(import_id)
    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = csv.writer(buffer)
    writer.writerow(("row", "column", "registry_id", "code", "reason"))
    writer.writerows(service.rejection_rows(imported))
    return Response(
        buffer.getvalue(),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="import-{imported.id}-rejections.csv"'},
    )
