"""SQL for user management: listing accounts, known region codes, a user's devices."""

from __future__ import annotations

import sqlalchemy as sa

from server.auth.models import Device, User
from server.extensions import db
from server.pagination import Keyset, natural_orders
from server.regions.models import Region
from server.types import Role

# Roles in the office's order (not their codes' alphabet, which the page does not show).
_OFFICE_ORDER = (Role.ADMIN, Role.SUPERVISOR, Role.REVIEWER, Role.ENUMERATOR, Role.VIEWER)
_ROLE_RANK = sa.case({role: rank for rank, role in enumerate(_OFFICE_ORDER)}, value=User.role, else_=9)
# The orders of the staff user list (`sort`; `username` by default). Nothing else is put into ORDER BY.
USER_ORDERS = natural_orders(
    username=Keyset((User.username, User.id), (str, int)),
    name=Keyset((User.full_name, User.id), (str, int)),
    role=Keyset((_ROLE_RANK, User.username, User.id), (int, str, int)),
    active=Keyset((User.active, User.username, User.id), (bool, str, int)),
)


def list_users(*, role: str | None = None, active: bool | None = None) -> list[User]:
    query = sa.select(User).order_by(User.username)
    if role is not None:
        query = query.where(User.role == role)
    if active is not None:
        query = query.where(User.active == active)
    return list(db.session.execute(query).scalars())


def users_page(*, keyset: Keyset, after: list | None, limit: int) -> list[sa.Row]:
    """`limit` + 1 accounts in `keyset`'s order after the cursor's row: (User, sort_0, sort_1…)."""
    query = sa.select(User, *keyset.labelled()).limit(limit + 1)
    return list(db.session.execute(keyset.apply(query, after)).all())


def get_user(*, user_id: int) -> User | None:
    return db.session.get(User, user_id)


def username_taken(*, username: str) -> bool:
    return db.session.execute(sa.select(sa.exists().where(User.username == username))).scalar_one()


def unknown_region_codes(*, codes: list[str]) -> list[str]:
    known = set(db.session.execute(sa.select(Region.code).where(Region.code.in_(codes))).scalars())
    return [code for code in codes if code not in known]


def devices_of(*, user_id: int) -> list[Device]:
    query = sa.select(Device).where(Device.user_id == user_id).order_by(Device.created_at)
    return list(db.session.execute(query).scalars())


def get_device(*, device_id) -> Device | None:
    return db.session.get(Device, device_id)


def add_user(user: User) -> User:
    db.session.add(user)
    db.session.flush()
    return user
