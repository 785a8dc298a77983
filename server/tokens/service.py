"""Personal access tokens for GIS clients: create (the secret is shown once), list, revoke, and authenticate.

QGIS and GDAL cannot refresh a 15-minute access token, so a user creates a token for them: read-only, good
only for the OGC API (/ogc/) and the vector tiles (server/gis/access.py accepts it, `require` on every other
route does not: it is not a JWT), with an expiry, revocable, and audited on use (its first use and then at
most once per USE_AUDIT_INTERVAL, so a map's hundred tile requests leave one row, not a hundred).
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from datetime import UTC, datetime, timedelta

from flask import request

from server.audit.service import record
from server.auth.access import Actor
from server.errors import ACCESS_TOKEN_LIMIT, NOT_FOUND, UNAUTHORIZED, AppError
from server.extensions import db
from server.tokens import queries
from server.tokens.models import AccessToken
from server.types import Role

PREFIX = "vrv_pat_"
MAX_LIVE_TOKENS = 20
USE_AUDIT_INTERVAL = timedelta(minutes=15)
USE_STAMP_INTERVAL = timedelta(minutes=1)


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def looks_like_token(credential: str) -> bool:
    return credential.startswith(PREFIX)


def status_of(token: AccessToken, now: datetime | None = None) -> str:
    now = now or datetime.now(UTC)
    if token.revoked_at is not None:
        return "revoked"
    return "expired" if token.expires_at <= now else "active"


def create_token(actor: Actor, *, name: str, expires_in_days: int) -> tuple[AccessToken, str]:
    """A new token of the caller's and its secret (returned this once; only its hash is kept)."""
    now = datetime.now(UTC)
    if queries.count_live(user_id=actor.user_id, now=now) >= MAX_LIVE_TOKENS:
        raise AppError(ACCESS_TOKEN_LIMIT, details={"max_active": MAX_LIVE_TOKENS})
    secret = PREFIX + secrets.token_urlsafe(32)
    token = queries.add(
        AccessToken(
            id=uuid.uuid4(),
            user_id=actor.user_id,
            name=name,
            token_hash=_hash(secret),
            prefix=secret[: len(PREFIX) + 4],
            created_at=now,
            expires_at=now + timedelta(days=expires_in_days),
        )
    )
    record(
        "access_token.created",
        object_type="access_token",
        object_id=token.id,
        changes={"name": name, "expires_at": token.expires_at.isoformat()},
    )
    return token, secret


def list_tokens(actor: Actor) -> list[AccessToken]:
    return queries.tokens_of(user_id=actor.user_id)


def revoke_token(actor: Actor, token_id: uuid.UUID) -> AccessToken:
    """Revoke one of the caller's tokens (an admin may revoke anyone's); others' are answered as 404."""
    token = queries.get_token(token_id=token_id)
    if token is None or (token.user_id != actor.user_id and actor.role != Role.ADMIN):
        raise AppError(NOT_FOUND)
    if token.revoked_at is None:
        token.revoked_at = datetime.now(UTC)
        db.session.flush()
        record("access_token.revoked", object_type="access_token", object_id=token.id, changes={"name": token.name})
    return token


def revoke_own(actor: Actor, token_id: uuid.UUID) -> AccessToken:
    """Revoke one of the caller's own tokens (the workspace page: an admin too revokes only theirs there)."""
    token = queries.get_token(token_id=token_id)
    if token is None or token.user_id != actor.user_id:
        raise AppError(NOT_FOUND)
    return revoke_token(actor, token_id)


def revoke_all(user_id: int) -> int:
    """Revoke every token of a user (password reset, deactivation); how many were live."""
    return queries.revoke_all_of(user_id=user_id, at=datetime.now(UTC))


def authenticate(secret: str) -> Actor:
    """The actor a token stands for, or 401 (unknown, revoked, expired, or its user deactivated)."""
    from server.auth.models import User

    token = queries.by_hash(token_hash=_hash(secret))
    if token is None:
        raise AppError(UNAUTHORIZED, details={"reason": "invalid_token"})
    now = datetime.now(UTC)
    state = status_of(token, now)
    if state != "active":
        raise AppError(UNAUTHORIZED, details={"reason": "token_revoked" if state == "revoked" else "token_expired"})
    user = db.session.get(User, token.user_id)
    if user is None or not user.active:
        raise AppError(UNAUTHORIZED, details={"reason": "account_inactive"})
    actor = Actor(
        user_id=user.id,
        username=user.username,
        role=Role(user.role),
        region_codes=tuple(user.region_codes),
        device_id=None,
    )
    last = token.last_used_at
    if last is None or now - last >= USE_STAMP_INTERVAL:
        queries.stamp_use(token_id=token.id, at=now)
    if last is None or now - last >= USE_AUDIT_INTERVAL:
        record(
            "access_token.used",
            object_type="access_token",
            object_id=token.id,
            changes={"path": request.path[:200]},
            actor_id=actor.user_id,
            actor_username=actor.username,
        )
    return actor
