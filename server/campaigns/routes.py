"""HTTP routes of campaigns and assignments (`/api/v1/campaigns…`): supervisors and admins, in their area."""

from __future__ import annotations

from server.api import Blueprint
from server.auth.access import current_actor, require
from server.campaigns import service
from server.campaigns.schemas import (
    AssignmentResultResponseSchema,
    AssignSchema,
    CampaignListResponseSchema,
    CampaignResponseSchema,
    CampaignSchema,
    CampaignUpdateSchema,
    HouseholdSelectionSchema,
    ProgressResponseSchema,
)
from server.types import Role

bp = Blueprint("campaigns", __name__, description="Putaran verifikasi dan penugasan / Campaigns and assignments")

MANAGERS = (Role.ADMIN, Role.SUPERVISOR)


@bp.get("/campaigns")
@require(*MANAGERS, Role.REVIEWER, Role.VIEWER)
@bp.response(200, CampaignListResponseSchema, description="Campaigns")
@bp.doc(summary="List campaigns")
def list_campaigns():
    """Verification rounds, newest first."""
    return {"data": service.list_campaigns()}


@bp.post("/campaigns")
@require(*MANAGERS)
@bp.arguments(CampaignSchema)
@bp.response(201, CampaignResponseSchema, description="The campaign")
@bp.doc(summary="Create a campaign")
def create_campaign(data: dict):
    """Start a verification round."""
    return {"data": service.create_campaign(data, current_actor())}


@bp.get("/campaigns/<int:campaign_id>")
@require(*MANAGERS, Role.REVIEWER, Role.VIEWER)
@bp.response(200, CampaignResponseSchema, description="The campaign")
@bp.alt_response(404, response="NotFound")
@bp.doc(summary="Get a campaign")
def get_campaign(campaign_id: int):
    """One campaign."""
    return {"data": service.require_campaign(campaign_id)}


@bp.patch("/campaigns/<int:campaign_id>")
@require(*MANAGERS)
@bp.arguments(CampaignUpdateSchema)
@bp.response(200, CampaignResponseSchema, description="The campaign")
@bp.alt_response(404, response="NotFound")
@bp.doc(summary="Update a campaign")
def update_campaign(data: dict, campaign_id: int):
    """Rename, move the period, or (de)activate a campaign; phones only get households of active ones."""
    return {"data": service.update_campaign(campaign_id, data)}


@bp.post("/campaigns/<int:campaign_id>/assignments")
@require(*MANAGERS)
@bp.arguments(AssignSchema)
@bp.response(200, AssignmentResultResponseSchema, description="Counts")
@bp.alt_response(404, response="NotFound")
@bp.doc(summary="Assign or reassign households")
def assign(selection: dict, campaign_id: int):
    """Assign households to an enumerator: by ids, by kelurahan, or by RT/RW of a kelurahan.

    Households already assigned to another enumerator in this campaign move to this one (their former phone
    drops them at its next pull). Households outside the caller's area answer 404.
    """
    return {"data": service.assign(campaign_id, selection, current_actor())}


@bp.post("/campaigns/<int:campaign_id>/assignments/unassign")
@require(*MANAGERS)
@bp.arguments(HouseholdSelectionSchema)
@bp.response(200, AssignmentResultResponseSchema, description="Counts")
@bp.alt_response(404, response="NotFound")
@bp.doc(summary="Unassign households")
def unassign(selection: dict, campaign_id: int):
    """Take households back from whoever holds them in this campaign."""
    return {"data": service.unassign(campaign_id, selection, current_actor())}


@bp.get("/campaigns/<int:campaign_id>/progress")
@require(*MANAGERS, Role.REVIEWER)
@bp.response(200, ProgressResponseSchema, description="Counts")
@bp.alt_response(404, response="NotFound")
@bp.doc(summary="Campaign progress")
def progress(campaign_id: int):
    """Verification progress in the caller's area, per enumerator and per kelurahan."""
    return {"data": service.progress(campaign_id, current_actor())}
