"""HTTP routes of sessions (`/api/v1/auth/…`): login on a device, token refresh, logout, who am I."""

from __future__ import annotations

import uuid

from flask import current_app, request
from flask_jwt_extended import get_jwt, jwt_required
from flask_limiter.util import get_remote_address

from server.api import Blueprint
from server.auth import service
from server.auth.access import current_actor, require
from server.auth.schemas import LoginSchema, RevokedResponseSchema, SessionResponseSchema, TokensResponseSchema
from server.extensions import limiter
from server.users.schemas import PasswordChangeSchema
from server.users.service import change_own_password

bp = Blueprint("auth", __name__, description="Sesi / Sessions")


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
@bp.arguments(LoginSchema)
@bp.response(200, TokensResponseSchema, description="Tokens, the user and the device")
@bp.alt_response(401, response="Unauthorized")
@bp.alt_response(429, response="TooManyRequests")
@bp.doc(summary="Log in", security=[])
def login(credentials: dict):
    """Log in on a named device; answers an access and a refresh token (public).

    The phone sends the `device_id` it got at an earlier login so the device keeps its identity. Attempts are
    rate-limited per client address, failed attempts per address and per account at that address (429 with
    Retry-After); see docs/operations.md for the numbers.
    """
    return {"data": service.login(**credentials)}


@bp.post("/auth/refresh")
@jwt_required(refresh=True)
@bp.response(200, TokensResponseSchema, description="New tokens")
@bp.alt_response(401, response="Unauthorized")
@bp.doc(summary="Rotate tokens", security=[])
def refresh():
    """Exchange the refresh token (as Bearer) for a new access and refresh token (public).

    Every refresh token works once. Presenting one that was already exchanged revokes its whole family (all
    sessions that descend from the same login) and answers 401.
    """
    return {"data": service.refresh()}


@bp.post("/auth/logout")
@require()
@bp.response(200, RevokedResponseSchema, description="How many refresh tokens were revoked")
@bp.doc(summary="Log out")
def logout():
    """Revoke this session and every token of this device at once."""
    return {"data": {"revoked_tokens": service.logout(current_actor())}}


@bp.get("/auth/me")
@require()
@bp.response(200, SessionResponseSchema, description="User and device")
@bp.doc(summary="Who am I")
def me():
    """The caller's account and device."""
    return {"data": service.describe(current_actor())}


@bp.post("/auth/password")
@require()
@bp.arguments(PasswordChangeSchema)
@bp.response(200, RevokedResponseSchema, description="How many refresh tokens of other sessions were revoked")
@bp.doc(summary="Change password")
def change_password(data: dict):
    """Change one's own password; every other session of the user ends."""
    family = get_jwt().get("fam")
    revoked = change_own_password(
        current_actor(), data["current_password"], data["new_password"], uuid.UUID(family) if family else None
    )
    return {"data": {"revoked_tokens": revoked}}
