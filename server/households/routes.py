"""HTTP routes of the household API (`/api/v1/households…`): list/search, detail, edits, members, merge, export."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from flask import Blueprint, request

from server.auth.access import current_actor, require
from server.csvout import csv_response
from server.errors import BAD_REQUEST, PRECONDITION_REQUIRED, AppError
from server.households import jobs as household_jobs
from server.households import service
from server.households.queries import EXPORT_COLUMNS
from server.households.schemas import (
    HouseholdExportRequestSchema,
    HouseholdListQuerySchema,
    HouseholdPatchSchema,
    MemberCreateSchema,
    MemberWriteSchema,
    MergeSchema,
)
from server.http import json_body, ok
from server.jobs.routes import job_response
from server.jobs.schemas import JobEnvelopeSchema  # noqa: F401 (named in the docstrings)
from server.jobs.service import enqueue
from server.types import Role

bp = Blueprint("households", __name__)

ALL_ROLES = (Role.ADMIN, Role.SUPERVISOR, Role.REVIEWER, Role.ENUMERATOR, Role.VIEWER)
EDITORS = (Role.ADMIN, Role.SUPERVISOR, Role.REVIEWER, Role.ENUMERATOR)


def _etag(version: int) -> dict[str, str]:
    return {"ETag": f'"{version}"'}


def _if_match() -> int:
    """The version the caller last saw, from `If-Match: "<version>"` (428 when absent)."""
    header = request.headers.get("If-Match")
    if not header:
        raise AppError(PRECONDITION_REQUIRED)
    value = header.strip()
    if value.startswith("W/"):
        value = value[2:]
    value = value.strip('"')
    if not value.isdigit():
        raise AppError(BAD_REQUEST, details={"If-Match": 'expected "<version>"'})
    return int(value)


@bp.get("/households")
@require(*ALL_ROLES)
def list_households():
    """Households the caller may see, filtered, searched and paged by cursor.
    ---
    get:
      tags: [households]
      summary: List and search households
      description: >
        Admin sees all; supervisors, reviewers and viewers their area; enumerators only households assigned
        to them. Viewers get masked NIK / No. KK and no coordinates. `q` of 16 digits finds an exact NIK
        or No. KK; other text is a fuzzy name search (pg_trgm) over head and member names, best first.
      parameters:
        - in: query
          schema: HouseholdListQuerySchema
      responses:
        200:
          description: A page of households; `meta.next_cursor` is null on the last page
          content:
            application/json:
              schema: HouseholdListResponseSchema
        403: Forbidden
        422: ValidationFailed
    """
    params = HouseholdListQuerySchema().load(request.args)
    items, next_cursor = service.list_households(current_actor(), params)
    return ok(items, meta={"next_cursor": next_cursor, "limit": params["limit"]})


@bp.get("/households/export.csv")
@require(Role.ADMIN, Role.SUPERVISOR)
def export_households():
    """CSV export of the caller's households, one row per member, in the registry import's columns.
    ---
    get:
      tags: [households]
      summary: Export households as CSV (audited)
      parameters:
        - {in: query, name: region, schema: {type: string}, required: false, description: Region code prefix}
      responses:
        200:
          description: UTF-8 CSV with a header row
          content:
            text/csv:
              schema: {type: string}
        403: Forbidden
    """
    region = request.args.get("region") or None
    _count, rows = service.export_households(current_actor(), region)

    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    return csv_response(EXPORT_COLUMNS, rows, filename=f"households-{stamp}.csv", headers={"Cache-Control": "no-store"})


@bp.post("/households/exports")
@require(Role.ADMIN, Role.SUPERVISOR)
def start_export():
    """Start a CSV export of every household the caller may see (a whole city) as a background job.
    ---
    post:
      tags: [households]
      summary: Export households as CSV in the background (audited)
      description: >
        Answers `202` with the job at once. When it is done, `result.links.file` downloads the CSV (one
        row per member, the registry import's columns); only the user who started the export may download
        it, and the file is deleted after JOBS_RESULT_MAX_AGE_DAYS.
      requestBody:
        required: false
        content:
          application/json:
            schema: HouseholdExportRequestSchema
      responses:
        202:
          description: Accepted - the export job (Location header = its URL)
          content:
            application/json:
              schema: JobEnvelopeSchema
        403: Forbidden
        422: ValidationFailed
    """
    body = HouseholdExportRequestSchema().load(request.get_json(silent=True) or {})
    job = enqueue(household_jobs.EXPORT, {"region": body.get("region")}, actor=current_actor())
    return job_response(job, 202)


@bp.get("/households/<uuid:household_id>")
@require(*ALL_ROLES)
def household_detail(household_id: uuid.UUID):
    """One household with members, aid receipts and visit history; `ETag` carries its version.
    ---
    get:
      tags: [households]
      summary: Household detail
      responses:
        200:
          description: The household (ETag header = "<version>")
          headers:
            ETag: {schema: {type: string}, description: Quoted version for If-Match}
          content:
            application/json:
              schema: HouseholdResponseSchema
        404: NotFound
    """
    detail = service.household_detail(current_actor(), household_id)
    return ok(detail, headers=_etag(detail["version"]))


@bp.patch("/households/<uuid:household_id>")
@require(*EDITORS)
def update_household(household_id: uuid.UUID):
    """Edit a household at the version the caller saw (`If-Match: "<version>"`).
    ---
    patch:
      tags: [households]
      summary: Edit household fields
      description: Enumerators may change only head_name, address, rt, rw and location.
      parameters:
        - {in: header, name: If-Match, required: true, schema: {type: string}, description: '"<version>" from ETag'}
      requestBody:
        required: true
        content:
          application/json:
            schema: HouseholdPatchSchema
      responses:
        200:
          description: The updated household; new ETag
          content:
            application/json:
              schema: HouseholdResponseSchema
        403: Forbidden
        404: NotFound
        409: Conflict
        412: PreconditionFailed
        422: ValidationFailed
        428: PreconditionRequired
    """
    expected = _if_match()
    changes = HouseholdPatchSchema().load(json_body())
    detail = service.update_household(current_actor(), household_id, expected, changes)
    return ok(detail, headers=_etag(detail["version"]))


@bp.post("/households/<uuid:household_id>/members")
@require(*EDITORS)
def add_member(household_id: uuid.UUID):
    """Add a member to a household (`If-Match` of the household; bumps its version).
    ---
    post:
      tags: [households]
      summary: Add a member
      parameters:
        - {in: header, name: If-Match, required: true, schema: {type: string}}
      requestBody:
        required: true
        content:
          application/json:
            schema: MemberCreateSchema
      responses:
        201:
          description: The new member; ETag = the household's new version
          content:
            application/json:
              schema: MemberResponseSchema
        404: NotFound
        409: Conflict
        412: PreconditionFailed
        422: ValidationFailed
        428: PreconditionRequired
    """
    expected = _if_match()
    data = MemberCreateSchema().load(json_body())
    member = service.add_member(current_actor(), household_id, expected, data)
    return ok(member, 201, headers=_etag(expected + 1))


@bp.patch("/households/<uuid:household_id>/members/<uuid:member_id>")
@require(*EDITORS)
def update_member(household_id: uuid.UUID, member_id: uuid.UUID):
    """Edit a member (`If-Match` of the household; bumps its version).
    ---
    patch:
      tags: [households]
      summary: Edit a member
      parameters:
        - {in: header, name: If-Match, required: true, schema: {type: string}}
      requestBody:
        required: true
        content:
          application/json:
            schema: MemberWriteSchema
      responses:
        200:
          description: The member
          content:
            application/json:
              schema: MemberResponseSchema
        404: NotFound
        409: Conflict
        412: PreconditionFailed
        422: ValidationFailed
        428: PreconditionRequired
    """
    expected = _if_match()
    data = MemberWriteSchema().load(json_body())
    member = service.update_member(current_actor(), household_id, member_id, expected, data)
    return ok(member)


@bp.post("/households/<uuid:household_id>/merge")
@require(Role.ADMIN, Role.SUPERVISOR)
def merge_households(household_id: uuid.UUID):
    """Merge a duplicate household into this one; the duplicate becomes `merged` and phones drop it.
    ---
    post:
      tags: [households]
      summary: Merge a duplicate into this household
      parameters:
        - {in: header, name: If-Match, required: true, schema: {type: string}, description: This household's version}
      requestBody:
        required: true
        content:
          application/json:
            schema: MergeSchema
      responses:
        200:
          description: The surviving household and what moved over
          content:
            application/json:
              schema: {type: object, properties: {data: {type: object}}}
        403: Forbidden
        404: NotFound
        412: PreconditionFailed
        422: ValidationFailed
        428: PreconditionRequired
    """
    expected = _if_match()
    data = MergeSchema().load(json_body())
    result = service.merge_households(
        current_actor(),
        household_id,
        expected,
        data["duplicate_id"],
        data.get("duplicate_version"),
        data.get("reason"),
    )
    return ok(result, headers=_etag(result["survivor"]["version"]))
