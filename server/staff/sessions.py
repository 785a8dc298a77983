"""Server-side sessions of the staff workspace: Flask's `session` under /staff/ lives in `staff_sessions`.

The cookie (`verval_staff`, path /staff, HttpOnly, SameSite=Lax, Secure outside development and tests)
holds only a random token; the row's id is its SHA-256. Every request under /staff/ reads the row and ends it
when it has ended elsewhere (logout, deactivation, role or area change, password reset: see
`server.auth.queries.end_staff_sessions`), when it was idle longer than STAFF_IDLE_MINUTES, when it is older
than STAFF_MAX_HOURS, or when the user's role, area, password date or active flag differ from when it began
(`authz_of`). Nothing else ever reads the cookie: the JSON API stays on bearer tokens, so no cookie can
authorise an API call (no CSRF surface there).

Transaction owner: the session's own writes (the CSRF secret, last-seen time, an ended row) happen after
the view's unit of work has ended, in `save_session`, and commit there. A login starts its row inside the
login view's unit of work (`start`).
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from flask import Flask, Request, Response, current_app
from flask.sessions import SessionInterface, SessionMixin
from werkzeug.datastructures import CallbackDict

from server.auth import queries as auth_queries
from server.auth.access import Actor
from server.auth.models import StaffSession, User
from server.extensions import db
from server.types import Role

COOKIE = "verval_staff"
COOKIE_PATH = "/staff"
# last_seen_at is written at most this often (idle timeouts are in minutes, writes on every click are waste).
TOUCH_EVERY = timedelta(seconds=60)


def is_staff_path(path: str) -> bool:
    return (path == "/staff" or path.startswith("/staff/")) and not path.startswith("/staff/assets/")


def token_id(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def authz_of(user: User) -> str:
    """What the session's rights were granted on: role, area, password date, active flag."""
    changed = user.password_changed_at.isoformat() if user.password_changed_at else ""
    text = f"{Role(user.role).value}|{','.join(user.region_codes)}|{changed}|{user.active}"
    return hashlib.sha256(text.encode()).hexdigest()


def actor_of(user: User) -> Actor:
    return Actor(
        user_id=user.id,
        username=user.username,
        role=Role(user.role),
        region_codes=tuple(user.region_codes),
        device_id=None,
    )


class StaffSessionData(CallbackDict, SessionMixin):
    """Flask's session object for one staff request: the row's `data` plus what `save_session` must do."""

    def __init__(self, initial: dict | None = None, *, row_id: str | None = None):
        def on_update(data):
            data.modified = True

        super().__init__(initial or {}, on_update)
        self.row_id = row_id
        self.modified = False
        self.new_token: str | None = None  # set a cookie with this token
        self.clear_cookie = False
        self.touch = False
        self.ended: tuple[str, str] | None = None  # (row id, reason) to end when saving
        self.actor: Actor | None = None
        self.user: User | None = None

    @property
    def permanent(self) -> bool:
        return False


def _minutes(name: str) -> timedelta:
    return timedelta(minutes=current_app.config[name])


class StaffSessionInterface(SessionInterface):
    def open_session(self, app: Flask, request: Request) -> StaffSessionData | None:
        if not is_staff_path(request.path):
            return self.make_null_session(app)
        token = request.cookies.get(COOKIE)
        if not token or len(token) > 100:
            return StaffSessionData()
        row = auth_queries.get_staff_session(session_id=token_id(token))
        now = datetime.now(UTC)
        reason = _ended_reason(row, now)
        user = None
        if reason is None and row.user_id is not None:
            user = auth_queries.get_user_fresh(user_id=row.user_id)
            if user is None or not user.active:
                reason = "inactive"
            elif authz_of(user) != row.authz:
                reason = "rights_changed"
        if reason is not None:
            fresh = StaffSessionData()
            fresh.clear_cookie = True
            if row is not None and row.ended_at is None:
                fresh.ended = (row.id, reason)
            return fresh
        session = StaffSessionData(dict(row.data or {}), row_id=row.id)
        session.touch = now - row.last_seen_at >= TOUCH_EVERY
        if user is not None:
            session.user = user
            session.actor = actor_of(user)
        return session

    def save_session(self, app: Flask, session: SessionMixin, response: Response) -> None:
        if not isinstance(session, StaffSessionData):
            return
        now = datetime.now(UTC)
        wrote = False
        if session.ended:
            row_id, reason = session.ended
            auth_queries.end_staff_sessions(at=now, reason=reason, session_id=row_id)
            wrote = True
        if session.row_id is None and session.modified and dict(session):
            # An anonymous visitor's first stored value (the login form's CSRF secret).
            token = secrets.token_urlsafe(32)
            auth_queries.add_staff_session(
                id=token_id(token), user_id=None, data=dict(session), expires_at=now + _minutes("STAFF_IDLE_MINUTES")
            )
            session.row_id, session.new_token, wrote = token_id(token), token, True
        elif session.row_id is not None and (session.modified or session.touch):
            values: dict = {"last_seen_at": now}
            if session.modified:
                values["data"] = dict(session)
            db.session.execute(
                sa.update(StaffSession)
                .where(StaffSession.id == session.row_id, StaffSession.ended_at.is_(None))
                .values(**values)
                .execution_options(synchronize_session=False)
            )
            wrote = True
        if wrote:
            try:
                db.session.commit()
            except Exception:
                db.session.rollback()
                raise
        secure = app.config["STAFF_COOKIE_SECURE"]
        if session.new_token:
            response.set_cookie(
                COOKIE, session.new_token, path=COOKIE_PATH, httponly=True, secure=secure, samesite="Lax"
            )
        elif session.clear_cookie:
            response.delete_cookie(COOKIE, path=COOKIE_PATH, httponly=True, secure=secure, samesite="Lax")
        response.vary.add("Cookie")


def _ended_reason(row: StaffSession | None, now: datetime) -> str | None:
    if row is None:
        return "unknown"
    if row.ended_at is not None:
        return row.end_reason or "ended"
    if now >= row.expires_at:
        return "expired"
    if now - row.last_seen_at >= _minutes("STAFF_IDLE_MINUTES"):
        return "idle"
    return None


def start(session: StaffSessionData, user: User) -> None:
    """Begin a logged-in session for `user` (inside the login view's unit of work): a new token and row, the
    anonymous row ended (no session fixation), every earlier value (the login form's CSRF secret) dropped."""
    now = datetime.now(UTC)
    if session.row_id is not None:
        auth_queries.end_staff_sessions(at=now, reason="login", session_id=session.row_id)
    token = secrets.token_urlsafe(32)
    lifetime = timedelta(hours=current_app.config["STAFF_MAX_HOURS"])
    language = session.get("lang")
    auth_queries.purge_staff_sessions(before=now - timedelta(days=1))
    auth_queries.add_staff_session(
        id=token_id(token),
        user_id=user.id,
        data={"lang": language} if language else {},
        authz=authz_of(user),
        expires_at=now + lifetime,
        last_seen_at=now,
    )
    session.clear()
    if language:
        session["lang"] = language
    session.modified = False
    session.row_id, session.new_token = token_id(token), token
    session.user, session.actor = user, actor_of(user)


def end(session: StaffSessionData, reason: str) -> None:
    """End this session now (logout): the row is ended in the view's unit of work, the cookie removed."""
    if session.row_id is not None:
        auth_queries.end_staff_sessions(at=datetime.now(UTC), reason=reason, session_id=session.row_id)
    session.clear()
    session.modified = False
    session.row_id = None
    session.clear_cookie = True
    session.user = session.actor = None
