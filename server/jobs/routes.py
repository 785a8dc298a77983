"""HTTP routes of the job resource (`/api/v1/jobs…`): one job, the caller's jobs, cancel, the result file.

Long actions elsewhere (imports, exports) answer `202 Accepted` with a job in this shape and a `Location`
header; clients poll `GET /api/v1/jobs/<id>` until `state` is done, failed or cancelled.
"""

from __future__ import annotations

import uuid

from flask import request, send_file

from server.api import Blueprint
from server.auth.access import current_actor, require
from server.http import ok
from server.jobs import service
from server.jobs.schemas import (
    JobEnvelopeSchema,
    JobListQuerySchema,
    JobListResponseSchema,
    JobSchema,
    JobUploadEnvelopeSchema,
)
from server.types import Role

bp = Blueprint("jobs", __name__, description="Tugas latar / Background jobs")

ALL_ROLES = tuple(Role)


def job_response(job, status: int = 200):
    """A job in the success envelope (202 for a newly accepted one, with its Location)."""
    headers = {"Location": f"/api/v1/jobs/{job.id}"} if status == 202 else None
    return ok(JobSchema().dump(service.job_view(job)), status, headers=headers)


@bp.get("/jobs")
@require(*ALL_ROLES)
@bp.arguments(JobListQuerySchema, location="query")
@bp.response(200, JobListResponseSchema, description="Jobs and the cursor of the next page")
@bp.doc(summary="List jobs")
def list_jobs(params: dict):
    """The caller's jobs, newest first (admins may ask for everyone's)."""
    items, next_cursor = service.list_jobs_page(current_actor(), params)
    return {"data": items, "meta": {"next_cursor": next_cursor}}


@bp.get("/jobs/<uuid:job_id>")
@require(*ALL_ROLES)
@bp.response(200, JobEnvelopeSchema, description="The job")
@bp.alt_response(404, response="NotFound")
@bp.doc(summary="Job status")
def get_job(job_id: uuid.UUID):
    """One job: state, progress (phase, done/total), result links or the error in words."""
    return job_response(service.require_visible(current_actor(), job_id))


@bp.post("/jobs/<uuid:job_id>/cancel")
@require(*ALL_ROLES)
@bp.response(200, JobEnvelopeSchema, description="The job (cancelled, or running with cancel_requested)")
@bp.alt_response(404, response="NotFound")
@bp.alt_response(409, response="Conflict")
@bp.doc(summary="Cancel a job")
def cancel_job(job_id: uuid.UUID):
    """Cancel a job: a queued one at once; a running one stops at its next progress report and changes nothing."""
    return job_response(service.cancel(current_actor(), job_id))


@bp.get("/jobs/<uuid:job_id>/file")
@require(*ALL_ROLES)
@bp.response(200, content_type="text/csv", description="The file (CSV for exports)")
@bp.alt_response(404, response="NotFound")
@bp.alt_response(409, response="Conflict")
@bp.alt_response(410, response="Gone")
@bp.doc(summary="Download a job's result file")
def job_file(job_id: uuid.UUID):
    """Download a finished job's result file (e.g. an export); only the user who started the job may (audited)."""
    path, name, media_type = service.result_file(current_actor(), job_id)
    return send_file(path, mimetype=media_type, as_attachment=True, download_name=name, max_age=0)


UPLOADERS = (Role.ADMIN, Role.SUPERVISOR)


@bp.post("/jobs/uploads")
@require(*UPLOADERS)
@bp.response(201, JobUploadEnvelopeSchema, description="The upload (id, offset 0)")
@bp.doc(summary="Start an upload in parts")
def start_upload():
    """Start an upload in parts, for a file too big to send in one request (a city's registry, ~25 MB).

    Send the file with `PATCH` in parts of up to 8 MB (each part's `Upload-Offset` = the bytes received so
    far), then start the job with `upload_id` instead of a file (e.g. `POST
    /api/v1/imports/registry?upload_id=…&filename=…`): that request carries no file and answers at once.
    Unfinished uploads are deleted after a day.
    """
    view = service.start_upload(current_actor())
    return ok(view, 201, headers={"Location": view["links"]["self"]})


@bp.get("/jobs/uploads/<uuid:upload_id>")
@require(*UPLOADERS)
@bp.response(200, JobUploadEnvelopeSchema, description="The upload (id, offset)")
@bp.alt_response(404, response="NotFound")
@bp.doc(summary="Upload offset")
def upload_status(upload_id: uuid.UUID):
    """How many bytes of an upload arrived (to resume after a broken connection)."""
    return ok(service.upload_view(upload_id, service.upload_offset(current_actor(), upload_id)))


@bp.patch("/jobs/uploads/<uuid:upload_id>")
@require(*UPLOADERS)
@bp.response(200, JobUploadEnvelopeSchema, description="The upload with its new offset")
@bp.alt_response(404, response="NotFound")
@bp.alt_response(409, response="Conflict")
@bp.alt_response(413, response="TooLarge")
@bp.doc(
    summary="Append a part",
    parameters=[{"in": "header", "name": "Upload-Offset", "schema": {"type": "integer"}, "required": True}],
    requestBody={
        "required": True,
        "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}},
    },
)
def append_upload(upload_id: uuid.UUID):
    """Append the next part of an upload (the body, any content type); fsynced before the answer."""
    offset = request.headers.get("Upload-Offset", type=int)
    new_offset = service.append_upload(current_actor(), upload_id, offset, request.stream, request.content_length)
    return ok(service.upload_view(upload_id, new_offset))
