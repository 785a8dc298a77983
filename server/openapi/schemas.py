"""Marshmallow schemas shared by every route's documentation: the error envelope and list metadata."""

from __future__ import annotations

from marshmallow import INCLUDE, Schema, fields


class ErrorBodySchema(Schema):
    code = fields.String(required=True, metadata={"example": "validation.failed"})
    message = fields.String(required=True, metadata={"example": "Data tidak valid / Invalid data"})
    details = fields.Dict(
        required=True, metadata={"description": "Validation errors carry `fields`: {field: [messages]}"}
    )


class ErrorEnvelopeSchema(Schema):
    error = fields.Nested(ErrorBodySchema, required=True)


class ListMetaSchema(Schema):
    next_cursor = fields.String(allow_none=True, metadata={"description": "Opaque; pass back as `cursor`"})
    limit = fields.Integer(metadata={"description": "The page size used"})
    total = fields.Integer(allow_none=True)


class DocumentSchema(Schema):
    """An OpenAPI 3.0 document (any object)."""

    class Meta:
        unknown = INCLUDE
