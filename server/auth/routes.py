"""HTTP routes of sessions (`/api/v1/auth/…`): login on a device, token refresh, logout, who am I."""

from __future__ import annotations

import uuid

from flask import Blueprint, current_app, request
from flask_jwt_extended import get_jwt, jwt_required
from flask_limiter.util import get_remote_address

from server.auth import service
from server.auth.access import current_actor, require
from server.auth.schemas import LoginSchema, SessionSchema, TokensSchema
from server.extensions import limiter
from server.http import json_body, ok
from server.users.schemas import PasswordChangeSchema
from server.users.service import change_own_password

bp = Blueprint("auth", __name__)


def _login_account_key() -> str:
    """Rate-limit key of the account being tried *from this address*: one address cannot guess one account
    quickly, and what it does there never locks the account's owner out at another address."""
    body = request.get_json(silent=True)
    username = body.get("username") if isinstance(body, dict) else None
    return f"login-account:{str(username or '').strip().lower()[:64]}:{get_remote_address()}"


def _login_failures_key() -> str:
    return f"login-failures:{get_remote_address()}"


def _count_failures_only(response) -> bool:
    return response.status_code == 401


@bp.post("/auth/login")
@limiter.limit(lambda: current_app.config["LOGIN_LIMIT_PER_ADDRESS"])
@limiter.limit(
    lambda: current_app.config["LOGIN_FAILURES_PER_ADDRESS"],
    key_func=_login_failures_key,
    deduct_when=_count_failures_only,
)
@limiter.limit(
    lambda: current_app.config["LOGIN_LIMIT_PER_ACCOUNT"], key_func=_login_account_key, deduct_when=_count_failures_only
)
def login():
    """Log in on a named device; answers an access and a refresh token (public).
    ---
    post:
      tags: [auth]
      summary: Log in
      description: >
        The phone sends the `device_id` it got at an earlier login so the device keeps its identity.
        Attempts are rate-limited per client address, failed attempts per address and per account at
        that address (429 with Retry-After); see docs/operations.md for the numbers.
      security: []
      requestBody:
        required: true
        content:
          application/json:
            schema: LoginSchema
      responses:
        200:
          description: Tokens, the user and the device
          content:
            application/json:
              schema: TokensResponseSchema
        401: Unauthorized
        422: ValidationFailed
        429: TooManyRequests
    """
    tokens = service.login(**LoginSchema().load(json_body()))
    return ok(TokensSchema().dump(tokens))


@bp.post("/auth/refresh")
@jwt_required(refresh=True)
def refresh():
    """Exchange the refresh token (as Bearer) for a new access and refresh token (public).
    ---
    post:
      tags: [auth]
      summary: Rotate tokens
      description: >
        Every refresh token works once. Presenting one that was already exchanged revokes its whole
        family (all sessions that descend from the same login) and answers 401.
      security: []
      responses:
        200:
          description: New tokens
          content:
            application/json:
              schema: TokensResponseSchema
        401: Unauthorized
    """
    tokens = service.refresh()
    return ok(TokensSchema().dump(tokens))


@bp.post("/auth/logout")
@require()
def logout():
    """Revoke this session and every token of this device at once.
    ---
    post:
      tags: [auth]
      summary: Log out
      responses:
        200:
          description: How many refresh tokens were revoked
          content:
            application/json:
              schema: RevokedResponseSchema
    """
    revoked = service.logout(current_actor())
    return ok({"revoked_tokens": revoked})


@bp.get("/auth/me")
@require()
def me():
    """The caller's account and device.
    ---
    get:
      tags: [auth]
      summary: Who am I
      responses:
        200:
          description: User and device
          content:
            application/json:
              schema: SessionResponseSchema
    """
    return ok(SessionSchema().dump(service.describe(current_actor())))


@bp.post("/auth/password")
@require()
def change_password():
    """Change one's own password; every other session of the user ends.
    ---
    post:
      tags: [auth]
      summary: Change password
      requestBody:
        required: true
        content:
          application/json:
            schema: PasswordChangeSchema
      responses:
        200:
          description: How many refresh tokens of other sessions were revoked
          content:
            application/json:
              schema: RevokedResponseSchema
        422: ValidationFailed
    """
    data = PasswordChangeSchema().load(json_body())
    family = get_jwt().get("fam")
    revoked = change_own_password(
        current_actor(), data["current_password"], data["new_password"], uuid.UUID(family) if family else None
    )
    return ok({"revoked_tokens": revoked})
