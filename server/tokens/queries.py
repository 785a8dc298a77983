"""SQL for personal access tokens: lookup by hash, the owner's list, use stamps."""

from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa

from server.extensions import db
from server.tokens.models import AccessToken


def by_hash(*, token_hash: str) -> AccessToken | None:
    return db.session.execute(sa.select(AccessToken).where(AccessToken.token_hash == token_hash)).scalar_one_or_none()


def get_token(*, token_id: uuid.UUID) -> AccessToken | None:
    return db.session.get(AccessToken, token_id)


def tokens_of(*, user_id: int) -> list[AccessToken]:
    query = sa.select(AccessToken).where(AccessToken.user_id == user_id).order_by(AccessToken.created_at.desc())
    return list(db.session.execute(query).scalars())


def count_live(*, user_id: int, now: datetime) -> int:
    query = sa.select(sa.func.count()).where(
        AccessToken.user_id == user_id, AccessToken.revoked_at.is_(None), AccessToken.expires_at > now
    )
    return db.session.execute(query).scalar_one()


def add(token: AccessToken) -> AccessToken:
    db.session.add(token)
    db.session.flush()
    return token


def stamp_use(*, token_id: uuid.UUID, at: datetime) -> None:
    db.session.execute(sa.update(AccessToken).where(AccessToken.id == token_id).values(last_used_at=at))


def revoke_all_of(*, user_id: int, at: datetime) -> int:
    result = db.session.execute(
        sa.update(AccessToken)
        .where(AccessToken.user_id == user_id, AccessToken.revoked_at.is_(None))
        .values(revoked_at=at)
    )
    return result.rowcount
