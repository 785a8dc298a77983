"""Use cases of the workspace's own: staff login and logout. Pages otherwise call the domains' services."""

from __future__ import annotations

from flask import g, session

from server.audit.service import record
from server.auth.models import User
from server.auth.service import check_credentials
from server.staff import sessions
from server.types import Role


def login(*, username: str, password: str) -> User:
    """Check the credentials like the API does; a staff user gets a session, an enumerator none (the caller
    sends them to the phone app). Raises the catalogue's INVALID_CREDENTIALS otherwise."""
    user = check_credentials(username=username, password=password, via="staff")
    if Role(user.role) == Role.ENUMERATOR:
        record(
            "auth.staff_login_refused",
            object_type="user",
            object_id=user.id,
            actor_id=user.id,
            actor_username=user.username,
            changes={"reason": "enumerator_uses_phone_app"},
        )
        return user
    sessions.start(session, user)
    g.actor = session.actor
    record("auth.login", object_type="user", object_id=user.id, changes={"via": "staff"})
    return user


def logout() -> None:
    actor = getattr(session, "actor", None)
    if actor is not None:
        g.actor = actor
        record("auth.logout", object_type="user", object_id=actor.user_id, changes={"via": "staff"})
    sessions.end(session, "logout")
