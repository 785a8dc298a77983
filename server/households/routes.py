"""HTTP routes of the household API (`/api/v1/households…`): list/search, detail, edits, members, merge, export."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from server.api import IF_MATCH_PATTERN, Blueprint, if_match_version
from server.auth.access import current_actor, require
from server.csvout import csv_response
from server.households import jobs as household_jobs
from server.households import service
from server.households.queries import EXPORT_COLUMNS
from server.households.schemas import (
    HouseholdExportQuerySchema,
    HouseholdExportRequestSchema,
    HouseholdListQuerySchema,
    HouseholdListResponseSchema,
    HouseholdPatchSchema,
    HouseholdResponseSchema,
    MemberCreateSchema,
    MemberResponseSchema,
    MemberWriteSchema,
    MergeResponseSchema,
    MergeSchema,
)
from server.http import ok
from server.jobs.routes import job_response
from server.jobs.schemas import JobEnvelopeSchema
from server.jobs.service import enqueue
from server.types import Role

bp = Blueprint("households", __name__, description="Rumah tangga / Households")

ALL_ROLES = (Role.ADMIN, Role.SUPERVISOR, Role.REVIEWER, Role.ENUMERATOR, Role.VIEWER)
EDITORS = (Role.ADMIN, Role.SUPERVISOR, Role.REVIEWER, Role.ENUMERATOR)


def _etag(version: int) -> dict[str, str]:
    return {"ETag": f'"{version}"'}


IF_MATCH = {
    "in": "header",
    "name": "If-Match",
    "required": True,
    "schema": {"type": "string", "pattern": IF_MATCH_PATTERN},
    "description": 'The household\'s "<version>" from its ETag',
}
ETAG = {"ETag": {"schema": {"type": "string"}, "description": 'Quoted version for If-Match: "<version>"'}}


@bp.get("/households")
@require(*ALL_ROLES)
@bp.arguments(HouseholdListQuerySchema, location="query")
@bp.response(
    200, HouseholdListResponseSchema, description="A page of households; `meta.next_cursor` is null on the last page"
)
@bp.doc(summary="List and search households")
def list_households(params: dict):
    """Households the caller may see, filtered, searched and paged by cursor.

    Admin sees all; supervisors, reviewers and viewers their area; enumerators only households assigned to
    them. Viewers get masked NIK / No. KK and no coordinates. `q` of 16 digits finds an exact NIK or No. KK;
    other text is a fuzzy name search (pg_trgm) over head and member names, best first.
    """
    items, next_cursor = service.list_households(current_actor(), params)
    return ok(items, meta={"next_cursor": next_cursor, "limit": params["limit"]})


@bp.get("/households/export.csv")
@require(Role.ADMIN, Role.SUPERVISOR)
@bp.arguments(HouseholdExportQuerySchema, location="query")
@bp.response(200, content_type="text/csv", description="UTF-8 CSV with a header row, one row per member")
@bp.doc(summary="Export households as CSV (audited)")
def export_households(params: dict):
    """CSV export of the caller's households, one row per member, in the registry import's columns."""
    _count, rows = service.export_households(current_actor(), params.get("region"))
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    return csv_response(EXPORT_COLUMNS, rows, filename=f"households-{stamp}.csv", headers={"Cache-Control": "no-store"})


@bp.post("/households/exports")
@require(Role.ADMIN, Role.SUPERVISOR)
@bp.arguments(HouseholdExportRequestSchema, required=False)
@bp.response(202, JobEnvelopeSchema, description="Accepted - the export job (Location header = its URL)")
@bp.doc(summary="Export households as CSV in the background (audited)")
def start_export(body: dict):
    """Start a CSV export of every household the caller may see (a whole city) as a background job.

    Answers `202` with the job at once. When it is done, `result.links.file` downloads the CSV (one row per
    member, the registry import's columns); only the user who started the export may download it, and the
    file is deleted after JOBS_RESULT_MAX_AGE_DAYS.
    """
    job = enqueue(household_jobs.EXPORT, {"region": body.get("region")}, actor=current_actor())
    return job_response(job, 202)


@bp.get("/households/<uuid:household_id>")
@require(*ALL_ROLES)
@bp.response(200, HouseholdResponseSchema, description="The household (ETag header = its version)", headers=ETAG)
@bp.alt_response(404, response="NotFound")
@bp.doc(summary="Household detail")
def household_detail(household_id: uuid.UUID):
    """One household with members, aid receipts and visit history; `ETag` carries its version."""
    detail = service.household_detail(current_actor(), household_id)
    return ok(detail, headers=_etag(detail["version"]))


@bp.patch("/households/<uuid:household_id>")
@require(*EDITORS)
@bp.arguments(HouseholdPatchSchema)
@bp.response(200, HouseholdResponseSchema, description="The updated household; new ETag", headers=ETAG)
@bp.alt_response(404, response="NotFound")
@bp.alt_response(409, response="Conflict")
@bp.alt_response(412, response="PreconditionFailed")
@bp.alt_response(428, response="PreconditionRequired")
@bp.doc(summary="Edit household fields", parameters=[IF_MATCH])
def update_household(changes: dict, household_id: uuid.UUID):
    """Edit a household at the version the caller saw (`If-Match: "<version>"`).

    Enumerators may change only head_name, address, rt, rw and location.
    """
    detail = service.update_household(current_actor(), household_id, if_match_version(), changes)
    return ok(detail, headers=_etag(detail["version"]))


@bp.post("/households/<uuid:household_id>/members")
@require(*EDITORS)
@bp.arguments(MemberCreateSchema)
@bp.response(201, MemberResponseSchema, description="The new member; ETag = the household's new version")
@bp.alt_response(404, response="NotFound")
@bp.alt_response(409, response="Conflict")
@bp.alt_response(412, response="PreconditionFailed")
@bp.alt_response(428, response="PreconditionRequired")
@bp.doc(summary="Add a member", parameters=[IF_MATCH])
def add_member(data: dict, household_id: uuid.UUID):
    """Add a member to a household (`If-Match` of the household; bumps its version)."""
    expected = if_match_version()
    member = service.add_member(current_actor(), household_id, expected, data)
    return ok(member, 201, headers=_etag(expected + 1))


@bp.patch("/households/<uuid:household_id>/members/<uuid:member_id>")
@require(*EDITORS)
@bp.arguments(MemberWriteSchema)
@bp.response(200, MemberResponseSchema, description="The member")
@bp.alt_response(404, response="NotFound")
@bp.alt_response(409, response="Conflict")
@bp.alt_response(412, response="PreconditionFailed")
@bp.alt_response(428, response="PreconditionRequired")
@bp.doc(summary="Edit a member", parameters=[IF_MATCH])
def update_member(data: dict, household_id: uuid.UUID, member_id: uuid.UUID):
    """Edit a member (`If-Match` of the household; bumps its version)."""
    member = service.update_member(current_actor(), household_id, member_id, if_match_version(), data)
    return ok(member)


@bp.post("/households/<uuid:household_id>/merge")
@require(Role.ADMIN, Role.SUPERVISOR)
@bp.arguments(MergeSchema)
@bp.response(200, MergeResponseSchema, description="The surviving household and what moved over")
@bp.alt_response(404, response="NotFound")
@bp.alt_response(412, response="PreconditionFailed")
@bp.alt_response(428, response="PreconditionRequired")
@bp.doc(summary="Merge a duplicate into this household", parameters=[IF_MATCH])
def merge_households(data: dict, household_id: uuid.UUID):
    """Merge a duplicate household into this one; the duplicate becomes `merged` and phones drop it."""
    result = service.merge_households(
        current_actor(),
        household_id,
        if_match_version(),
        data["duplicate_id"],
        data.get("duplicate_version"),
        data.get("reason"),
    )
    return ok(result, headers=_etag(result["survivor"]["version"]))
