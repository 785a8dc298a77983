"""Sessions: login on a named device, refresh-token rotation with reuse detection, logout.

A login starts a token *family*; every refresh marks the presented token rotated and issues the next one of
the same family. Presenting a token that was already rotated means two parties hold it (one stole it), so
the whole family is revoked and both must log in again. Access tokens carry the family id and the device,
and `access._authenticate` refuses them as soon as either is revoked, so logout is immediate, not at expiry.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from flask import current_app, g, request
from flask_jwt_extended import create_access_token, create_refresh_token, get_jwt

from server.audit.service import record
from server.auth import queries
from server.auth.access import Actor
from server.auth.models import Device, User
from server.auth.passwords import verify_password
from server.config import DEMO_PASSWORD
from server.errors import INVALID_CREDENTIALS, UNAUTHORIZED, AppError
from server.extensions import db
from server.types import Role
from server.unit_of_work import outlive_rollback


def login(*, username: str, password: str, device_name: str, device_id: uuid.UUID | None) -> dict[str, Any]:
    user = check_credentials(username=username, password=password)
    device = _device_for(user, device_name, device_id)
    tokens = _issue(user, device, family_id=uuid.uuid4())
    g.actor = _actor(user, device)
    record("auth.login", object_type="device", object_id=device.id, changes={"device_name": device.name})
    return tokens


def check_credentials(*, username: str, password: str, via: str | None = None) -> User:
    """The user these credentials name, or the one refusal for every reason (audited with the reason)."""
    user = queries.get_user_by_username(username=username)
    refusal = _refusal(user, password)
    if refusal:
        user_id = user.id if user else None
        changes = {"reason": refusal, **({"via": via} if via else {})}
        # Failed attempts must survive the error answer: they are what the rate limit and audit are for.
        outlive_rollback(
            lambda: record(
                "auth.login_failed",
                object_type="user",
                object_id=user_id,
                actor_id=user_id,
                actor_username=username[:64],
                changes=changes,
            )
        )
        raise AppError(INVALID_CREDENTIALS)
    return user


def refresh() -> dict[str, Any]:
    """Rotate the presented refresh token (already verified by flask-jwt-extended)."""
    claims = get_jwt()
    now = datetime.now(UTC)
    token = queries.lock_refresh_token(jti=uuid.UUID(claims["jti"]))
    if token is None or token.revoked_at is not None:
        raise AppError(UNAUTHORIZED, details={"reason": "token_revoked"})
    if token.rotated_at is not None:
        family_id, user_id = token.family_id, token.user_id

        def revoke_family() -> None:
            # Two parties hold this token: the whole family dies, even though the answer is a refusal.
            revoked = queries.revoke_tokens(at=now, family_id=family_id)
            record(
                "auth.refresh_reuse",
                object_type="token_family",
                object_id=family_id,
                actor_id=user_id,
                changes={"revoked_tokens": revoked},
            )

        outlive_rollback(revoke_family)
        raise AppError(UNAUTHORIZED, details={"reason": "token_reused"})
    user = db.session.get(User, token.user_id)
    device = db.session.get(Device, token.device_id) if token.device_id else None
    if user is None or not user.active or (device is not None and device.revoked_at is not None):
        raise AppError(UNAUTHORIZED, details={"reason": "account_inactive"})
    token.rotated_at = now
    if device is not None:
        device.last_seen_at = now
    return _issue(user, device, family_id=token.family_id)


def logout(actor: Actor) -> int:
    """Revoke this session's family and every token of its device; returns how many were revoked."""
    now = datetime.now(UTC)
    family = get_jwt().get("fam")
    revoked = 0
    if family:
        revoked += queries.revoke_tokens(at=now, family_id=uuid.UUID(family))
    if actor.device_id:
        revoked += queries.revoke_tokens(at=now, device_id=actor.device_id)
    record("auth.logout", object_type="device", object_id=actor.device_id, changes={"revoked_tokens": revoked})
    return revoked


def describe(actor: Actor) -> dict[str, Any]:
    user = db.session.get(User, actor.user_id)
    device = db.session.get(Device, actor.device_id) if actor.device_id else None
    return {"user": user, "device": device}


def _refusal(user: User | None, password: str) -> str | None:
    """Why this login is refused (for the audit log only; the caller sees one answer for all)."""
    # The unknown user costs the same argon2 verification as a known one (no username oracle in the timing).
    matches = verify_password(user.password_hash if user else None, password)
    if user is None:
        return "unknown_user"
    if not matches:
        return "wrong_password"
    if not user.active:
        return "inactive"
    if password == DEMO_PASSWORD and not current_app.config["ALLOW_DEMO_PASSWORD"]:
        return "demo_password_in_production"
    return None


def _device_for(user: User, name: str, device_id: uuid.UUID | None) -> Device:
    """The phone's registered device when it is still this user's and not revoked; a new one otherwise."""
    agent = (request.user_agent.string or "")[:400] or None
    device = queries.get_device(device_id=device_id) if device_id else None
    if device is not None and device.user_id == user.id and device.revoked_at is None:
        device.name = name
        device.user_agent = agent
        device.last_seen_at = datetime.now(UTC)
        return device
    reuse_id = device_id if device_id and device is None else None
    return queries.add_device(user_id=user.id, name=name, user_agent=agent, device_id=reuse_id)


def _issue(user: User, device: Device | None, *, family_id: uuid.UUID) -> dict[str, Any]:
    claims = {"fam": str(family_id)}
    if device is not None:
        claims["device"] = str(device.id)
    jti = uuid.uuid4()
    lifetime = current_app.config["JWT_REFRESH_TOKEN_EXPIRES"]
    access_lifetime = current_app.config["JWT_ACCESS_TOKEN_EXPIRES"]
    queries.add_refresh_token(
        jti=jti,
        family_id=family_id,
        user_id=user.id,
        device_id=device.id if device else None,
        expires_at=datetime.now(UTC) + lifetime,
    )
    return {
        "access_token": create_access_token(identity=str(user.id), additional_claims=claims),
        "refresh_token": create_refresh_token(identity=str(user.id), additional_claims={**claims, "jti": str(jti)}),
        "expires_in": int(access_lifetime.total_seconds()),
        "user": user,
        "device": device,
    }


def _actor(user: User, device: Device | None) -> Actor:
    return Actor(
        user_id=user.id,
        username=user.username,
        role=Role(user.role),
        region_codes=tuple(user.region_codes),
        device_id=device.id if device else None,
    )
