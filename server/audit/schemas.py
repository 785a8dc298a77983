"""Marshmallow schemas of the audit query API."""

from __future__ import annotations

from marshmallow import EXCLUDE, Schema, fields, validate

from server.audit.queries import AUDIT_ORDERS
from server.openapi.schemas import ListMetaSchema


class AuditQuerySchema(Schema):
    class Meta:
        unknown = EXCLUDE

    actor_id = fields.Integer()
    actor = fields.String(metadata={"description": "Username of the actor"})
    action = fields.String(metadata={"description": "Exact action, or a prefix ending in '.', e.g. `auth.`"})
    object_type = fields.String()
    object_id = fields.String()
    since = fields.AwareDateTime(metadata={"description": "From this time (inclusive)"})
    until = fields.AwareDateTime(metadata={"description": "Before this time"})
    sort = fields.String(
        validate=validate.OneOf(list(AUDIT_ORDERS)),
        metadata={"description": "time (newest first, the default), time_asc, actor, actor_desc, action, action_desc"},
    )
    cursor = fields.String(metadata={"description": "From the previous page, with the same sort"})
    limit = fields.Integer(load_default=100, validate=validate.Range(min=1, max=1000))


class AuditEntrySchema(Schema):
    id = fields.Integer()
    at = fields.DateTime()
    actor_id = fields.Integer(allow_none=True)
    actor_username = fields.String(allow_none=True)
    device_id = fields.UUID(allow_none=True)
    client_addr = fields.String(allow_none=True)
    action = fields.String()
    object_type = fields.String(allow_none=True)
    object_id = fields.String(allow_none=True)
    changes = fields.Dict(allow_none=True, metadata={"description": "NIK / No. KK are stored masked"})


class AuditListResponseSchema(Schema):
    data = fields.List(fields.Nested(AuditEntrySchema))
    meta = fields.Nested(ListMetaSchema)
