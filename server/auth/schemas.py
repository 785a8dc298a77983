"""Marshmallow schemas of the auth API: the login body and the user/device/token answers."""

from __future__ import annotations

from marshmallow import Schema, fields, validate


class LoginSchema(Schema):
    username = fields.String(required=True, validate=validate.Length(min=1, max=64))
    password = fields.String(required=True, validate=validate.Length(min=1, max=256), load_only=True)
    device_name = fields.String(required=True, validate=validate.Length(min=1, max=120))
    device_id = fields.UUID(load_default=None, metadata={"description": "The id this phone got at an earlier login"})


class UserSchema(Schema):
    id = fields.Integer()
    username = fields.String()
    full_name = fields.String()
    role = fields.String()
    region_codes = fields.List(fields.String())
    active = fields.Boolean()


class DeviceSchema(Schema):
    id = fields.UUID()
    name = fields.String()


class TokensSchema(Schema):
    access_token = fields.String()
    refresh_token = fields.String()
    expires_in = fields.Integer(metadata={"description": "Seconds until the access token expires"})
    user = fields.Nested(UserSchema)
    device = fields.Nested(DeviceSchema)


class TokensResponseSchema(Schema):
    data = fields.Nested(TokensSchema)


class RevokedSchema(Schema):
    revoked_tokens = fields.Integer(required=True, metadata={"description": "How many refresh tokens were revoked"})


class RevokedResponseSchema(Schema):
    data = fields.Nested(RevokedSchema, required=True)


class SessionSchema(Schema):
    user = fields.Nested(UserSchema)
    device = fields.Nested(DeviceSchema, allow_none=True)


class SessionResponseSchema(Schema):
    data = fields.Nested(SessionSchema)
