"""HTTP routes of user management (`/api/v1/users…`, `/api/v1/devices…`): admin only."""

from __future__ import annotations

import uuid

from server.api import Blueprint
from server.auth.access import current_actor, require
from server.types import Role
from server.users import service
from server.users.schemas import (
    DeviceListResponseSchema,
    DeviceResponseSchema,
    PasswordResetSchema,
    UserCreateSchema,
    UserListQuerySchema,
    UserListResponseSchema,
    UserResponseSchema,
    UserUpdateSchema,
)

bp = Blueprint("users", __name__, description="Pengguna dan perangkat / Users and devices")


@bp.get("/users")
@require(Role.ADMIN)
@bp.arguments(UserListQuerySchema, location="query")
@bp.response(200, UserListResponseSchema, description="Users")
@bp.doc(summary="List users")
def list_users(filters: dict):
    """Every account, by username."""
    return {"data": service.list_users(**filters)}


@bp.post("/users")
@require(Role.ADMIN)
@bp.arguments(UserCreateSchema)
@bp.response(201, UserResponseSchema, description="The user")
@bp.alt_response(409, response="Conflict")
@bp.doc(summary="Create a user")
def create_user(data: dict):
    """Create an account with a role and an area (region codes; none for admins)."""
    return {"data": service.create_user(data)}


@bp.get("/users/<int:user_id>")
@require(Role.ADMIN)
@bp.response(200, UserResponseSchema, description="The user")
@bp.alt_response(404, response="NotFound")
@bp.doc(summary="Get a user")
def get_user(user_id: int):
    """One account."""
    return {"data": service.require_user(user_id)}


@bp.patch("/users/<int:user_id>")
@require(Role.ADMIN)
@bp.arguments(UserUpdateSchema)
@bp.response(200, UserResponseSchema, description="The user")
@bp.alt_response(404, response="NotFound")
@bp.doc(summary="Update a user")
def update_user(data: dict, user_id: int):
    """Change name, role, area or active flag; rights taken away end the user's sessions at once."""
    return {"data": service.update_user(user_id, data, current_actor())}


@bp.post("/users/<int:user_id>/password")
@require(Role.ADMIN)
@bp.arguments(PasswordResetSchema)
@bp.response(200, UserResponseSchema, description="The user")
@bp.alt_response(404, response="NotFound")
@bp.doc(summary="Reset a password")
def reset_password(data: dict, user_id: int):
    """Set a new password for a user (who forgot theirs); all their sessions end."""
    return {"data": service.reset_password(user_id, data["password"])}


@bp.get("/users/<int:user_id>/devices")
@require(Role.ADMIN)
@bp.response(200, DeviceListResponseSchema, description="Devices")
@bp.alt_response(404, response="NotFound")
@bp.doc(summary="List a user's devices")
def list_devices(user_id: int):
    """The devices a user registered at login, revoked ones included."""
    return {"data": service.devices_of(user_id)}


@bp.post("/devices/<uuid:device_id>/revoke")
@require(Role.ADMIN)
@bp.response(200, DeviceResponseSchema, description="The device")
@bp.alt_response(404, response="NotFound")
@bp.doc(summary="Revoke a device")
def revoke_device(device_id: uuid.UUID):
    """Revoke a lost or stolen device: its tokens stop working at once."""
    return {"data": service.revoke_device(device_id)}
