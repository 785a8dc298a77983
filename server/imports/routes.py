"""HTTP routes of imports (`/api/v1/imports…`): registry and aid uploads, reports, rejection CSVs."""

from __future__ import annotations

import os
import uuid
from datetime import date

from flask import Blueprint, current_app, request
from werkzeug.datastructures import FileStorage

from server.auth.access import current_actor, require
from server.boundary import check_form, printable
from server.csvout import csv_response
from server.errors import NOT_FOUND, AppError, validation_error
from server.http import json_body, ok
from server.imports import jobs as import_jobs
from server.imports import queries, service
from server.imports.schemas import (  # noqa: F401 (schemas named in the docstrings)
    AidProposalSchema,
    ImportReportSchema,
    ImportSummarySchema,
    ProposalDecisionSchema,
)
from server.jobs.routes import job_response
from server.jobs.schemas import JobEnvelopeSchema  # noqa: F401 (named in the docstrings)
from server.jobs.service import enqueue, open_upload
from server.jobs.storage import XLSX_MEDIA_TYPE, job_store
from server.types import Role

bp = Blueprint("imports", __name__)

IMPORTERS = (Role.ADMIN, Role.SUPERVISOR)
# A city's registry is ~25 MB of CSV: larger than the general request limit, so uploads get their own.
DEFAULT_IMPORT_MAX_BYTES = 200 * 1024 * 1024


# Besides a multipart form, the file may be the request body itself (options in the query string): no form
# parsing, so a city-sized file is answered faster.
RAW_TYPES = frozenset({"text/csv", "application/octet-stream", XLSX_MEDIA_TYPE})


def _upload() -> tuple[FileStorage, int]:
    """The uploaded file (spooled into the job store as it arrives) and its size in bytes."""
    request.max_content_length = current_app.config.get("IMPORT_MAX_CONTENT_LENGTH", DEFAULT_IMPORT_MAX_BYTES)
    request.spool_dir = job_store().spool_dir()  # the upload lands where its job will find it (no copy)
    upload_id = _field("upload_id")
    if upload_id:  # sent before, in parts (POST /api/v1/jobs/uploads)
        try:
            stream = open_upload(current_actor(), uuid.UUID(upload_id))
        except ValueError as error:
            raise validation_error({"upload_id": ["Bukan UUID / not a UUID"]}) from error
        upload = FileStorage(stream, filename=_field("filename") or "upload")
    elif request.mimetype in RAW_TYPES:
        upload = FileStorage(request.spool_body(), filename=request.args.get("filename") or "upload")
    else:
        check_form()
        upload = request.files.get("file")
    if upload is None:
        raise validation_error({"file": ["Unggah berkas CSV atau XLSX / upload a CSV or XLSX file"]})
    upload.stream.seek(0, os.SEEK_END)
    size = upload.stream.tell()
    upload.stream.seek(0)
    if size == 0:
        raise validation_error({"file": ["Berkas kosong / empty file"]})
    return upload, size


def _in_request(dry_run: bool, size: int) -> bool:
    """A dry run of a small file answers at once; everything else is a background job (202)."""
    return dry_run and size <= current_app.config["IMPORT_SYNC_DRY_RUN_MAX_BYTES"]


def _filename(upload: FileStorage) -> str:
    """The upload's name as stored with the import: control characters (a multipart header may carry
    them percent-encoded) shown as escapes, never stored."""
    return printable(upload.filename or "upload")[:255]


def _field(name: str) -> str:
    """A form field, or the query parameter of that name (raw-body uploads)."""
    return (request.form.get(name) or request.args.get(name) or "").strip()


def _date_field(name: str) -> date | None:
    """An optional ISO date form field or query parameter (422 on that field when it is not one)."""
    text = _field(name).strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError as error:
        raise validation_error({name: ["Tanggal YYYY-MM-DD / a YYYY-MM-DD date"]}) from error


def _flag(name: str) -> bool:
    return _field(name).lower() in {"1", "true", "yes", "on"}


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
        The import runs as a background job: the answer is `202` with the job (poll its `links.self`;
        progress phases reading, validating, staging, applying; when done, `result.links.report`).
        A dry run of a file up to IMPORT_SYNC_DRY_RUN_MAX_BYTES (2 MB) answers `201` with the report at once.
      parameters:
        - {in: query, name: filename, schema: {type: string}, required: false, description: Raw-body uploads}
        - {in: query, name: dry_run, schema: {type: boolean}, required: false, description: Raw-body uploads}
        - in: query
          name: upload_id
          schema: {type: string, format: uuid}
          required: false
          description: A file sent before in parts (POST /api/v1/jobs/uploads); then no body
      requestBody:
        required: false
        content:
          multipart/form-data:
            schema:
              type: object
              required: [file]
              properties:
                file: {type: string, format: binary}
                dry_run: {type: boolean}
                as_of:
                  type: string
                  format: date
                  description: >
                    The file's extract date: a field a settled change (staff edit, review, musyawarah) set
                    after it keeps its value, listed as warning.settled_change_newer
          text/csv:
            schema: {type: string, format: binary, description: The file itself; options in the query}
          application/octet-stream:
            schema: {type: string, format: binary, description: The file itself (CSV or XLSX)}
      responses:
        201:
          description: Dry run of a small file - the import report (counts, first rejections, link to all)
          content:
            application/json:
              schema: {type: object, properties: {data: ImportReportSchema}}
        202:
          description: Accepted - the import job (Location header = its URL)
          content:
            application/json:
              schema: JobEnvelopeSchema
        403: Forbidden
        404: NotFound
        413: TooLarge
        422: ValidationFailed
    """
    upload, size = _upload()
    dry_run = _flag("dry_run")
    as_of = _date_field("as_of")
    if _in_request(dry_run, size):
        imported = service.import_registry(
            upload.read(), _filename(upload), actor=current_actor(), dry_run=True, as_of=as_of
        )
        return ok(service.import_report(imported), 201)
    job = enqueue(
        import_jobs.REGISTRY,
        {"filename": _filename(upload), "dry_run": dry_run, "as_of": as_of.isoformat() if as_of else None},
        actor=current_actor(),
        upload=upload.stream,
    )
    return job_response(job, 202)


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
    return ok(ImportSummarySchema(many=True).dump(service.list_imports(current_actor())))


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
    return csv_response(
        ("row", "column", "registry_id", "code", "reason"),
        service.rejection_rows(imported),
        filename=f"import-{imported.id}-rejections.csv",
        bom=True,
    )


def _form_date(name: str) -> date:
    value = _field(name)
    try:
        return date.fromisoformat(value)
    except ValueError as error:
        raise validation_error({name: ["Tanggal wajib, format YYYY-MM-DD / date required as YYYY-MM-DD"]}) from error


@bp.post("/imports/aid")
@require(*IMPORTERS)
def import_aid():
    """Import an agency's recipient list for one program and period.
    ---
    post:
      tags: [imports]
      summary: Import an aid recipient list
      description: >
        Keyed by NIK (person programs) or No. KK (family programs). Exact unique matches become receipts;
        unmatched or ambiguous rows become proposals with the most name-similar candidates (pg_trgm) in
        the row's kelurahan and the caller's area, applied only when a supervisor confirms one.
        Runs as a background job (`202` with the job; phases reading, validating, applying); a dry run of
        a small file answers `201` with the report at once. Program and period are checked before queuing.
      parameters:
        - {in: query, name: filename, schema: {type: string}, required: false, description: Raw-body uploads}
        - {in: query, name: program, schema: {type: string}, required: false, description: Raw-body uploads}
        - {in: query, name: period_start, schema: {type: string, format: date}, required: false}
        - {in: query, name: period_end, schema: {type: string, format: date}, required: false}
        - {in: query, name: dry_run, schema: {type: boolean}, required: false}
        - {in: query, name: upload_id, schema: {type: string, format: uuid}, required: false}
      requestBody:
        required: false
        content:
          multipart/form-data:
            schema:
              type: object
              required: [file, program, period_start, period_end]
              properties:
                file: {type: string, format: binary}
                program: {type: string, description: Program code}
                period_start: {type: string, format: date}
                period_end: {type: string, format: date}
                dry_run: {type: boolean}
          text/csv:
            schema: {type: string, format: binary, description: The file itself; fields in the query}
          application/octet-stream:
            schema: {type: string, format: binary, description: The file itself (CSV or XLSX)}
      responses:
        201:
          description: Dry run of a small file - the import report
          content:
            application/json:
              schema: {type: object, properties: {data: ImportReportSchema}}
        202:
          description: Accepted - the import job (Location header = its URL)
          content:
            application/json:
              schema: JobEnvelopeSchema
        403: Forbidden
        404: NotFound
        413: TooLarge
        422: ValidationFailed
    """
    from server.aid.service import require_program

    upload, size = _upload()
    program = _field("program")
    if not program:
        raise validation_error({"program": ["Kode program wajib / program code required"]})
    period_start, period_end = _form_date("period_start"), _form_date("period_end")
    service.check_period(period_start, period_end)
    require_program(program)
    dry_run = _flag("dry_run")
    if _in_request(dry_run, size):
        imported = service.import_aid(
            upload.read(),
            _filename(upload),
            program_code=program,
            period_start=period_start,
            period_end=period_end,
            actor=current_actor(),
            dry_run=True,
        )
        return ok(service.import_report(imported), 201)
    payload = {
        "filename": _filename(upload),
        "program": program,
        "period_start": period_start.isoformat(),
        "period_end": period_end.isoformat(),
        "dry_run": dry_run,
    }
    job = enqueue(import_jobs.AID, payload, actor=current_actor(), upload=upload.stream)
    return job_response(job, 202)


@bp.get("/imports/proposals")
@require(*IMPORTERS)
def list_proposals():
    """Fuzzy aid matches waiting for a decision (admins: all; supervisors: from their imports).
    ---
    get:
      tags: [imports]
      summary: List aid match proposals
      parameters:
        - {in: query, name: state, schema: {type: string, enum: [pending, confirmed, rejected]}, required: false}
        - {in: query, name: import_id, schema: {type: integer}, required: false}
      responses:
        200:
          description: Proposals with their candidates, best first
          content:
            application/json:
              schema: {type: object, properties: {data: {type: array, items: AidProposalSchema}}}
        403: Forbidden
    """
    state = request.args.get("state") or None
    if state not in (None, "pending", "confirmed", "rejected"):
        raise validation_error({"state": ["pending, confirmed atau rejected / pending, confirmed or rejected"]})
    import_id = request.args.get("import_id", type=int)
    proposals = queries.list_proposals(actor=current_actor(), state=state, import_id=import_id)
    return ok([service.proposal_view(item) for item in proposals])


@bp.post("/imports/proposals/<int:proposal_id>/confirm")
@require(*IMPORTERS)
def confirm_proposal(proposal_id: int):
    """Confirm one candidate of a proposal: the receipt is created for it.
    ---
    post:
      tags: [imports]
      summary: Confirm an aid match proposal
      requestBody:
        required: true
        content:
          application/json:
            schema: ProposalDecisionSchema
      responses:
        200:
          description: The decided proposal (with receipt_id)
          content:
            application/json:
              schema: {type: object, properties: {data: AidProposalSchema}}
        404: NotFound
        409: Conflict
        422: ValidationFailed
    """
    body = ProposalDecisionSchema().load(json_body())
    proposal = service.confirm_proposal(
        current_actor(),
        proposal_id,
        str(body["household_id"]),
        str(body["member_id"]) if body.get("member_id") else None,
    )
    view = service.proposal_view(proposal)
    return ok(view)


@bp.post("/imports/proposals/<int:proposal_id>/reject")
@require(*IMPORTERS)
def reject_proposal(proposal_id: int):
    """Reject a proposal: none of the candidates is the listed recipient; nothing is applied.
    ---
    post:
      tags: [imports]
      summary: Reject an aid match proposal
      responses:
        200:
          description: The decided proposal
          content:
            application/json:
              schema: {type: object, properties: {data: AidProposalSchema}}
        404: NotFound
        409: Conflict
    """
    proposal = service.reject_proposal(current_actor(), proposal_id)
    view = service.proposal_view(proposal)
    return ok(view)
