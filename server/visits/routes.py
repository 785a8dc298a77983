"""HTTP routes for reading visits (`/api/v1/visits…`): staff in their area, enumerators their own. (Phones
push visits through `server/sync/routes.py`.)

Viewers never see visits (they hold answers about named people, photos and exact positions).
"""

from __future__ import annotations

import uuid

from server.api import Blueprint
from server.auth.access import current_actor, require
from server.types import Role
from server.visits import service
from server.visits.flags import catalogue
from server.visits.schemas import (
    FlagListResponseSchema,
    VisitListQuerySchema,
    VisitListResponseSchema,
    VisitResponseSchema,
)

bp = Blueprint("visits", __name__, description="Kunjungan / Visits")

READERS = (Role.ADMIN, Role.SUPERVISOR, Role.REVIEWER, Role.ENUMERATOR)


@bp.get("/visits")
@require(*READERS)
@bp.arguments(VisitListQuerySchema, location="query")
@bp.response(200, VisitListResponseSchema, description="Visits and the cursor of the next page")
@bp.doc(summary="List visits")
def list_visits(params: dict):
    """Visits the caller may see, newest first."""
    visits, next_cursor = service.list_visits(current_actor(), params)
    return {"data": visits, "meta": {"next_cursor": next_cursor}}


@bp.get("/visits/flags")
@require()
@bp.response(200, FlagListResponseSchema, description="The flags in catalogue order")
@bp.doc(summary="List quality flags")
def list_flags():
    """The catalogue of quality flags: codes, labels, default priority weights and thresholds (campaigns
    override them in their settings)."""
    return {"data": catalogue()}


@bp.get("/visits/<uuid:visit_id>")
@require(*READERS)
@bp.response(200, VisitResponseSchema, description="The visit")
@bp.alt_response(404, response="NotFound")
@bp.doc(summary="Get a visit")
def get_visit(visit_id: uuid.UUID):
    """One visit (404 when it lies outside the caller's reach)."""
    return {"data": service.get_visit(current_actor(), visit_id)}
