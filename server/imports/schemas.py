"""Marshmallow schemas documenting import reports (the routes build plain dicts in this shape)."""

from __future__ import annotations

from marshmallow import Schema, fields


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
    rejections_csv = fields.String()
