"""HTTP routes of the job resource (`/api/v1/jobs…`): one job, the caller's jobs, cancel, the result file.

Long actions elsewhere (imports, exports) answer `202 Accepted` with a job in this shape and a `Location`
header; clients poll `GET /api/v1/jobs/<id>` until `state` is done, failed or cancelled.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from flask import Blueprint, request, send_file

from server.auth.access import current_actor, require
from server.errors import validation_error
from server.http import ok
from server.jobs import service
from server.jobs.schemas import (  # noqa: F401 (schemas named in the docstrings)
    JobEnvelopeSchema,
    JobListQuerySchema,
    JobListResponseSchema,
    JobSchema,
    JobUploadEnvelopeSchema,
)
from server.pagination import decode_cursor, encode_cursor
from server.types import Role

bp = Blueprint("jobs", __name__)

ALL_ROLES = tuple(Role)


def job_response(job, status: int = 200):
    """A job in the success envelope (202 for a newly accepted one, with its Location)."""
    headers = {"Location": f"/api/v1/jobs/{job.id}"} if status == 202 else None
    return ok(JobSchema().dump(service.job_view(job)), status, headers=headers)


@bp.get("/jobs")
@require(*ALL_ROLES)
def list_jobs():
    """The caller's jobs, newest first (admins may ask for everyone's).
    ---
    get:
      tags: [jobs]
      summary: List jobs
      parameters:
        - in: query
          schema: JobListQuerySchema
      responses:
        200:
          description: Jobs and the cursor of the next page
          content:
            application/json:
              schema: JobListResponseSchema
        403: Forbidden
        422: ValidationFailed
    """
    params = JobListQuerySchema().load(request.args)
    before = None
    if params.get("cursor"):
        key = decode_cursor(params["cursor"], 2)
        try:
            before = (datetime.fromisoformat(key[0]), str(uuid.UUID(key[1])))
        except (TypeError, ValueError) as error:
            raise validation_error({"cursor": ["Kursor tidak valid / invalid cursor"]}) from error
    items = service.list_jobs(
        current_actor(),
        everyone=params["everyone"],
        state=params.get("state"),
        kind=params.get("kind"),
        before=before,
        limit=params["limit"],
    )
    next_cursor = (
        encode_cursor([items[-1]["created_at"].isoformat(), items[-1]["id"]]) if len(items) == params["limit"] else None
    )
    return ok(JobSchema(many=True).dump(items), meta={"next_cursor": next_cursor})


@bp.get("/jobs/<uuid:job_id>")
@require(*ALL_ROLES)
def get_job(job_id: uuid.UUID):
    """One job: state, progress (phase, done/total), result links or the error in words.
    ---
    get:
      tags: [jobs]
      summary: Job status
      responses:
        200:
          description: The job
          content:
            application/json:
              schema: JobEnvelopeSchema
        404: NotFound
    """
    return job_response(service.require_visible(current_actor(), job_id))


@bp.post("/jobs/<uuid:job_id>/cancel")
@require(*ALL_ROLES)
def cancel_job(job_id: uuid.UUID):
    """Cancel a job: a queued one at once; a running one stops at its next progress report and changes nothing.
    ---
    post:
      tags: [jobs]
      summary: Cancel a job
      responses:
        200:
          description: The job (cancelled, or running with cancel_requested)
          content:
            application/json:
              schema: JobEnvelopeSchema
        404: NotFound
        409: Conflict
    """
    return job_response(service.cancel(current_actor(), job_id))


@bp.get("/jobs/<uuid:job_id>/file")
@require(*ALL_ROLES)
def job_file(job_id: uuid.UUID):
    """Download a finished job's result file (e.g. an export); only the user who started the job may (audited).
    ---
    get:
      tags: [jobs]
      summary: Download a job's result file
      responses:
        200:
          description: The file (CSV for exports)
          content:
            text/csv:
              schema: {type: string, format: binary}
        404: NotFound
        409: Conflict
        410: Gone
    """
    path, name, media_type = service.result_file(current_actor(), job_id)
    return send_file(path, mimetype=media_type, as_attachment=True, download_name=name, max_age=0)


UPLOADERS = (Role.ADMIN, Role.SUPERVISOR)


@bp.post("/jobs/uploads")
@require(*UPLOADERS)
def start_upload():
    """Start an upload in parts, for a file too big to send in one request (a city's registry, ~25 MB).
    ---
    post:
      tags: [jobs]
      summary: Start an upload in parts
      description: >
        Send the file with `PATCH` in parts of up to 8 MB (each part's `Upload-Offset` = the bytes received
        so far), then start the job with `upload_id` instead of a file (e.g. `POST
        /api/v1/imports/registry?upload_id=…&filename=…`): that request carries no file and answers at once.
        Unfinished uploads are deleted after a day.
      responses:
        201:
          description: The upload (id, offset 0)
          content:
            application/json:
              schema: JobUploadEnvelopeSchema
        403: Forbidden
    """
    view = service.start_upload(current_actor())
    return ok(view, 201, headers={"Location": view["links"]["self"]})


@bp.get("/jobs/uploads/<uuid:upload_id>")
@require(*UPLOADERS)
def upload_status(upload_id: uuid.UUID):
    """How many bytes of an upload arrived (to resume after a broken connection).
    ---
    get:
      tags: [jobs]
      summary: Upload offset
      responses:
        200:
          description: The upload (id, offset)
          content:
            application/json:
              schema: JobUploadEnvelopeSchema
        404: NotFound
    """
    return ok(service.upload_view(upload_id, service.upload_offset(current_actor(), upload_id)))


@bp.patch("/jobs/uploads/<uuid:upload_id>")
@require(*UPLOADERS)
def append_upload(upload_id: uuid.UUID):
    """Append the next part of an upload (the body, any content type); fsynced before the answer.
    ---
    patch:
      tags: [jobs]
      summary: Append a part
      parameters:
        - {in: header, name: Upload-Offset, schema: {type: integer}, required: true}
      requestBody:
        required: true
        content:
          application/octet-stream:
            schema: {type: string, format: binary}
      responses:
        200:
          description: The upload with its new offset
          content:
            application/json:
              schema: JobUploadEnvelopeSchema
        404: NotFound
        409: Conflict
        413: TooLarge
    """
    offset = request.headers.get("Upload-Offset", type=int)
    new_offset = service.append_upload(current_actor(), upload_id, offset, request.stream, request.content_length)
    return ok(service.upload_view(upload_id, new_offset))
