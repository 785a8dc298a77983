"""Who is using the workspace: the `staff_view` decorator for every page under /staff/, and CSRF.

`staff_view(*roles)` is the pages' `require(...)`: a live staff session (server/staff/sessions.py) of a staff
role (enumerators never get one: they are sent to the phone app at login), one of `roles` when given. It
sets `g.actor` exactly as the API's `require` does, so the services apply the same area scope, masking and
audit whichever door a request came through. Without a session: the login page (htmx requests get
`HX-Redirect` there), with the page asked for as `next`.

Every unsafe request under /staff/ (forms and htmx) must carry the session's CSRF token (Flask-WTF): the
form field `csrf_token` or the `X-CSRFToken` header, which the layout gives htmx for every request.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from urllib.parse import urlsplit

from flask import Response, g, redirect, request, session, url_for
from flask_babel import refresh
from flask_wtf.csrf import CSRFProtect

from server.auth.access import Actor
from server.errors import FORBIDDEN, AppError
from server.staff.nav import STAFF_ROLES
from server.staff.sessions import is_staff_path
from server.types import Role

csrf = CSRFProtect()
SAFE_METHODS = {"GET", "HEAD", "OPTIONS", "TRACE"}


def check_csrf() -> None:
    """before_request: the CSRF token on every unsafe request under /staff/."""
    if not is_staff_path(request.path):
        return
    # Flask-WTF caches the signed token in `g` and Flask-Babel the locale, which outlive a request where one
    # app context serves several (the test client inside a test's app context): take this request's own.
    g.pop("csrf_token", None)
    refresh()
    if request.method not in SAFE_METHODS:
        csrf.protect()


def is_htmx() -> bool:
    return request.headers.get("HX-Request") == "true"


def safe_next(target: str | None) -> str | None:
    """A local workspace path to return to after login, or None (never another site: no open redirect)."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not parts.path.startswith("/staff/") or "\\" in target or "//" in parts.path:
        return None
    return target


def login_redirect() -> Response:
    target = request.full_path.rstrip("?") if request.method == "GET" and not is_htmx() else None
    location = url_for("staff.login", next=safe_next(target))
    if is_htmx():
        response = Response(status=401)
        response.headers["HX-Redirect"] = location
        return response
    return redirect(location)


def staff_actor() -> Actor | None:
    return getattr(session, "actor", None)


def staff_view(*roles: Role) -> Callable:
    """Page decorator: a logged-in staff user (and, when given, one of `roles`)."""
    allowed = tuple(roles) or STAFF_ROLES

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapper(*args, **kwargs):
            actor = staff_actor()
            if actor is None or actor.role not in STAFF_ROLES:
                return login_redirect()
            g.actor = actor
            if actor.role not in allowed:
                raise AppError(FORBIDDEN)
            return view(*args, **kwargs)

        wrapper.staff_roles = allowed
        return wrapper

    return decorator
