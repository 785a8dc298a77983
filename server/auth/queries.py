"""SQL for accounts: users by name, devices, the server-side refresh-token families and staff sessions."""

from __future__ import annotations

import functools
import uuid
from datetime import datetime

import sqlalchemy as sa

from server.auth.models import Device, RefreshToken, StaffSession, User, UserScope
from server.extensions import db


def token_subject(*, user_id: int, device_id: uuid.UUID | None, family_id: uuid.UUID | None) -> sa.Row | None:
    """What checking an access token needs, in one statement (every API request pays it): the user (active,
    username, role, scope codes), whether the token's device is live and the user's (`device_ok`; true for a
    token without a device), whether the token's family was revoked. None for an unknown user."""
    query = _token_subject_query(device_id is not None, family_id is not None)
    params = {"user_id": user_id, "device_id": device_id, "family_id": family_id}
    return db.session.execute(query, {name: value for name, value in params.items() if value is not None}).first()


@functools.cache
def _token_subject_query(with_device: bool, with_family: bool) -> sa.Select:
    """token_subject's statement, built once per process for each kind of token (building and hashing it
    again for every request cost ~1 ms)."""
    scopes = (
        sa.select(sa.func.coalesce(sa.func.array_agg(UserScope.region_code), sa.text("'{}'::varchar[]")))
        .where(UserScope.user_id == User.id)
        .correlate(User)
        .scalar_subquery()
    )
    device_ok = (
        sa.exists().where(
            Device.id == sa.bindparam("device_id"), Device.user_id == User.id, Device.revoked_at.is_(None)
        )
        if with_device
        else sa.true()
    )
    revoked = (
        sa.exists().where(RefreshToken.family_id == sa.bindparam("family_id"), RefreshToken.revoked_at.is_not(None))
        if with_family
        else sa.false()
    )
    return sa.select(
        User.active,
        User.username,
        User.role,
        scopes.label("region_codes"),
        device_ok.label("device_ok"),
        revoked.label("family_revoked"),
    ).where(User.id == sa.bindparam("user_id"))


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


def get_staff_session(*, session_id: str) -> StaffSession | None:
    """The row as stored now (never an older copy the ORM session holds: its `data` changes by UPDATE)."""
    query = sa.select(StaffSession).where(StaffSession.id == session_id).execution_options(populate_existing=True)
    return db.session.execute(query).scalar_one_or_none()


def get_user_fresh(*, user_id: int) -> User | None:
    """The user row as stored now: rights are checked against it on every staff request."""
    query = sa.select(User).where(User.id == user_id).execution_options(populate_existing=True)
    return db.session.execute(query).scalar_one_or_none()


def add_staff_session(**values) -> StaffSession:
    row = StaffSession(**values)
    db.session.add(row)
    db.session.flush()
    return row


def end_staff_sessions(
    *,
    at: datetime,
    reason: str,
    user_id: int | None = None,
    session_id: str | None = None,
    except_id: str | None = None,
) -> int:
    """End every live staff session of a user (or one session, by id); returns how many ended."""
    query = sa.update(StaffSession).where(StaffSession.ended_at.is_(None))
    if user_id is not None:
        query = query.where(StaffSession.user_id == user_id)
    if session_id is not None:
        query = query.where(StaffSession.id == session_id)
    if except_id is not None:
        query = query.where(StaffSession.id != except_id)
    values = {"ended_at": at, "end_reason": reason[:32]}
    return db.session.execute(query.values(**values).execution_options(synchronize_session=False)).rowcount


def purge_staff_sessions(*, before: datetime) -> int:
    """Delete sessions that expired or ended before `before` (the audit log keeps the logins and logouts)."""
    query = sa.delete(StaffSession).where(sa.or_(StaffSession.expires_at < before, StaffSession.ended_at < before))
    return db.session.execute(query.execution_options(synchronize_session=False)).rowcount


def record_device_report(*, device_id: uuid.UUID, at: datetime, **report) -> None:
    """What the phone's app reported at a sync (version, unsent counts); only the values it sent change."""
    values = {key: value for key, value in report.items() if value is not None}
    query = sa.update(Device).where(Device.id == device_id)
    db.session.execute(
        query.values(last_seen_at=at, reported_at=at, **values).execution_options(synchronize_session=False)
    )
