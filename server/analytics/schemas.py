"""Marshmallow schemas of the analytics API: query parameters, rules and their bodies, figures, drill-down
rows and snapshots (responses are dumped or documented through them)."""

from __future__ import annotations

from typing import Any, ClassVar

from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate, validates_schema

from server.analytics.models import AMOUNT_PER, RULE_KINDS
from server.analytics.service import KINDS, LEVELS, SIDES
from server.openapi.schemas import DecimalText, JsonBoolean

CODE = validate.Regexp(r"^[A-Z0-9][A-Z0-9_-]{1,31}$")
REGION = validate.Regexp(r"^\d{2}(\.\d{2}(\.\d{2}(\.\d{4})?)?)?$", error="Kode wilayah / a region code")
DIGITS = validate.Regexp(r"^\d{1,3}$")


class PeriodQuerySchema(Schema):
    class Meta:
        unknown = EXCLUDE

    period_start = fields.Date(required=True, metadata={"description": "First day of the period"})
    period_end = fields.Date(required=True, metadata={"description": "Last day of the period"})
    region = fields.String(validate=REGION, metadata={"description": "Kecamatan or kelurahan code (default: all)"})
    program = fields.String(validate=CODE, metadata={"description": "Only findings involving this programme"})


class SummaryQuerySchema(PeriodQuerySchema):
    by = fields.String(validate=validate.OneOf(LEVELS), metadata={"description": "Also per sub-area"})
    refresh = fields.Boolean(load_default=False, metadata={"description": "Recompute now (not for viewers)"})


class DrilldownQuerySchema(PeriodQuerySchema):
    kind = fields.String(required=True, validate=validate.OneOf(KINDS))
    side = fields.String(validate=validate.OneOf(SIDES))
    rule_id = fields.Integer()
    rt = fields.String(validate=DIGITS)
    rw = fields.String(validate=DIGITS)
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=100_000))
    per_page = fields.Integer(load_default=100, validate=validate.Range(min=1, max=1000))


class ExportQuerySchema(DrilldownQuerySchema):
    format = fields.String(load_default="csv", validate=validate.OneOf(["csv", "xlsx"]))


class SummaryExportQuerySchema(SummaryQuerySchema):
    format = fields.String(load_default="csv", validate=validate.OneOf(["csv", "xlsx"]))


class FigureSchema(Schema):
    kind = fields.String(metadata={"enum": list(KINDS)})
    side = fields.String(metadata={"enum": list(SIDES)})
    rule_id = fields.Integer(allow_none=True)
    programs = fields.List(fields.String(), metadata={"description": "Stacking: the rule's programmes"})
    program = fields.String(allow_none=True, metadata={"description": "Set on a per-programme line"})
    households = fields.Integer(allow_none=True)
    receipts = fields.Integer(allow_none=True)
    rupiah_period = fields.Integer(allow_none=True)
    rupiah_month = fields.Integer(allow_none=True)
    rupiah_year = fields.Integer(allow_none=True)
    rupiah_estimated_month = fields.Integer(allow_none=True, metadata={"description": "Part from standard amounts"})
    estimate = fields.Boolean()
    unknown_amount_receipts = fields.Integer(allow_none=True)
    suppressed = fields.Boolean(metadata={"description": "A viewer's cell of fewer than 5 households"})
    families_reachable = fields.Integer(
        allow_none=True,
        metadata={"description": "Receiving families this Rupiah a month would pay at the area's average"},
    )


class AreaSchema(Schema):
    code = fields.String()
    name = fields.String(allow_none=True)
    rw = fields.String(allow_none=True)
    rt = fields.String(allow_none=True)
    figures = fields.List(fields.Nested(FigureSchema))


class RuleBriefSchema(Schema):
    id = fields.Integer()
    kind = fields.String()
    programs = fields.List(fields.String())
    label = fields.String(allow_none=True)
    legal_basis = fields.String()


class PeriodSchema(Schema):
    # Strings in ISO 8601 (the summary is built as JSON, and snapshots keep it as such).
    start = fields.String(metadata={"format": "date"})
    end = fields.String(metadata={"format": "date"})
    months = fields.Integer()


class SummarySchema(Schema):
    period = fields.Nested(PeriodSchema)
    region = fields.String(allow_none=True)
    program = fields.String(allow_none=True)
    by = fields.String(allow_none=True)
    rule_set_version = fields.Integer()
    as_of = fields.String(metadata={"format": "date-time"})
    stale = fields.Boolean(metadata={"description": "Data changed since; a refresh job is queued"})
    note = fields.String()
    figures = fields.List(fields.Nested(FigureSchema))
    areas = fields.List(fields.Nested(AreaSchema))
    rules = fields.List(fields.Nested(RuleBriefSchema))


class SummaryResponseSchema(Schema):
    data = fields.Nested(SummarySchema)


class DrilldownRowSchema(Schema):
    household_id = fields.String(metadata={"format": "uuid"})
    registry_id = fields.String(allow_none=True)
    kk_number = fields.String(allow_none=True)
    head_nik = fields.String(allow_none=True)
    head_name = fields.String()
    region_code = fields.String()
    kelurahan = fields.String()
    rw = fields.String(allow_none=True)
    rt = fields.String(allow_none=True)
    decile = fields.Integer(allow_none=True)
    registry_status = fields.String()
    verification_status = fields.String()
    programs = fields.List(fields.String())
    receipts = fields.Integer()
    rupiah_period = fields.Integer()
    rupiah_month = fields.Integer()
    estimate = fields.Boolean()


class PageMetaSchema(Schema):
    page = fields.Integer()
    per_page = fields.Integer()
    total = fields.Integer()


class DrilldownResponseSchema(Schema):
    data = fields.List(fields.Nested(DrilldownRowSchema))
    meta = fields.Nested(PageMetaSchema)


class RuleListQuerySchema(Schema):
    class Meta:
        unknown = EXCLUDE

    all = fields.Boolean(load_default=False, metadata={"description": "Include deactivated rules"})


class RuleSchema(Schema):
    id = fields.Integer()
    kind = fields.String(metadata={"enum": list(RULE_KINDS)})
    programs = fields.List(fields.String())
    label = fields.String(allow_none=True)
    desil_max = fields.Integer(allow_none=True)
    amount = fields.Decimal(
        as_string=True,
        allow_none=True,
        metadata={
            "type": "string",
            "format": "decimal",
            "description": "Rupiah, exact decimal",
            "example": "200000.00",
        },
    )
    amount_per = fields.String(allow_none=True, metadata={"enum": [*AMOUNT_PER, None]})
    valid_from = fields.Date(allow_none=True)
    valid_until = fields.Date(allow_none=True)
    legal_basis = fields.String()
    active = fields.Boolean()
    updated_at = fields.DateTime()


class RuleUpdateSchema(Schema):
    programs = fields.List(
        fields.String(validate=CODE), validate=validate.Length(min=1, max=50), metadata={"uniqueItems": True}
    )
    label = fields.String(allow_none=True, validate=validate.Length(max=200))
    desil_max = fields.Integer(strict=True, allow_none=True, validate=validate.Range(min=1, max=10))
    amount = DecimalText(allow_none=True, metadata={"description": "Rupiah, 0 to 10^11", "example": "200000"})
    amount_per = fields.String(allow_none=True, validate=validate.OneOf(AMOUNT_PER))
    valid_from = fields.Date(allow_none=True)
    valid_until = fields.Date(allow_none=True)
    legal_basis = fields.String(validate=validate.Length(min=3, max=2000))
    active = JsonBoolean()

    @validates_schema
    def valid_order(self, data: dict, **kwargs: Any) -> None:
        start, end = data.get("valid_from"), data.get("valid_until")
        if start and end and end < start:
            raise ValidationError("Harus sesudah valid_from / must not be before valid_from", "valid_until")


def _kind(kind: str, programs: tuple[int, int], required: tuple[str, ...] = ()) -> dict[str, Any]:
    """One kind of rule in the document: its number of programmes and the fields it needs (not null)."""
    low, high = programs
    needed = {"desil_max": {"type": "integer"}, "amount": {"type": "string"}, "amount_per": {"type": "string"}}
    branch: dict[str, Any] = {
        "properties": {
            "kind": {"type": "string", "enum": [kind]},
            "programs": {"type": "array", "minItems": low, "maxItems": high},
            **{name: needed[name] for name in required},
        }
    }
    if required:
        branch["required"] = list(required)
    return branch


class RuleCreateSchema(RuleUpdateSchema):
    # What rules._check asks of each kind, in the document (the programmes' existence needs the data).
    OPENAPI_RULES: ClassVar[dict] = {
        "anyOf": [
            _kind("exclusive", (2, 2)),
            _kind("same_purpose", (2, 50)),
            _kind("eligibility", (1, 1), ("desil_max",)),
            _kind("standard_amount", (1, 1), ("amount", "amount_per")),
        ]
    }

    kind = fields.String(required=True, validate=validate.OneOf(RULE_KINDS))
    programs = fields.List(
        fields.String(validate=CODE),
        required=True,
        validate=validate.Length(min=1, max=50),
        metadata={"uniqueItems": True},
    )
    legal_basis = fields.String(required=True, validate=validate.Length(min=3, max=2000))


class RuleResponseSchema(Schema):
    data = fields.Nested(RuleSchema)
    meta = fields.Dict(metadata={"description": "rule_set_version: the version after this change"})


class RuleListResponseSchema(Schema):
    data = fields.List(fields.Nested(RuleSchema))
    meta = fields.Dict(metadata={"description": "rule_set_version: the current version"})


class RuleVersionSchema(Schema):
    version = fields.Integer()
    actor_id = fields.Integer(allow_none=True)
    summary = fields.String()
    rules = fields.List(fields.Dict())
    created_at = fields.DateTime()


class RuleVersionListResponseSchema(Schema):
    data = fields.List(fields.Nested(RuleVersionSchema))


class SnapshotCreateSchema(Schema):
    title = fields.String(required=True, validate=validate.Length(min=1, max=200))
    period_start = fields.Date(required=True)
    period_end = fields.Date(required=True)
    region = fields.String(required=True, validate=REGION, metadata={"description": "City code for the city"})


class SnapshotBriefSchema(Schema):
    id = fields.Integer()
    title = fields.String()
    region_code = fields.String()
    period_start = fields.Date()
    period_end = fields.Date()
    rule_set_version = fields.Integer()
    as_of = fields.DateTime()
    created_at = fields.DateTime()


class SnapshotSchema(SnapshotBriefSchema):
    figures = fields.Nested(SummarySchema)


class SnapshotResponseSchema(Schema):
    data = fields.Nested(SnapshotSchema)


class SnapshotListResponseSchema(Schema):
    data = fields.List(fields.Nested(SnapshotBriefSchema))


class VisitExportQuerySchema(Schema):
    class Meta:
        unknown = EXCLUDE

    campaign_id = fields.Integer(metadata={"description": "Only this campaign's visits"})
    region = fields.String(validate=REGION)
    format = fields.String(
        load_default="csv",
        validate=validate.OneOf(["csv"]),
        metadata={"description": "CSV only; XLSX is made by a job: POST /api/v1/analytics/exports {what: visits}"},
    )


class ExportJobRequestSchema(Schema):
    # What `period_for_households` checks, in the document (the period's order needs the values).
    OPENAPI_RULES: ClassVar[dict] = {
        "anyOf": [
            {"properties": {"what": {"type": "string", "enum": ["visits"]}}},
            {"required": ["period_start", "period_end"]},
        ]
    }

    what = fields.String(required=True, validate=validate.OneOf(["households", "visits"]))
    format = fields.String(load_default="xlsx", validate=validate.OneOf(["csv", "xlsx"]))
    period_start = fields.Date(metadata={"description": "Required for households"})
    period_end = fields.Date(metadata={"description": "Required for households"})
    region = fields.String(validate=REGION)
    campaign_id = fields.Integer(strict=True)

    @validates_schema
    def period_for_households(self, data: dict, **kwargs: Any) -> None:
        if data["what"] == "households":
            missing = {
                name: ["Wajib untuk households / required for households"]
                for name in ("period_start", "period_end")
                if not data.get(name)
            }
            if missing:
                raise ValidationError(missing)
            if data["period_end"] < data["period_start"]:
                raise ValidationError("Harus sesudah period_start / must not be before period_start", "period_end")
