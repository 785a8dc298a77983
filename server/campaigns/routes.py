"""HTTP routes of campaigns and assignments (`/api/v1/campaigns…`): supervisors and admins, in their area."""

from __future__ import annotations

from flask import Blueprint

from server.auth.access import current_actor, require
from server.campaigns import service
from server.campaigns.schemas import AssignSchema, CampaignSchema, CampaignUpdateSchema, HouseholdSelectionSchema
from server.http import json_body, ok
from server.types import Role

bp = Blueprint("campaigns", __name__)

MANAGERS = (Role.ADMIN, Role.SUPERVISOR)


@bp.get("/campaigns")
@require(*MANAGERS, Role.REVIEWER, Role.VIEWER)
def list_campaigns():
    """Verification rounds, newest first.
    ---
    get:
      tags: [campaigns]
      summary: List campaigns
      responses:
        200:
          description: Campaigns
          content:
            application/json:
              schema: CampaignListResponseSchema
        403: Forbidden
    """
    return ok(CampaignSchema(many=True).dump(service.list_campaigns()))


@bp.post("/campaigns")
@require(*MANAGERS)
def create_campaign():
    """Start a verification round.
    ---
    post:
      tags: [campaigns]
      summary: Create a campaign
      requestBody:
        required: true
        content:
          application/json:
            schema: CampaignSchema
      responses:
        201:
          description: The campaign
          content:
            application/json:
              schema: CampaignResponseSchema
        403: Forbidden
        422: ValidationFailed
    """
    campaign = service.create_campaign(CampaignSchema().load(json_body()), current_actor())
    return ok(CampaignSchema().dump(campaign), 201)


@bp.get("/campaigns/<int:campaign_id>")
@require(*MANAGERS, Role.REVIEWER, Role.VIEWER)
def get_campaign(campaign_id: int):
    """One campaign.
    ---
    get:
      tags: [campaigns]
      summary: Get a campaign
      responses:
        200:
          description: The campaign
          content:
            application/json:
              schema: CampaignResponseSchema
        403: Forbidden
        404: NotFound
    """
    return ok(CampaignSchema().dump(service.require_campaign(campaign_id)))


@bp.patch("/campaigns/<int:campaign_id>")
@require(*MANAGERS)
def update_campaign(campaign_id: int):
    """Rename, move the period, or (de)activate a campaign; phones only get households of active ones.
    ---
    patch:
      tags: [campaigns]
      summary: Update a campaign
      requestBody:
        required: true
        content:
          application/json:
            schema: CampaignUpdateSchema
      responses:
        200:
          description: The campaign
          content:
            application/json:
              schema: CampaignResponseSchema
        403: Forbidden
        404: NotFound
        422: ValidationFailed
    """
    campaign = service.update_campaign(campaign_id, CampaignUpdateSchema().load(json_body()))
    return ok(CampaignSchema().dump(campaign))


@bp.post("/campaigns/<int:campaign_id>/assignments")
@require(*MANAGERS)
def assign(campaign_id: int):
    """Assign households to an enumerator: by ids, by kelurahan, or by RT/RW of a kelurahan.
    ---
    post:
      tags: [campaigns]
      summary: Assign or reassign households
      description: >
        Households already assigned to another enumerator in this campaign move to this one (their
        former phone drops them at its next pull). Households outside the caller's area answer 404.
      requestBody:
        required: true
        content:
          application/json:
            schema: AssignSchema
      responses:
        200:
          description: Counts
          content:
            application/json:
              schema: AssignmentResultResponseSchema
        403: Forbidden
        404: NotFound
        422: ValidationFailed
    """
    counts = service.assign(campaign_id, AssignSchema().load(json_body()), current_actor())
    return ok(counts)


@bp.post("/campaigns/<int:campaign_id>/assignments/unassign")
@require(*MANAGERS)
def unassign(campaign_id: int):
    """Take households back from whoever holds them in this campaign.
    ---
    post:
      tags: [campaigns]
      summary: Unassign households
      requestBody:
        required: true
        content:
          application/json:
            schema: HouseholdSelectionSchema
      responses:
        200:
          description: Counts
          content:
            application/json:
              schema: AssignmentResultResponseSchema
        403: Forbidden
        404: NotFound
        422: ValidationFailed
    """
    counts = service.unassign(campaign_id, HouseholdSelectionSchema().load(json_body()), current_actor())
    return ok(counts)


@bp.get("/campaigns/<int:campaign_id>/progress")
@require(*MANAGERS, Role.REVIEWER)
def progress(campaign_id: int):
    """Verification progress in the caller's area, per enumerator and per kelurahan.
    ---
    get:
      tags: [campaigns]
      summary: Campaign progress
      responses:
        200:
          description: Counts
          content:
            application/json:
              schema: ProgressResponseSchema
        403: Forbidden
        404: NotFound
    """
    return ok(service.progress(campaign_id, current_actor()))
