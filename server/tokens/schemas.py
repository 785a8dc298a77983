"""Marshmallow schemas of personal access tokens: the create request, a token as listed, the one-time secret."""

from __future__ import annotations

from marshmallow import Schema, fields, validate


class AccessTokenCreateSchema(Schema):
    name = fields.String(
        required=True,
        validate=validate.Length(min=1, max=100),
        metadata={"description": "What the token is for, e.g. 'QGIS kantor Bappeda'"},
    )
    expires_in_days = fields.Integer(
        load_default=90, validate=validate.Range(min=1, max=365), metadata={"description": "1-365, default 90"}
    )


class AccessTokenSchema(Schema):
    id = fields.UUID(required=True)
    name = fields.String(required=True)
    prefix = fields.String(required=True, metadata={"description": "The secret's first characters"})
    status = fields.String(required=True, validate=validate.OneOf(["active", "expired", "revoked"]))
    created_at = fields.DateTime(required=True)
    expires_at = fields.DateTime(required=True)
    last_used_at = fields.DateTime(allow_none=True)
    revoked_at = fields.DateTime(allow_none=True)


class AccessTokenSecretSchema(AccessTokenSchema):
    token = fields.String(
        required=True,
        metadata={"description": "The secret, shown this once: send it as `Authorization: Bearer <token>`"},
    )


class AccessTokenResponseSchema(Schema):
    data = fields.Nested(AccessTokenSchema, required=True)


class AccessTokenCreatedResponseSchema(Schema):
    data = fields.Nested(AccessTokenSecretSchema, required=True)


class AccessTokenListResponseSchema(Schema):
    data = fields.List(fields.Nested(AccessTokenSchema), required=True)
