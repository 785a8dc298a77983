"""User management use cases: create, update role/scope, deactivate, reset or change a password, revoke a
device. Each change is audited; anything that takes access away also revokes the refresh tokens and ends
the user's staff sessions (server/staff/sessions.py), so it takes effect at once (access tokens are checked
against the user and device on every request).
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from flask import current_app

from server.audit.service import record
from server.auth import queries as auth_queries
from server.auth.access import Actor
from server.auth.models import Device, User, UserScope
from server.auth.passwords import hash_password, password_problems, verify_password
from server.errors import NOT_FOUND, USERNAME_TAKEN, AppError, validation_error
from server.pagination import order_named, page_of
from server.types import Role
from server.users import queries


def list_users(*, role: str | None = None, active: bool | None = None) -> list[User]:
    return queries.list_users(role=role, active=active)


def users_page(sort: str | None, cursor: str | None, *, limit: int = 100) -> tuple[list[User], str | None]:
    """A page of accounts in a whitelisted order (queries.USER_ORDERS) and the cursor of the next one."""
    keyset = order_named(queries.USER_ORDERS, sort, "username")
    rows = queries.users_page(keyset=keyset, after=keyset.after(cursor), limit=limit)
    page, next_cursor = page_of(rows, keyset, limit)
    return [row.User for row in page], next_cursor


def require_user(user_id: int) -> User:
    user = queries.get_user(user_id=user_id)
    if user is None:
        raise AppError(NOT_FOUND, details={"user": user_id})
    return user


def create_user(data: dict[str, Any], *, actor_id: int | None = None) -> User:
    """A new account; `actor_id` names the creator when there is no request (the CLI)."""
    if queries.username_taken(username=data["username"]):
        raise AppError(USERNAME_TAKEN, details={"fields": {"username": [USERNAME_TAKEN.message]}})
    role = Role(data["role"])
    regions = _checked_regions(role, data.get("region_codes") or [])
    _check_password(data["password"], username=data["username"])
    user = User(
        username=data["username"],
        full_name=data["full_name"],
        role=role,
        password_hash=hash_password(data["password"]),
        password_changed_at=datetime.now(UTC),
    )
    user.scopes = [UserScope(region_code=code) for code in regions]
    queries.add_user(user)
    record(
        "user.create",
        object_type="user",
        object_id=user.id,
        actor_id=actor_id,
        changes={"username": (None, user.username), "role": (None, role.value), "region_codes": (None, regions)},
    )
    return user


def update_user(user_id: int, data: dict[str, Any], actor: Actor) -> User:
    user = require_user(user_id)
    role = Role(data.get("role", user.role))
    if user.id == actor.user_id and (role != Role.ADMIN or data.get("active") is False):
        # The last door out of user management must not close behind the admin using it.
        raise validation_error(
            {"role": ["Tidak dapat mencabut hak admin sendiri / cannot demote or deactivate yourself"]}
        )
    changes: dict[str, tuple[Any, Any]] = {}
    if "full_name" in data and data["full_name"] != user.full_name:
        changes["full_name"] = (user.full_name, data["full_name"])
        user.full_name = data["full_name"]
    if role != user.role:
        changes["role"] = (Role(user.role).value, role.value)
        user.role = role
    if "region_codes" in data or "role" in data:
        regions = _checked_regions(role, data.get("region_codes", user.region_codes))
        if regions != user.region_codes:
            changes["region_codes"] = (user.region_codes, regions)
            user.scopes = [UserScope(region_code=code) for code in regions]
    if "active" in data and data["active"] != user.active:
        changes["active"] = (user.active, data["active"])
        user.active = data["active"]
    if changes:
        user.updated_at = datetime.now(UTC)
        record("user.update", object_type="user", object_id=user.id, changes=changes)
    if changes.keys() & {"active", "role", "region_codes"}:
        # Whoever had these tokens or staff sessions got them under other rights: they log in again.
        now = datetime.now(UTC)
        revoked = auth_queries.revoke_tokens(at=now, user_id=user.id)
        ended = auth_queries.end_staff_sessions(at=now, reason="rights_changed", user_id=user.id)
        if revoked or ended:
            record(
                "auth.tokens_revoked",
                object_type="user",
                object_id=user.id,
                changes={"revoked_tokens": revoked, "ended_staff_sessions": ended},
            )
    return user


def reset_password(user_id: int, password: str) -> User:
    user = require_user(user_id)
    _check_password(password, username=user.username)
    _set_password(user, password)
    now = datetime.now(UTC)
    revoked = auth_queries.revoke_tokens(at=now, user_id=user.id)
    ended = auth_queries.end_staff_sessions(at=now, reason="password_reset", user_id=user.id)
    # A reset means the account may be in other hands: its GIS access tokens die too.
    from server.tokens.service import revoke_all

    access_tokens = revoke_all(user.id)
    record(
        "user.password_reset",
        object_type="user",
        object_id=user.id,
        changes={"revoked_tokens": revoked, "revoked_access_tokens": access_tokens, "ended_staff_sessions": ended},
    )
    return user


def change_own_password(
    actor: Actor, current: str, new: str, family_id: uuid.UUID | None, staff_session_id: str | None = None
) -> int:
    """Change the caller's password; every other session of theirs is revoked. Returns how many tokens."""
    user = require_user(actor.user_id)
    if not verify_password(user.password_hash, current):
        raise validation_error({"current_password": ["Kata sandi salah / wrong password"]})
    if new == current:
        raise validation_error({"new_password": ["Harus berbeda dari yang lama / must differ from the current one"]})
    _check_password(new, username=user.username, field="new_password")
    _set_password(user, new)
    now = datetime.now(UTC)
    revoked = auth_queries.revoke_tokens(at=now, user_id=user.id, except_family_id=family_id)
    # Staff sessions of the user end too, but the one changing the password (when it is a staff session).
    ended = auth_queries.end_staff_sessions(
        at=now, reason="password_change", user_id=user.id, except_id=staff_session_id
    )
    record(
        "user.password_change",
        object_type="user",
        object_id=user.id,
        changes={"revoked_tokens": revoked, "ended_staff_sessions": ended},
    )
    return revoked


def devices_of(user_id: int) -> list[Device]:
    require_user(user_id)
    return queries.devices_of(user_id=user_id)


def revoke_device(device_id: uuid.UUID) -> Device:
    device = queries.get_device(device_id=device_id)
    if device is None:
        raise AppError(NOT_FOUND, details={"device": str(device_id)})
    now = datetime.now(UTC)
    if device.revoked_at is None:
        device.revoked_at = now
        revoked = auth_queries.revoke_tokens(at=now, device_id=device.id)
        record(
            "device.revoke",
            object_type="device",
            object_id=device.id,
            changes={"user_id": device.user_id, "revoked_tokens": revoked},
        )
    return device


def _set_password(user: User, password: str) -> None:
    user.password_hash = hash_password(password)
    user.password_changed_at = datetime.now(UTC)
    user.updated_at = user.password_changed_at


def _check_password(password: str, *, username: str, field: str = "password") -> None:
    problems = password_problems(password, username=username, allow_demo=current_app.config["ALLOW_DEMO_PASSWORD"])
    if problems:
        raise validation_error({field: problems})


def _checked_regions(role: Role, codes: list[str]) -> list[str]:
    """Sorted, known region codes; admins work everywhere, everyone else needs an area."""
    codes = sorted(set(codes))
    if role == Role.ADMIN:
        return []
    if not codes:
        raise validation_error({"region_codes": ["Wajib untuk peran ini / required for this role"]})
    unknown = queries.unknown_region_codes(codes=codes)
    if unknown:
        raise validation_error({"region_codes": [f"Kode wilayah tidak dikenal / unknown region: {', '.join(unknown)}"]})
    return codes
