"""Marshmallow schemas of the sync pull."""

from __future__ import annotations

from marshmallow import Schema, fields, validate


class PullQuerySchema(Schema):
    cursor = fields.String(load_default=None, metadata={"description": "`meta.next_cursor` of the last page"})
    limit = fields.Integer(load_default=500, validate=validate.Range(min=1, max=1000))
