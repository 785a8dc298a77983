"""Marshmallow schemas of the sync pull."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

APP_VERSION = validate.Regexp(r"^[0-9A-Za-z.+_-]{1,40}$")


class ClientReportSchema(Schema):
    """What the phone's app says about itself at a sync (optional; older apps send nothing)."""

    app_version = fields.String(load_default=None, validate=APP_VERSION, metadata={"description": "e.g. 0.1.0+3fa98ac"})
    unsent_visits = fields.Integer(load_default=None, validate=validate.Range(min=0, max=1_000_000))
    unsent_photos = fields.Integer(load_default=None, validate=validate.Range(min=0, max=1_000_000))


class PullQuerySchema(Schema):
    cursor = fields.String(load_default=None, metadata={"description": "`meta.next_cursor` of the last page"})
    limit = fields.Integer(load_default=500, validate=validate.Range(min=1, max=1000))
    # Optional client report (docs/sync-protocol.md): the app's version and what it still holds unsent.
    app_version = fields.String(load_default=None, validate=APP_VERSION)
    unsent_visits = fields.Integer(load_default=None, validate=validate.Range(min=0, max=1_000_000))
    unsent_photos = fields.Integer(load_default=None, validate=validate.Range(min=0, max=1_000_000))


# The pull page itself is built inside PostgreSQL (sync/queries.py, json_build_object) for speed; these
# schemas document it, and the test profile checks every page against them.
class PullLocationSchema(Schema):
    lon = fields.Float(required=True)
    lat = fields.Float(required=True)
    accuracy_m = fields.Float(allow_none=True)


class PullMemberSchema(Schema):
    id = fields.UUID(required=True)
    nik = fields.String(allow_none=True)
    name = fields.String(required=True)
    sex = fields.Integer(allow_none=True)
    birth_date = fields.Date(allow_none=True)
    relationship_code = fields.Integer(allow_none=True)
    presence_status = fields.String(allow_none=True)


class PullAidSchema(Schema):
    program_code = fields.String(required=True)
    period_start = fields.Date(allow_none=True)
    period_end = fields.Date(allow_none=True)
    status = fields.String(allow_none=True)


class PullLastVisitSchema(Schema):
    id = fields.UUID(required=True)
    outcome = fields.String(required=True)
    device_time = fields.DateTime(required=True)
    review_status = fields.String(allow_none=True)
    review_comment = fields.String(allow_none=True)
    review_reason_code = fields.String(
        allow_none=True, metadata={"description": "Why it was sent back (reference.review_reasons names it)"}
    )


class PullHouseholdSchema(Schema):
    id = fields.UUID(required=True)
    registry_id = fields.String(allow_none=True)
    kk_number = fields.String(allow_none=True)
    head_name = fields.String(allow_none=True)
    address = fields.String(allow_none=True)
    rt = fields.String(allow_none=True)
    rw = fields.String(allow_none=True)
    region_code = fields.String(required=True)
    kelurahan_name = fields.String(allow_none=True)
    decile = fields.Integer(allow_none=True)
    registry_status = fields.String(required=True)
    verification_status = fields.String(required=True)
    pending_registry_status = fields.String(
        allow_none=True,
        metadata={"description": "A registry status proposed in review, awaiting the musyawarah (marked on the phone)"},
    )
    version = fields.Integer(required=True)
    location = fields.Nested(PullLocationSchema, allow_none=True)
    members = fields.List(fields.Nested(PullMemberSchema), required=True)
    aid = fields.List(fields.Nested(PullAidSchema), required=True)
    last_visit = fields.Nested(PullLastVisitSchema, allow_none=True)


class PullDataSchema(Schema):
    households = fields.List(fields.Nested(PullHouseholdSchema), required=True)
    tombstones = fields.List(
        fields.Dict(), required=True, metadata={"description": "Households to drop from the phone, with why"}
    )
    reference = fields.Dict(
        allow_none=True,
        metadata={"description": "Form choices and programmes with `schema_version`; null when unchanged"},
    )


class PullMetaSchema(Schema):
    next_cursor = fields.String(required=True)
    has_more = fields.Boolean(required=True)


class PullPageSchema(Schema):
    data = fields.Nested(PullDataSchema, required=True)
    meta = fields.Nested(PullMetaSchema, required=True)
