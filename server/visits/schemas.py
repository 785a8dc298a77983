"""Marshmallow schemas of visits as staff read them (the push format lives with the sync push)."""

from __future__ import annotations

from marshmallow import EXCLUDE, Schema, fields, validate

from server.openapi.schemas import ListMetaSchema
from server.types import ReviewStatus


class VisitLocationSchema(Schema):
    lon = fields.Float()
    lat = fields.Float()
    accuracy_m = fields.Float(allow_none=True)


class VisitSchema(Schema):
    id = fields.UUID()
    household_id = fields.UUID()
    region_code = fields.String()
    campaign_id = fields.Integer(allow_none=True)
    enumerator_id = fields.Integer()
    device_id = fields.UUID(allow_none=True)
    supersedes_id = fields.UUID(allow_none=True)
    base_version = fields.Integer(allow_none=True)
    device_time = fields.DateTime()
    received_at = fields.DateTime()
    clock_skew_s = fields.Float(allow_none=True)
    location = fields.Nested(VisitLocationSchema, allow_none=True)
    location_fixed_at = fields.DateTime(allow_none=True)
    no_fix_reason = fields.String(allow_none=True)
    outcome = fields.String()
    consent = fields.Boolean()
    answers = fields.Dict()
    notes = fields.String(allow_none=True)
    flags = fields.List(fields.Raw())
    review_status = fields.String()
    reviewed_by_id = fields.Integer(allow_none=True)
    reviewed_at = fields.DateTime(allow_none=True)
    review_comment = fields.String(allow_none=True)


class VisitListQuerySchema(Schema):
    class Meta:
        unknown = EXCLUDE

    review_status = fields.String(validate=validate.OneOf([status.value for status in ReviewStatus]))
    region = fields.String(metadata={"description": "Region code (kecamatan or kelurahan)"})
    household_id = fields.UUID()
    cursor = fields.String()
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=500))


class VisitResponseSchema(Schema):
    data = fields.Nested(VisitSchema)


class VisitListResponseSchema(Schema):
    data = fields.List(fields.Nested(VisitSchema))
    meta = fields.Nested(ListMetaSchema)
