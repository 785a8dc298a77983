"""Marshmallow schemas of user management: create, update, password, devices."""

from __future__ import annotations

from marshmallow import EXCLUDE, Schema, fields, validate

from server.auth.passwords import MIN_LENGTH
from server.auth.schemas import UserSchema
from server.openapi.schemas import JsonBoolean
from server.types import Role

ROLES = [role.value for role in Role]
USERNAME = validate.Regexp(
    r"^[a-z0-9][a-z0-9._-]{2,63}$", error="3-64 huruf kecil, angka, . _ - / 3-64 lowercase letters, digits, . _ -"
)
REGION_CODES = fields.List(
    fields.String(validate=validate.Length(min=2, max=13)),
    metadata={"description": "Region codes of the user's area (city, kecamatan or kelurahan); none for admins"},
)
# The policy's length (auth.passwords.password_problems checks it, with its own bilingual message).
NEW_PASSWORD = {"minLength": MIN_LENGTH, "description": f"At least {MIN_LENGTH} characters, not the username"}


class UserCreateSchema(Schema):
    username = fields.String(required=True, validate=USERNAME)
    full_name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    role = fields.String(required=True, validate=validate.OneOf(ROLES))
    region_codes = REGION_CODES
    password = fields.String(required=True, load_only=True, validate=validate.Length(max=256), metadata=NEW_PASSWORD)


class UserUpdateSchema(Schema):
    full_name = fields.String(validate=validate.Length(min=1, max=200))
    role = fields.String(validate=validate.OneOf(ROLES))
    region_codes = REGION_CODES
    active = JsonBoolean()


class PasswordResetSchema(Schema):
    password = fields.String(required=True, load_only=True, validate=validate.Length(max=256), metadata=NEW_PASSWORD)


class PasswordChangeSchema(Schema):
    current_password = fields.String(required=True, load_only=True, validate=validate.Length(max=256))
    new_password = fields.String(
        required=True, load_only=True, validate=validate.Length(max=256), metadata=NEW_PASSWORD
    )


class UserListQuerySchema(Schema):
    class Meta:
        unknown = EXCLUDE

    role = fields.String(validate=validate.OneOf(ROLES))
    active = fields.Boolean()


class DeviceDetailSchema(Schema):
    id = fields.UUID()
    user_id = fields.Integer()
    name = fields.String()
    user_agent = fields.String(allow_none=True)
    created_at = fields.DateTime()
    last_seen_at = fields.DateTime(allow_none=True)
    revoked_at = fields.DateTime(allow_none=True)


class UserResponseSchema(Schema):
    data = fields.Nested(UserSchema)


class UserListResponseSchema(Schema):
    data = fields.List(fields.Nested(UserSchema))


class DeviceListResponseSchema(Schema):
    data = fields.List(fields.Nested(DeviceDetailSchema))


class DeviceResponseSchema(Schema):
    data = fields.Nested(DeviceDetailSchema)
