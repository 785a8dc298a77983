"""HTTP routes of review (`/api/v1/review…`): the queue and its facets, the reasons and outcome catalogue,
a visit's review detail, decisions (one under If-Match, bulk by ids or filter), claims, change history.
Admins, supervisors and reviewers, in their area. Logic lives in `server/review/service.py`."""

from __future__ import annotations

import uuid

from server.api import IF_MATCH_PATTERN, Blueprint, if_match_version
from server.auth.access import current_actor, require
from server.http import ok
from server.jobs.routes import job_response
from server.jobs.schemas import JobEnvelopeSchema
from server.jobs.service import enqueue
from server.review import catalog, service
from server.review.jobs import BULK
from server.review.queries import count_matching
from server.review.schemas import (
    BulkDecisionSchema,
    BulkResponseSchema,
    CatalogResponseSchema,
    ChangeHistoryQuerySchema,
    ChangeHistoryResponseSchema,
    ClaimResponseSchema,
    ClaimSchema,
    DecisionResponseSchema,
    DecisionSchema,
    FacetsResponseSchema,
    QueueFilterSchema,
    QueueQuerySchema,
    QueueResponseSchema,
    ReviewDetailResponseSchema,
)
from server.types import Role

bp = Blueprint("review", __name__, description="Pemeriksaan / Review")

REVIEWERS = (Role.ADMIN, Role.SUPERVISOR, Role.REVIEWER)
IF_MATCH = {
    "in": "header",
    "name": "If-Match",
    "required": True,
    "schema": {"type": "string", "pattern": IF_MATCH_PATTERN},
    "description": "The visit's \"<review_version>\" from the review detail's ETag",
}
ETAG = {"ETag": {"schema": {"type": "string"}, "description": 'Quoted review version for If-Match: "<version>"'}}


def _analytics_stale() -> None:
    """Decisions change what the analysed periods count: one refresh is queued (none while one waits)."""
    from server.analytics.service import request_refresh

    request_refresh(current_actor())


@bp.get("/review/queue")
@require(*REVIEWERS)
@bp.arguments(QueueQuerySchema, location="query")
@bp.response(200, QueueResponseSchema, description="A page of visits; `meta.next_cursor` is null on the last page")
@bp.doc(summary="Review queue (filters, priority or date order, keyset pages)")
def queue(params: dict):
    """The review queue in the caller's area: visits filtered by status (default pending), campaign, region,
    enumerator, outcome, flags, received date, field proposals; best first by priority (or newest first by
    date); `group_by_household` keeps each household's top visit; `unclaimed` hides others' claims."""
    rows, next_cursor = service.queue(current_actor(), params)
    return {"data": rows, "meta": {"next_cursor": next_cursor, "limit": params["limit"]}}


@bp.get("/review/facets")
@require(*REVIEWERS)
@bp.arguments(QueueFilterSchema, location="query")
@bp.response(200, FacetsResponseSchema, description="Counts per status, outcome, kelurahan, enumerator and flag")
@bp.doc(summary="Review queue facet counts")
def facets(params: dict):
    """Counts of the queue under the current filter (the status facet ignores the status filter)."""
    return {"data": service.facets(current_actor(), params)}


@bp.get("/review/catalog")
@require(*REVIEWERS)
@bp.response(200, CatalogResponseSchema, description="The reasons and the approval table")
@bp.doc(summary="Review reasons and what approval does per outcome")
def review_catalog():
    """Reason codes (which decisions each serves) and what approval does per outcome (docs/review.md)."""
    effects = [
        {
            "outcome": outcome.value,
            "household": effect.household,
            "members": effect.members,
            "phones": effect.phones,
            "proposed_registry_status": effect.registry_status.value if effect.registry_status else None,
        }
        for outcome, effect in catalog.APPROVAL_EFFECTS.items()
    ]
    return {"data": {"reasons": catalog.REASONS, "approval_effects": effects}}


@bp.get("/review/visits/<uuid:visit_id>")
@require(*REVIEWERS)
@bp.response(200, ReviewDetailResponseSchema, description="The visit as a reviewer weighs it", headers=ETAG)
@bp.alt_response(404, response="NotFound")
@bp.doc(summary="Visit review detail (audited)")
def review_detail(visit_id: uuid.UUID):
    """The visit; the household as the registry holds it now, as it was at the visit's base version and as the
    field found it, field by field; photos with each declared photo's state; earlier visits, decisions, the
    change history, pending proposals, and target candidates for a duplicate. `ETag` = the review version."""
    detail = service.review_detail(current_actor(), visit_id)
    return ok(
        ReviewDetailResponseSchema().dump({"data": detail})["data"],
        headers={"ETag": f'"{detail["visit"]["review_version"]}"'},
    )


@bp.post("/review/visits/<uuid:visit_id>/decision")
@require(*REVIEWERS)
@bp.arguments(DecisionSchema)
@bp.response(200, DecisionResponseSchema, description="What the decision did; new ETag", headers=ETAG)
@bp.alt_response(404, response="NotFound")
@bp.alt_response(409, response="Conflict")
@bp.alt_response(412, response="PreconditionFailed")
@bp.alt_response(428, response="PreconditionRequired")
@bp.doc(summary="Decide on a visit (If-Match = its review version)", parameters=[IF_MATCH])
def decide(body: dict, visit_id: uuid.UUID):
    """Approve, reject or send back for a revisit. Reject and revisit need a `reason_code` from
    `/review/catalog`. Approval applies data corrections and proposes eligibility changes (the catalogue's
    approval table); other pending visits of the household become `superseded`. 412 `review.stale_version`
    when someone decided first; 422 `review.target_required` for a duplicate without its target."""
    expected = if_match_version()
    result = service.decide(
        current_actor(),
        visit_id,
        body["decision"],
        expected_version=expected,
        reason_code=body["reason_code"],
        comment=body["comment"],
        target_household_id=body["target_household_id"],
    )
    _analytics_stale()
    dumped = DecisionResponseSchema().dump({"data": result})["data"]
    return ok(dumped, headers={"ETag": f'"{result["review_version"]}"'})


@bp.post("/review/decisions")
@require(*REVIEWERS)
@bp.arguments(BulkDecisionSchema)
@bp.response(202, JobEnvelopeSchema, description="A large set runs as a job (Location header = its URL)")
@bp.alt_response(200, schema=BulkResponseSchema, success=True, description="One result per visit")
@bp.doc(summary="Bulk decision by ids or by the queue's filter")
def bulk_decide(body: dict):
    """One decision on many visits, by `ids` or by the queue's `filter`; one result per visit (`decided`, or
    `refused` with the error code). More than 200 visits run as the job `review.bulk` (`202`)."""
    actor = current_actor()
    ids = body.get("ids")
    size = len(ids) if ids is not None else count_matching(actor=actor, params=body["filter"])
    if size > service.BULK_INLINE_MAX:
        payload = {
            "decision": body["decision"],
            "reason_code": body["reason_code"],
            "comment": body["comment"],
            "ids": [str(visit_id) for visit_id in ids] if ids is not None else None,
            "filter": None
            if ids is not None
            else {
                key: (
                    value.isoformat()
                    if hasattr(value, "isoformat")
                    else str(value)
                    if isinstance(value, uuid.UUID)
                    else value
                )
                for key, value in body["filter"].items()
            },
        }
        return job_response(enqueue(BULK, payload, actor=actor), 202)
    result = service.bulk_decide(
        actor,
        body["decision"],
        ids=ids,
        params=body.get("filter"),
        reason_code=body["reason_code"],
        comment=body["comment"],
    )
    _analytics_stale()
    return ok(BulkResponseSchema().dump({"data": result})["data"])


@bp.post("/review/visits/<uuid:visit_id>/claim")
@require(*REVIEWERS)
@bp.arguments(ClaimSchema, required=False)
@bp.response(200, ClaimResponseSchema, description="The claim")
@bp.alt_response(404, response="NotFound")
@bp.alt_response(409, response="Conflict")
@bp.doc(summary="Claim or release a visit")
def claim(body: dict, visit_id: uuid.UUID):
    """Claim a visit for `minutes` (others see it claimed, `review.claimed` 409 if they try), or release it."""
    body = ClaimSchema().load(body or {})
    result = service.claim(current_actor(), visit_id, minutes=body["minutes"], release=body["release"])
    return {"data": result}


@bp.get("/review/households/<uuid:household_id>/changes")
@require(*REVIEWERS)
@bp.arguments(ChangeHistoryQuerySchema, location="query")
@bp.response(200, ChangeHistoryResponseSchema, description="Changes newest first; `at_version` rebuilt when asked")
@bp.alt_response(404, response="NotFound")
@bp.doc(summary="Registry change history of a household (audited)")
def change_history(params: dict, household_id: uuid.UUID):
    """A household's registry change history, and optionally the household as it was at `at_version`."""
    return {"data": service.change_history(current_actor(), household_id, params.get("at_version"))}
