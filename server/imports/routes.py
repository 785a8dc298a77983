"""HTTP routes of imports (`/api/v1/imports…`): registry and aid uploads, reports, rejection CSVs."""

from __future__ import annotations

import os
import uuid
from datetime import date

from flask import current_app, request
from werkzeug.datastructures import FileStorage

from server.api import Blueprint
from server.auth.access import current_actor, require
from server.boundary import check_form, printable
from server.csvout import csv_response
from server.errors import NOT_FOUND, AppError, validation_error
from server.http import ok
from server.imports import jobs as import_jobs
from server.imports import service
from server.imports.schemas import (
    ImportListResponseSchema,
    ImportReportResponseSchema,
    ProposalDecisionSchema,
    ProposalListQuerySchema,
    ProposalListResponseSchema,
    ProposalResponseSchema,
)
from server.jobs.routes import job_response
from server.jobs.schemas import JobEnvelopeSchema
from server.jobs.service import enqueue, open_upload
from server.jobs.storage import XLSX_MEDIA_TYPE, job_store
from server.types import Role

bp = Blueprint("imports", __name__, description="Impor registri dan bantuan / Registry and aid imports")

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
    """A boolean form field or query parameter: true or false (as documented); empty or absent is false, and
    any other value is refused (422) rather than read as false: `dry_run=ya` must not run the real import."""
    value = _field(name).lower()
    if value not in {"", "true", "false"}:
        raise validation_error({name: ["true atau false / true or false"]})
    return value == "true"


def _visible(import_id: int):
    imported = service.require_import(import_id)
    actor = current_actor()
    if not actor.is_admin and imported.actor_id != actor.user_id:
        raise AppError(NOT_FOUND)
    return imported


FILE_BODY = {
    "required": False,
    "content": {
        "multipart/form-data": {
            "schema": {
                "type": "object",
                "required": ["file"],
                "properties": {
                    "file": {"type": "string", "format": "binary"},
                    "dry_run": {"type": "boolean"},
                    "as_of": {
                        # Empty counts as absent, as for every form field of the import.
                        "anyOf": [{"type": "string", "format": "date"}, {"type": "string", "maxLength": 0}],
                        "description": "The file's extract date: a field a settled change (staff edit, review, "
                        "musyawarah) set after it keeps its value, listed as warning.settled_change_newer",
                    },
                },
            }
        },
        "text/csv": {"schema": {"type": "string", "format": "binary", "description": "The file; options in the query"}},
        "application/octet-stream": {
            "schema": {"type": "string", "format": "binary", "description": "The file itself (CSV or XLSX)"}
        },
    },
}
AID_FILE_BODY = {
    **FILE_BODY,
    "content": {
        **FILE_BODY["content"],
        "multipart/form-data": {
            "schema": {
                "type": "object",
                "required": ["file", "program", "period_start", "period_end"],
                "properties": {
                    "file": {"type": "string", "format": "binary"},
                    "program": {"type": "string", "description": "Program code"},
                    "period_start": {"type": "string", "format": "date"},
                    "period_end": {"type": "string", "format": "date"},
                    "dry_run": {"type": "boolean"},
                },
            }
        },
    },
}


def _query(name: str, schema: dict, description: str = "Raw-body uploads (instead of the form field)") -> dict:
    return {"in": "query", "name": name, "schema": schema, "required": False, "description": description}


UPLOAD_PARAMETERS = [
    _query("filename", {"type": "string"}),
    _query("dry_run", {"type": "boolean"}),
    # Empty counts as absent, as for every form field of the import.
    _query("as_of", {"anyOf": [{"type": "string", "format": "date"}, {"type": "string", "maxLength": 0}]}),
    _query(
        "upload_id",
        # Empty counts as absent, as for every form field of the import.
        {"type": "string", "pattern": "^$|^[0-9a-fA-F]{8}-?([0-9a-fA-F]{4}-?){3}[0-9a-fA-F]{12}$"},
        "A file sent before in parts (POST /api/v1/jobs/uploads); then no body. Empty counts as absent",
    ),
]
AID_UPLOAD_PARAMETERS = [
    *UPLOAD_PARAMETERS,
    _query("program", {"type": "string"}),
    _query("period_start", {"type": "string", "format": "date"}),
    _query("period_end", {"type": "string", "format": "date"}),
]


@bp.post("/imports/registry")
@require(*IMPORTERS)
@bp.response(202, JobEnvelopeSchema, description="Accepted - the import job (Location header = its URL)")
@bp.alt_response(
    201,
    schema=ImportReportResponseSchema,
    success=True,
    description="Dry run of a small file - the import report (counts, first rejections, link to all)",
)
@bp.alt_response(404, response="NotFound")
@bp.alt_response(413, response="TooLarge")
@bp.doc(summary="Import the registry", parameters=UPLOAD_PARAMETERS, requestBody=FILE_BODY)
def import_registry():
    """Import a registry extract (CSV or XLSX, one row per member with household columns).

    Rows are validated one by one (NIK / No. KK structure, required columns, known kelurahan in the caller's
    area, coordinates inside Indonesia); a household with any bad row is rejected whole. Re-importing the same
    file changes nothing. `dry_run` reports without changing anything. The import runs as a background job:
    the answer is `202` with the job (poll its `links.self`; progress phases reading, validating, staging,
    applying; when done, `result.links.report`). A dry run of a file up to IMPORT_SYNC_DRY_RUN_MAX_BYTES
    (2 MB) answers `201` with the report at once.
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
@bp.response(200, ImportListResponseSchema, description="Newest first")
@bp.doc(summary="List imports")
def list_imports():
    """Recent imports (admins: all; supervisors: their own)."""
    return {"data": service.list_imports(current_actor())}


@bp.get("/imports/<int:import_id>")
@require(*IMPORTERS)
@bp.response(200, ImportReportResponseSchema, description="Counts and the first rejections")
@bp.alt_response(404, response="NotFound")
@bp.doc(summary="Import report")
def import_report(import_id: int):
    """One import's report."""
    return {"data": service.import_report(_visible(import_id))}


@bp.get("/imports/<int:import_id>/rejections.csv")
@require(*IMPORTERS)
@bp.response(200, content_type="text/csv", description="UTF-8 CSV (with BOM, so Excel shows Indonesian text right)")
@bp.alt_response(404, response="NotFound")
@bp.doc(summary="Rejections as CSV")
def import_rejections_csv(import_id: int):
    """Every rejected row of an import as CSV: row, column, registry_id, code, reason."""
    imported = _visible(import_id)
    return csv_response(
        ("row", "column", "registry_id", "code", "reason"),
        service.rejection_rows(imported.id),
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
@bp.response(202, JobEnvelopeSchema, description="Accepted - the import job (Location header = its URL)")
@bp.alt_response(
    201, schema=ImportReportResponseSchema, success=True, description="Dry run of a small file - the import report"
)
@bp.alt_response(404, response="NotFound")
@bp.alt_response(413, response="TooLarge")
@bp.doc(summary="Import an aid recipient list", parameters=AID_UPLOAD_PARAMETERS, requestBody=AID_FILE_BODY)
def import_aid():
    """Import an agency's recipient list for one program and period.

    Keyed by NIK (person programs) or No. KK (family programs). Exact unique matches become receipts; unmatched
    or ambiguous rows become proposals with the most name-similar candidates (pg_trgm) in the row's kelurahan
    and the caller's area, applied only when a supervisor confirms one. Runs as a background job (`202` with
    the job; phases reading, validating, applying); a dry run of a small file answers `201` with the report at
    once. Program and period are checked before queuing.
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
@bp.arguments(ProposalListQuerySchema, location="query")
@bp.response(200, ProposalListResponseSchema, description="Proposals with their candidates, best first")
@bp.doc(summary="List aid match proposals")
def list_proposals(params: dict):
    """Fuzzy aid matches waiting for a decision (admins: all; supervisors: from their imports)."""
    proposals = service.list_proposals(current_actor(), state=params.get("state"), import_id=params.get("import_id"))
    return {"data": [service.proposal_view(item) for item in proposals]}


@bp.post("/imports/proposals/<int:proposal_id>/confirm")
@require(*IMPORTERS)
@bp.arguments(ProposalDecisionSchema)
@bp.response(200, ProposalResponseSchema, description="The decided proposal (with receipt_id)")
@bp.alt_response(404, response="NotFound")
@bp.alt_response(409, response="Conflict")
@bp.doc(summary="Confirm an aid match proposal")
def confirm_proposal(decision: dict, proposal_id: int):
    """Confirm one candidate of a proposal: the receipt is created for it."""
    member_id = decision.get("member_id")
    proposal = service.confirm_proposal(
        current_actor(), proposal_id, str(decision["household_id"]), str(member_id) if member_id else None
    )
    return {"data": service.proposal_view(proposal)}


@bp.post("/imports/proposals/<int:proposal_id>/reject")
@require(*IMPORTERS)
@bp.response(200, ProposalResponseSchema, description="The decided proposal")
@bp.alt_response(404, response="NotFound")
@bp.alt_response(409, response="Conflict")
@bp.doc(summary="Reject an aid match proposal")
def reject_proposal(proposal_id: int):
    """Reject a proposal: none of the candidates is the listed recipient; nothing is applied."""
    return {"data": service.proposal_view(service.reject_proposal(current_actor(), proposal_id))}
