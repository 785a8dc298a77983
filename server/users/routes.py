"""HTTP routes of user management (`/api/v1/users…`, `/api/v1/devices…`): admin only."""

from __future__ import annotations

import uuid

from flask import Blueprint, request

from server.auth.access import current_actor, require
from server.auth.schemas import UserSchema
from server.http import json_body, ok
from server.types import Role
from server.users import service
from server.users.schemas import (
    DeviceDetailSchema,
    PasswordResetSchema,
    UserCreateSchema,
    UserListQuerySchema,
    UserUpdateSchema,
)

bp = Blueprint("users", __name__)


@bp.get("/users")
@require(Role.ADMIN)
def list_users():
    """Every account, by username.
    ---
    get:
      tags: [users]
      summary: List users
      parameters:
        - in: query
          schema: UserListQuerySchema
      responses:
        200:
          description: Users
          content:
            application/json:
              schema: UserListResponseSchema
        403: Forbidden
        422: ValidationFailed
    """
    filters = UserListQuerySchema().load(request.args)
    return ok(UserSchema(many=True).dump(service.list_users(**filters)))


@bp.post("/users")
@require(Role.ADMIN)
def create_user():
    """Create an account with a role and an area (region codes; none for admins).
    ---
    post:
      tags: [users]
      summary: Create a user
      requestBody:
        required: true
        content:
          application/json:
            schema: UserCreateSchema
      responses:
        201:
          description: The user
          content:
            application/json:
              schema: UserResponseSchema
        403: Forbidden
        409: Conflict
        422: ValidationFailed
    """
    user = service.create_user(UserCreateSchema().load(json_body()))
    return ok(UserSchema().dump(user), 201)


@bp.get("/users/<int:user_id>")
@require(Role.ADMIN)
def get_user(user_id: int):
    """One account.
    ---
    get:
      tags: [users]
      summary: Get a user
      responses:
        200:
          description: The user
          content:
            application/json:
              schema: UserResponseSchema
        403: Forbidden
        404: NotFound
    """
    return ok(UserSchema().dump(service.require_user(user_id)))


@bp.patch("/users/<int:user_id>")
@require(Role.ADMIN)
def update_user(user_id: int):
    """Change name, role, area or active flag; rights taken away end the user's sessions at once.
    ---
    patch:
      tags: [users]
      summary: Update a user
      requestBody:
        required: true
        content:
          application/json:
            schema: UserUpdateSchema
      responses:
        200:
          description: The user
          content:
            application/json:
              schema: UserResponseSchema
        403: Forbidden
        404: NotFound
        422: ValidationFailed
    """
    user = service.update_user(user_id, UserUpdateSchema().load(json_body()), current_actor())
    return ok(UserSchema().dump(user))


@bp.post("/users/<int:user_id>/password")
@require(Role.ADMIN)
def reset_password(user_id: int):
    """Set a new password for a user (who forgot theirs); all their sessions end.
    ---
    post:
      tags: [users]
      summary: Reset a password
      requestBody:
        required: true
        content:
          application/json:
            schema: PasswordResetSchema
      responses:
        200:
          description: The user
          content:
            application/json:
              schema: UserResponseSchema
        403: Forbidden
        404: NotFound
        422: ValidationFailed
    """
    user = service.reset_password(user_id, PasswordResetSchema().load(json_body())["password"])
    return ok(UserSchema().dump(user))


@bp.get("/users/<int:user_id>/devices")
@require(Role.ADMIN)
def list_devices(user_id: int):
    """The devices a user registered at login, revoked ones included.
    ---
    get:
      tags: [users]
      summary: List a user's devices
      responses:
        200:
          description: Devices
          content:
            application/json:
              schema: DeviceListResponseSchema
        403: Forbidden
        404: NotFound
    """
    return ok(DeviceDetailSchema(many=True).dump(service.devices_of(user_id)))


@bp.post("/devices/<uuid:device_id>/revoke")
@require(Role.ADMIN)
def revoke_device(device_id: uuid.UUID):
    """Revoke a lost or stolen device: its tokens stop working at once.
    ---
    post:
      tags: [users]
      summary: Revoke a device
      responses:
        200:
          description: The device
          content:
            application/json:
              schema: DeviceResponseSchema
        403: Forbidden
        404: NotFound
    """
    device = service.revoke_device(device_id)
    return ok(DeviceDetailSchema().dump(device))
