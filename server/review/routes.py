"""HTTP routes of review (`/api/v1/review…`): the queue and its facets, the reasons and outcome catalogue,
a visit's review detail, decisions (one under If-Match, bulk by ids or filter), claims, change history.
Admins, supervisors and reviewers, in their area. Logic lives in `server/review/service.py`."""

from __future__ import annotations

import uuid

from flask import Blueprint, request

from server.auth.access import current_actor, require
from server.errors import BAD_REQUEST, PRECONDITION_REQUIRED, AppError
from server.http import json_body, ok
from server.jobs.routes import job_response
from server.jobs.schemas import JobEnvelopeSchema  # noqa: F401 (named in the docstrings)
from server.jobs.service import enqueue
from server.review import catalog, service
from server.review.jobs import BULK
from server.review.queries import count_matching
from server.review.schemas import (  # noqa: F401 (schemas named in the docstrings)
    BulkDecisionSchema,
    BulkResponseSchema,
    CatalogResponseSchema,
    ChangeHistoryQuerySchema,
    ChangeHistoryResponseSchema,
    ClaimResponseSchema,
    ClaimSchema,
    DecisionResponseSchema,
    DecisionResultSchema,
    DecisionSchema,
    FacetsResponseSchema,
    QueueFilterSchema,
    QueueItemSchema,
    QueueQuerySchema,
    QueueResponseSchema,
    ReviewDetailResponseSchema,
)
from server.types import Role

bp = Blueprint("review", __name__)

REVIEWERS = (Role.ADMIN, Role.SUPERVISOR, Role.REVIEWER)


def _if_match() -> int:
    header = request.headers.get("If-Match")
    if not header:
        raise AppError(PRECONDITION_REQUIRED)
    value = header.strip().removeprefix("W/").strip('"')
    if not value.isdigit():
        raise AppError(BAD_REQUEST, details={"If-Match": 'expected "<review_version>"'})
    return int(value)


@bp.get("/review/queue")
@require(*REVIEWERS)
def queue():
    """The review queue in the caller's area.
    ---
    get:
      tags: [review]
      summary: Review queue (filters, priority or date order, keyset pages)
      parameters:
        - in: query
          schema: QueueQuerySchema
      responses:
        200:
          description: A page of visits; `meta.next_cursor` is null on the last page
          content:
            application/json:
              schema: QueueResponseSchema
    """
    params = QueueQuerySchema().load(request.args)
    rows, next_cursor = service.queue(current_actor(), params)
    return ok(QueueItemSchema(many=True).dump(rows), meta={"next_cursor": next_cursor, "limit": params["limit"]})


@bp.get("/review/facets")
@require(*REVIEWERS)
def facets():
    """Counts of the queue under the current filter.
    ---
    get:
      tags: [review]
      summary: Review queue facet counts (status ignores the status filter)
      parameters:
        - in: query
          schema: QueueFilterSchema
      responses:
        200:
          description: Counts per status, outcome, kelurahan, enumerator and flag
          content:
            application/json:
              schema: FacetsResponseSchema
    """
    return ok(service.facets(current_actor(), QueueFilterSchema().load(request.args)))


@bp.get("/review/catalog")
@require(*REVIEWERS)
def review_catalog():
    """Reason codes and what approval does per outcome.
    ---
    get:
      tags: [review]
      summary: Review reasons and the approval table
      responses:
        200:
          description: The catalogue
          content:
            application/json:
              schema: CatalogResponseSchema
    """
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
    return ok({"reasons": catalog.REASONS, "approval_effects": effects})


@bp.get("/review/visits/<uuid:visit_id>")
@require(*REVIEWERS)
def review_detail(visit_id: uuid.UUID):
    """A visit as a reviewer weighs it; `ETag` carries its review version (send it back as If-Match).
    ---
    get:
      tags: [review]
      summary: Visit review detail (audited)
      responses:
        200:
          description: The visit, the household now / at the base version / as found, photos, history
          headers:
            ETag: {schema: {type: string}, description: Quoted review version for If-Match}
          content:
            application/json:
              schema: ReviewDetailResponseSchema
        404: NotFound
    """
    detail = service.review_detail(current_actor(), visit_id)
    return ok(detail, headers={"ETag": f'"{detail["visit"]["review_version"]}"'})


@bp.post("/review/visits/<uuid:visit_id>/decision")
@require(*REVIEWERS)
def decide(visit_id: uuid.UUID):
    """Approve, reject or send back for a revisit.
    ---
    post:
      tags: [review]
      summary: Decide on a visit (If-Match = its review version)
      description: >
        Reject and revisit need a `reason_code` from `/review/catalog`. Approval applies data corrections and
        proposes eligibility changes (see the catalogue's approval table); other pending visits of the
        household become `superseded`.
      parameters:
        - {in: header, name: If-Match, required: true, schema: {type: string}}
      requestBody:
        required: true
        content:
          application/json:
            schema: DecisionSchema
      responses:
        200:
          description: What the decision did
          content:
            application/json:
              schema: DecisionResponseSchema
        404: NotFound
        409: Conflict
        412: PreconditionFailed
        428: PreconditionRequired
    """
    expected = _if_match()
    body = DecisionSchema().load(json_body())
    result = service.decide(
        current_actor(),
        visit_id,
        body["decision"],
        expected_version=expected,
        reason_code=body["reason_code"],
        comment=body["comment"],
        target_household_id=body["target_household_id"],
    )
    return ok(DecisionResultSchema().dump(result), headers={"ETag": f'"{result["review_version"]}"'})


@bp.post("/review/decisions")
@require(*REVIEWERS)
def bulk_decide():
    """One decision on many visits, by ids or by the queue's filter.
    ---
    post:
      tags: [review]
      summary: Bulk decision (a job for more than 200 visits)
      requestBody:
        required: true
        content:
          application/json:
            schema: BulkDecisionSchema
      responses:
        200:
          description: One result per visit
          content:
            application/json:
              schema: BulkResponseSchema
        202:
          description: A large set runs as a job; poll it
          content:
            application/json:
              schema: JobEnvelopeSchema
    """
    actor = current_actor()
    body = BulkDecisionSchema().load(json_body())
    ids = body.get("ids")
    size = len(ids) if ids is not None else count_matching(actor=actor, params=body["filter"])
    if size > service.BULK_INLINE_MAX:
        payload = {
            "decision": body["decision"],
            "reason_code": body["reason_code"],
            "comment": body["comment"],
            "ids": [str(visit_id) for visit_id in ids] if ids is not None else None,
            "filter": {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in body.get("filter", {}).items()}
            if ids is None
            else None,
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
    return ok(result)


@bp.post("/review/visits/<uuid:visit_id>/claim")
@require(*REVIEWERS)
def claim(visit_id: uuid.UUID):
    """Claim a visit for a while (or release the claim).
    ---
    post:
      tags: [review]
      summary: Claim or release a visit
      requestBody:
        required: false
        content:
          application/json:
            schema: ClaimSchema
      responses:
        200:
          description: The claim
          content:
            application/json:
              schema: ClaimResponseSchema
        404: NotFound
        409: Conflict
    """
    body = ClaimSchema().load(request.get_json(silent=True) or {})
    result = service.claim(current_actor(), visit_id, minutes=body["minutes"], release=body["release"])
    return ok(ClaimResponseSchema().dump({"data": result})["data"])


@bp.get("/review/households/<uuid:household_id>/changes")
@require(*REVIEWERS)
def change_history(household_id: uuid.UUID):
    """A household's registry change history, and optionally the household at an older version.
    ---
    get:
      tags: [review]
      summary: Registry change history of a household (audited)
      parameters:
        - in: query
          schema: ChangeHistoryQuerySchema
      responses:
        200:
          description: Changes newest first; `at_version` rebuilt when asked
          content:
            application/json:
              schema: ChangeHistoryResponseSchema
        404: NotFound
    """
    params = ChangeHistoryQuerySchema().load(request.args)
    return ok(service.change_history(current_actor(), household_id, params.get("at_version")))
