"""Marshmallow schemas of the review API: queue filters, decisions (one and bulk), claims, and the answers."""

from __future__ import annotations

from typing import Any, ClassVar

from marshmallow import EXCLUDE, Schema, ValidationError, fields, post_load, validate, validates_schema

from server.openapi.schemas import JsonBoolean, ListMetaSchema, list_pattern
from server.review import catalog
from server.review.queries import SORTS
from server.types import Outcome, ReviewStatus

STATUSES = [status.value for status in ReviewStatus]
OUTCOMES = [outcome.value for outcome in Outcome]
LIST_TEXT = "Comma-separated list"


class QueueFilterSchema(Schema):
    """The queue's filters (also the body of a bulk decision by filter)."""

    class Meta:
        unknown = EXCLUDE

    status = fields.String(
        load_default="pending",
        metadata={
            "description": f"{LIST_TEXT} of {', '.join(STATUSES)} (default pending)",
            "pattern": list_pattern(STATUSES, blanks=r"\s", empty=True),
        },
    )
    campaign_id = fields.Integer(allow_none=True)
    region = fields.String(
        validate=validate.Regexp(r"^[0-9.]{2,13}$"), metadata={"description": "Kecamatan or kelurahan code"}
    )
    enumerator_id = fields.Integer()
    outcome = fields.String(
        metadata={
            "description": f"{LIST_TEXT} of outcomes",
            "pattern": list_pattern(OUTCOMES, blanks=r"\s", empty=True),
        }
    )
    flag = fields.String(metadata={"description": f"{LIST_TEXT} of flags; a visit must carry all of them"})
    received_from = fields.AwareDateTime()
    received_to = fields.AwareDateTime()
    household_id = fields.UUID()
    field_proposals = fields.Boolean(metadata={"description": "Only households proposed in the field"})
    unclaimed = fields.Boolean(metadata={"description": "Hide visits another reviewer has claimed"})
    group_by_household = fields.Boolean(metadata={"description": "One row per household (its top visit)"})

    @post_load
    def split(self, data: dict, **kwargs: Any) -> dict:
        for name, allowed in (("status", STATUSES), ("outcome", OUTCOMES), ("flag", None)):
            if name not in data:
                continue
            values = [part.strip() for part in str(data[name]).split(",") if part.strip()]
            unknown = [value for value in values if allowed is not None and value not in allowed]
            if unknown:
                raise ValidationError({name: [f"Tidak dikenal / unknown: {', '.join(unknown)}"]})
            data[name] = values
        return data


class QueueQuerySchema(QueueFilterSchema):
    sort = fields.String(
        load_default="priority",
        validate=validate.OneOf(SORTS),
        metadata={
            "description": "Order: priority (highest first), date (newest first), name, region (A to Z); the "
            "`_asc` / `_desc` variant runs the other way. A cursor belongs to the order it was issued for"
        },
    )
    cursor = fields.String()
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))


class QueueItemSchema(Schema):
    id = fields.UUID()
    household_id = fields.UUID()
    head_name = fields.String()
    region_code = fields.String()
    household_source = fields.String()
    campaign_id = fields.Integer(allow_none=True)
    enumerator_id = fields.Integer()
    enumerator_username = fields.String()
    outcome = fields.String()
    flags = fields.List(fields.String())
    priority = fields.Integer()
    received_at = fields.DateTime()
    device_time = fields.DateTime()
    review_status = fields.String()
    review_version = fields.Integer()
    review_reason_code = fields.String(allow_none=True)
    claimed_by_id = fields.Integer(allow_none=True)
    claimed_until = fields.DateTime(allow_none=True)
    claimed = fields.Boolean(metadata={"description": "Claimed by another reviewer right now"})
    household_pending_visits = fields.Integer(metadata={"description": "Pending visits of the same household"})


class QueueResponseSchema(Schema):
    data = fields.List(fields.Nested(QueueItemSchema))
    meta = fields.Nested(ListMetaSchema)


class FacetsSchema(Schema):
    status = fields.Dict(keys=fields.String(), values=fields.Integer())
    outcome = fields.Dict(keys=fields.String(), values=fields.Integer())
    region = fields.Dict(keys=fields.String(), values=fields.Integer())
    enumerator = fields.Dict(keys=fields.String(), values=fields.Integer())
    flag = fields.Dict(keys=fields.String(), values=fields.Integer())


class FacetsResponseSchema(Schema):
    data = fields.Nested(FacetsSchema)


class DecisionSchema(Schema):
    decision = fields.String(required=True, validate=validate.OneOf(catalog.DECISIONS))
    reason_code = fields.String(allow_none=True, load_default=None, validate=validate.OneOf(list(catalog.REASON_CODES)))
    comment = fields.String(allow_none=True, load_default=None, validate=validate.Length(max=2000))
    target_household_id = fields.UUID(
        allow_none=True,
        load_default=None,
        metadata={"description": "Approving a duplicate / merged outcome, or merging a field proposal: the target"},
    )


class BulkFilterSchema(QueueFilterSchema):
    """The queue's filters as a JSON body: booleans are `true` or `false`, numbers are integers."""

    campaign_id = fields.Integer(strict=True, allow_none=True)
    enumerator_id = fields.Integer(strict=True)
    field_proposals = JsonBoolean(metadata={"description": "Only households proposed in the field"})
    unclaimed = JsonBoolean(metadata={"description": "Hide visits another reviewer has claimed"})
    group_by_household = JsonBoolean(metadata={"description": "One row per household (its top visit)"})


class BulkDecisionSchema(Schema):
    # What `ids_or_filter` checks, in the document.
    OPENAPI_RULES: ClassVar[dict] = {"oneOf": [{"required": ["ids"]}, {"required": ["filter"]}]}

    decision = fields.String(required=True, validate=validate.OneOf(catalog.DECISIONS))
    reason_code = fields.String(allow_none=True, load_default=None, validate=validate.OneOf(list(catalog.REASON_CODES)))
    comment = fields.String(allow_none=True, load_default=None, validate=validate.Length(max=2000))
    ids = fields.List(fields.UUID(), validate=validate.Length(min=1, max=20_000))
    filter = fields.Nested(BulkFilterSchema)

    @validates_schema
    def ids_or_filter(self, data: dict, **kwargs: Any) -> None:
        if ("ids" in data) == ("filter" in data):
            raise ValidationError("Kirim ids atau filter / send ids or filter", "_schema")


class DecisionResultSchema(Schema):
    id = fields.UUID()
    household_id = fields.UUID()
    decision = fields.String()
    review_status = fields.String()
    review_version = fields.Integer()
    household_version = fields.Integer()
    applied = fields.List(fields.Dict())
    proposed = fields.List(fields.Dict())
    superseded = fields.List(fields.UUID())


class DecisionResponseSchema(Schema):
    data = fields.Nested(DecisionResultSchema)


class BulkItemSchema(Schema):
    id = fields.String()
    status = fields.String(metadata={"enum": ["decided", "refused"]})
    review_status = fields.String()
    code = fields.String(metadata={"description": "The error code of a refused visit"})


class BulkResultSchema(Schema):
    decision = fields.String()
    counts = fields.Dict(keys=fields.String(), values=fields.Integer())
    results = fields.List(fields.Nested(BulkItemSchema))


class BulkResponseSchema(Schema):
    data = fields.Nested(BulkResultSchema)


class ClaimSchema(Schema):
    minutes = fields.Integer(load_default=15, validate=validate.Range(min=1, max=240))
    release = JsonBoolean(load_default=False)


class ClaimResultSchema(Schema):
    id = fields.UUID()
    claimed_by_id = fields.Integer(allow_none=True)
    claimed_until = fields.DateTime(allow_none=True)


class ClaimResponseSchema(Schema):
    data = fields.Nested(ClaimResultSchema)


class ReviewDetailSchema(Schema):
    visit = fields.Dict(metadata={"description": "The visit as stored (answers, flags, review state)"})
    household_now = fields.Dict(allow_none=True, metadata={"description": "{version, household, members}"})
    household_at_base = fields.Dict(allow_none=True, metadata={"description": "The same at the visit's base version"})
    comparison = fields.List(
        fields.Dict(), metadata={"description": "Field by field: {member_id, field, now, at_base, found}"}
    )
    photos = fields.List(fields.Dict(), metadata={"description": "Declared photos, `state` uploaded or missing"})
    earlier_visits = fields.List(fields.Dict())
    reviews = fields.List(fields.Dict(), metadata={"description": "Decisions on this visit, oldest first"})
    changes = fields.List(fields.Dict(), metadata={"description": "The household's registry change history"})
    pending_changes = fields.List(fields.Dict(), metadata={"description": "Proposed changes awaiting musyawarah"})
    target_candidates = fields.List(fields.Dict(), metadata={"description": "Households it may duplicate"})


class ReviewDetailResponseSchema(Schema):
    data = fields.Nested(ReviewDetailSchema)


class CatalogResponseSchema(Schema):
    data = fields.Dict(metadata={"description": "{reasons: [...], approval_effects: [...]}"})


class ChangeHistoryQuerySchema(Schema):
    class Meta:
        unknown = EXCLUDE

    at_version = fields.Integer(validate=validate.Range(min=1))


class ChangeHistoryResponseSchema(Schema):
    data = fields.Dict(metadata={"description": "{household_id, version, changes: [...], at_version: {...}|null}"})
