"""Who may read the GIS doors (OGC API, vector tiles) and how: a personal access token or a normal login.

`require_gis(*roles)` is `require` for these routes only: it also accepts a personal access token
(`Authorization: Bearer vrv_pat_…`), which QGIS and GDAL send from an HTTP-header authentication
configuration. Every other route uses `require`, which reads only JWTs, so a token is refused there.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from flask import g, request

from server.auth.access import Actor, _authenticate
from server.errors import FORBIDDEN, AppError
from server.tokens import service as tokens
from server.types import Role

# The roles that read maps and the OGC API; enumerators work in the phone app.
GIS_ROLES = (Role.ADMIN, Role.SUPERVISOR, Role.REVIEWER, Role.VIEWER)
STAFF_GIS_ROLES = (Role.ADMIN, Role.SUPERVISOR, Role.REVIEWER)


def _bearer() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, credential = header.partition(" ")
    return credential.strip() if scheme.lower() == "bearer" and credential.strip() else None


def authenticate_gis() -> Actor:
    credential = _bearer()
    if credential and tokens.looks_like_token(credential):
        g.via_access_token = True
        return tokens.authenticate(credential)
    return _authenticate()


def require_gis(*roles: Role) -> Callable:
    """Route decorator: a personal access token or an access token of an active user with one of `roles`."""
    allowed = roles or GIS_ROLES

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapper(*args, **kwargs):
            actor = authenticate_gis()
            if actor.role not in allowed:
                raise AppError(FORBIDDEN)
            g.actor = actor
            return view(*args, **kwargs)

        wrapper.required_roles = tuple(allowed)
        return wrapper

    return decorator
