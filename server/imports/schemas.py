"""Marshmallow schemas of the import API: reports, summaries, aid match proposals and their decisions."""

from __future__ import annotations

from marshmallow import EXCLUDE, Schema, fields, validate


class ImportRejectionSchema(Schema):
    row = fields.Integer(metadata={"description": "Row number as shown by the spreadsheet (header = 1)"})
    column = fields.String(allow_none=True)
    registry_id = fields.String(allow_none=True)
    code = fields.String()
    reason = fields.String()


class ImportSummarySchema(Schema):
    id = fields.Integer()
    kind = fields.String(metadata={"description": "registry or aid:<program code>"})
    filename = fields.String()
    sha256 = fields.String()
    dry_run = fields.Boolean()
    actor_id = fields.Integer(allow_none=True)
    created_at = fields.DateTime()
    counts = fields.Dict()


class ImportReportSchema(ImportSummarySchema):
    rejections = fields.List(fields.Nested(ImportRejectionSchema))
    rejections_truncated = fields.Boolean()
    warnings = fields.List(
        fields.Nested(ImportRejectionSchema),
        metadata={
            "description": "Applied rows worth a look (codes warning.*), e.g. birth date or sex contradicting"
            " the NIK, a NIK listed in two households; also in rejections.csv"
        },
    )
    warnings_truncated = fields.Boolean()
    rejections_csv = fields.String(metadata={"description": "Every rejection and warning as CSV"})


class AidCandidateSchema(Schema):
    household_id = fields.UUID()
    member_id = fields.UUID(allow_none=True)
    name = fields.String()
    region_code = fields.String()
    score = fields.Float()


class AidProposalSchema(Schema):
    id = fields.Integer()
    import_id = fields.Integer()
    row = fields.Integer()
    listed_name = fields.String()
    listed_number = fields.String(allow_none=True)
    region_code = fields.String(allow_none=True)
    period_start = fields.Date()
    period_end = fields.Date()
    amount = fields.String(allow_none=True)
    receipt_status = fields.String()
    candidates = fields.List(fields.Nested(AidCandidateSchema))
    state = fields.String()
    decided_by_id = fields.Integer(allow_none=True)
    decided_at = fields.DateTime(allow_none=True)
    receipt_id = fields.Integer(allow_none=True)


class ProposalDecisionSchema(Schema):
    household_id = fields.UUID(required=True)
    member_id = fields.UUID(allow_none=True, metadata={"description": "Required for person programs"})


class ImportListResponseSchema(Schema):
    data = fields.List(fields.Nested(ImportSummarySchema))


class ImportReportResponseSchema(Schema):
    data = fields.Nested(ImportReportSchema)


class ProposalListQuerySchema(Schema):
    class Meta:
        unknown = EXCLUDE

    state = fields.String(validate=validate.OneOf(["pending", "confirmed", "rejected"]))
    import_id = fields.Integer()


class ProposalListResponseSchema(Schema):
    data = fields.List(fields.Nested(AidProposalSchema))


class ProposalResponseSchema(Schema):
    data = fields.Nested(AidProposalSchema)
