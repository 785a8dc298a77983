"""HTTP routes for reading visits (`/api/v1/visits…`): staff in their area, enumerators their own. (Phones
push visits through `server/sync/routes.py`.)

Viewers never see visits (they hold answers about named people, photos and exact positions).
"""

from __future__ import annotations

import uuid

from flask import Blueprint, request

from server.auth.access import current_actor, require
from server.http import ok
from server.types import Role
from server.visits import service
from server.visits.flags import catalogue
from server.visits.schemas import FlagSchema, VisitListQuerySchema, VisitSchema

bp = Blueprint("visits", __name__)

READERS = (Role.ADMIN, Role.SUPERVISOR, Role.REVIEWER, Role.ENUMERATOR)


@bp.get("/visits")
@require(*READERS)
def list_visits():
    """Visits the caller may see, newest first.
    ---
    get:
      tags: [visits]
      summary: List visits
      parameters:
        - in: query
          schema: VisitListQuerySchema
      responses:
        200:
          description: Visits and the cursor of the next page
          content:
            application/json:
              schema: VisitListResponseSchema
        403: Forbidden
        422: ValidationFailed
    """
    visits, next_cursor = service.list_visits(current_actor(), VisitListQuerySchema().load(request.args))
    return ok(VisitSchema(many=True).dump(visits), meta={"next_cursor": next_cursor})


@bp.get("/visits/flags")
@require()
def list_flags():
    """The catalogue of quality flags: codes, labels, default priority weights and thresholds (campaigns
    override them in their settings).
    ---
    get:
      tags: [visits]
      summary: List quality flags
      responses:
        200:
          description: The flags in catalogue order
          content:
            application/json:
              schema: FlagListResponseSchema
    """
    return ok(FlagSchema(many=True).dump(catalogue()))


@bp.get("/visits/<uuid:visit_id>")
@require(*READERS)
def get_visit(visit_id: uuid.UUID):
    """One visit (404 when it lies outside the caller's reach).
    ---
    get:
      tags: [visits]
      summary: Get a visit
      responses:
        200:
          description: The visit
          content:
            application/json:
              schema: VisitResponseSchema
        403: Forbidden
        404: NotFound
    """
    return ok(VisitSchema().dump(service.get_visit(current_actor(), visit_id)))
