"""SQL for accounts: users by name, devices, and the server-side refresh-token families."""

from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa

from server.auth.models import Device, RefreshToken, User
from server.extensions import db


def get_user_by_username(*, username: str) -> User | None:
    return db.session.execute(sa.select(User).where(User.username == username)).scalar_one_or_none()


def get_device(*, device_id: uuid.UUID) -> Device | None:
    return db.session.get(Device, device_id)


def add_device(*, user_id: int, name: str, user_agent: str | None, device_id: uuid.UUID | None = None) -> Device:
    device = Device(id=device_id or uuid.uuid4(), user_id=user_id, name=name, user_agent=user_agent)
    db.session.add(device)
    db.session.flush()
    return device


def add_refresh_token(**values) -> RefreshToken:
    token = RefreshToken(**values)
    db.session.add(token)
    db.session.flush()
    return token


def lock_refresh_token(*, jti: uuid.UUID) -> RefreshToken | None:
    """The token row, locked so that two refreshes racing with the same token cannot both rotate it."""
    return db.session.execute(
        sa.select(RefreshToken).where(RefreshToken.jti == jti).with_for_update()
    ).scalar_one_or_none()


def revoke_tokens(
    *,
    at: datetime,
    family_id: uuid.UUID | None = None,
    device_id: uuid.UUID | None = None,
    user_id: int | None = None,
    except_family_id: uuid.UUID | None = None,
) -> int:
    """Revoke every live refresh token of a family, a device or a user (but one family); returns how many."""
    query = sa.update(RefreshToken).where(RefreshToken.revoked_at.is_(None))
    if family_id is not None:
        query = query.where(RefreshToken.family_id == family_id)
    if device_id is not None:
        query = query.where(RefreshToken.device_id == device_id)
    if user_id is not None:
        query = query.where(RefreshToken.user_id == user_id)
    if except_family_id is not None:
        query = query.where(RefreshToken.family_id != except_family_id)
    return db.session.execute(query.values(revoked_at=at).execution_options(synchronize_session=False)).rowcount


def family_is_revoked(*, family_id: uuid.UUID) -> bool:
    return db.session.execute(
        sa.select(sa.exists().where(RefreshToken.family_id == family_id, RefreshToken.revoked_at.is_not(None)))
    ).scalar_one()
