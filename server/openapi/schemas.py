"""Marshmallow schemas shared by every route's documentation: the error envelope and list metadata; and the
JSON body's boolean field (`JsonBoolean`), which takes `true` and `false` only, and its money field
(`DecimalText`), which takes a decimal number written as text only; the pattern of a comma-separated filter
of known values (`list_pattern`)."""

from __future__ import annotations

import re
from decimal import Decimal

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


class JsonBoolean(fields.Boolean):
    """A boolean in a JSON body: `true` or `false`, nothing else (marshmallow's Boolean also takes 0, 1, "yes",
    "on" …, which the document's `type: boolean` does not allow). Query strings keep fields.Boolean."""

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, bool):  # 1 == True in Python: a set of truthy values cannot tell them apart
            raise self.make_error("invalid", input=value)
        return value


class DecimalText(fields.Decimal):
    """An amount of Rupiah in a JSON body: text of up to 11 digits and at most 2 decimals ("200000",
    "150000.50"), as answers write it. marshmallow's Decimal also takes JSON numbers (binary floats),
    exponents ("1e5") and rounds extra decimals away, none of which the document's pattern allows."""

    PATTERN = r"^[0-9]{1,11}(\.[0-9]{1,2})?$"

    def __init__(self, **kwargs):
        metadata = {"type": "string", "format": "decimal", "pattern": self.PATTERN, **kwargs.pop("metadata", {})}
        super().__init__(metadata=metadata, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, str) or not re.match(self.PATTERN, value):
            raise self.make_error("invalid", input=value)
        return Decimal(value)


def list_pattern(values: list[str], *, blanks: str = "", empty: bool = False) -> str:
    """The document's pattern of a comma-separated list of known values read by splitting on commas and
    skipping empty parts: `blanks` is what the reader strips around a part (a regex class, e.g. `\\s`), and
    `empty` whether a list with no value at all is accepted (no filter)."""
    value = "(?:" + "|".join(values) + ")"
    space = f"{blanks}*" if blanks else ""
    skipped = f"[{blanks},]*"
    listed = f"{value}({space},{skipped}{value})*{skipped}"
    return f"^{skipped}({listed})?$" if empty else f"^{skipped}{listed}$"
