"""Marshmallow schemas of campaigns (verification rounds) and assignments."""

from __future__ import annotations

from typing import Any, ClassVar

from marshmallow import RAISE, Schema, ValidationError, fields, validate, validates_schema

from server.openapi.schemas import JsonBoolean
from server.visits.flags import FLAGS, REVIEW_POLICY_MODES

DIGITS = validate.Regexp(r"^[0-9]{1,3}$")


class FlagOverrideSchema(Schema):
    class Meta:
        unknown = RAISE

    weight = fields.Integer(validate=validate.Range(min=0, max=1000))
    threshold = fields.Float(validate=validate.Range(min=0, max=1_000_000))


class ReviewPolicySchema(Schema):
    class Meta:
        unknown = RAISE

    mode = fields.String(
        required=True,
        validate=validate.OneOf(REVIEW_POLICY_MODES),
        metadata={"description": "hold_all: every visit waits for a reviewer; hold_flagged: clean ones are approved"},
    )
    clean_sample_percent = fields.Float(
        load_default=0,
        validate=validate.Range(min=0, max=100),
        metadata={"description": "With hold_flagged: this share of clean visits, drawn at random, is held too"},
    )


class CampaignSettingsSchema(Schema):
    """Overrides of the quality-flag catalogue (GET /api/v1/visits/flags) and the review policy."""

    class Meta:
        unknown = RAISE

    flags = fields.Dict(
        keys=fields.String(validate=validate.OneOf(list(FLAGS))),
        values=fields.Nested(FlagOverrideSchema),
        metadata={"description": "Per flag code: weight in the priority score and/or threshold"},
    )
    review_policy = fields.Nested(ReviewPolicySchema)
    refused_back_on_list = JsonBoolean(
        metadata={
            "description": "An approved refusal sends the household back to the enumerator's list (as a revisit)"
            " instead of counting it as visited (default false)"
        }
    )


class CampaignSchema(Schema):
    id = fields.Integer(dump_only=True)
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    period_start = fields.Date(required=True)
    period_end = fields.Date(required=True)
    active = JsonBoolean(load_default=True)
    settings = fields.Nested(CampaignSettingsSchema, load_default=dict)
    created_at = fields.DateTime(dump_only=True)

    @validates_schema
    def period_order(self, data: dict, **kwargs: Any) -> None:
        if data.get("period_start") and data.get("period_end") and data["period_end"] < data["period_start"]:
            raise ValidationError("Harus sesudah period_start / must not be before period_start", "period_end")


class CampaignUpdateSchema(Schema):
    name = fields.String(validate=validate.Length(min=1, max=200))
    period_start = fields.Date()
    period_end = fields.Date()
    active = JsonBoolean()
    settings = fields.Nested(CampaignSettingsSchema)


class HouseholdSelectionSchema(Schema):
    """Which households: a list of ids, or a kelurahan (optionally one RT/RW of it)."""

    # What `one_way` checks, in the document.
    OPENAPI_RULES: ClassVar[dict] = {
        "oneOf": [
            {
                "required": ["household_ids"],
                "not": {"anyOf": [{"required": ["kelurahan"]}, {"required": ["rt"]}, {"required": ["rw"]}]},
            },
            {"required": ["kelurahan"], "not": {"required": ["household_ids"]}},
        ]
    }

    household_ids = fields.List(fields.UUID(), validate=validate.Length(min=1, max=5000))
    kelurahan = fields.String(validate=validate.Length(equal=13))
    rt = fields.String(validate=DIGITS)
    rw = fields.String(validate=DIGITS)

    @validates_schema
    def one_way(self, data: dict, **kwargs: Any) -> None:
        if bool(data.get("household_ids")) == bool(data.get("kelurahan")):
            raise ValidationError("Pilih household_ids atau kelurahan / give household_ids or kelurahan", "_schema")
        if (data.get("rt") or data.get("rw")) and not data.get("kelurahan"):
            raise ValidationError("RT/RW hanya dengan kelurahan / RT/RW only with a kelurahan", "rt")


class AssignSchema(HouseholdSelectionSchema):
    enumerator_id = fields.Integer(required=True, strict=True)


class CampaignResponseSchema(Schema):
    data = fields.Nested(CampaignSchema)


class CampaignListResponseSchema(Schema):
    data = fields.List(fields.Nested(CampaignSchema))


class AssignmentResultSchema(Schema):
    assigned = fields.Integer(metadata={"description": "Newly assigned to the enumerator"})
    reassigned = fields.Integer(metadata={"description": "Of those, taken from another enumerator"})
    unchanged = fields.Integer(metadata={"description": "Already assigned to this enumerator"})
    unassigned = fields.Integer()


class AssignmentResultResponseSchema(Schema):
    data = fields.Nested(AssignmentResultSchema)


class ProgressRowSchema(Schema):
    key = fields.String(metadata={"description": "Enumerator username or kelurahan code"})
    name = fields.String()
    assigned = fields.Integer()
    visited = fields.Integer()
    approved = fields.Integer()
    revisit = fields.Integer()


class ProgressSchema(Schema):
    by_enumerator = fields.List(fields.Nested(ProgressRowSchema))
    by_kelurahan = fields.List(fields.Nested(ProgressRowSchema))


class ProgressResponseSchema(Schema):
    data = fields.Nested(ProgressSchema)
