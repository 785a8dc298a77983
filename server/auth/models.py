"""Users, their area scope, their registered devices and the server-side refresh-token families."""

from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.orm import Mapped, mapped_column, relationship

from server.extensions import db
from server.types import Role, code_enum, utcnow_default


class User(db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(sa.Integer, sa.Identity(), primary_key=True)
    username: Mapped[str] = mapped_column(sa.String(64), unique=True)
    full_name: Mapped[str] = mapped_column(sa.String(200))
    role: Mapped[Role] = mapped_column(code_enum(Role, "role", 12))
    password_hash: Mapped[str] = mapped_column(sa.String(255))
    active: Mapped[bool] = mapped_column(sa.Boolean, default=True, server_default=sa.true())
    password_changed_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), server_default=utcnow_default())
    updated_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), server_default=utcnow_default())

    scopes: Mapped[list[UserScope]] = relationship(cascade="all, delete-orphan", lazy="selectin")

    @property
    def region_codes(self) -> list[str]:
        return sorted(scope.region_code for scope in self.scopes)


class UserScope(db.Model):
    """One region (city, kecamatan or kelurahan) a non-admin user may work in."""

    __tablename__ = "user_scopes"

    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    region_code: Mapped[str] = mapped_column(sa.ForeignKey("regions.code"), primary_key=True)


class Device(db.Model):
    __tablename__ = "devices"

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(sa.String(120))
    user_agent: Mapped[str | None] = mapped_column(sa.String(400))
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), server_default=utcnow_default())
    last_seen_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    # What the phone's app reported at its last sync (optional `client` of the sync protocol): its version
    # and what it still holds unsent, shown to supervisors on the staff dashboard.
    app_version: Mapped[str | None] = mapped_column(sa.String(40))
    unsent_visits: Mapped[int | None] = mapped_column(sa.Integer)
    unsent_photos: Mapped[int | None] = mapped_column(sa.Integer)
    reported_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))


class RefreshToken(db.Model):
    """One issued refresh token; `family_id` links a login's chain of rotations for reuse detection."""

    __tablename__ = "refresh_tokens"

    jti: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    family_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), index=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    device_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("devices.id", ondelete="CASCADE"), index=True)
    issued_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), server_default=utcnow_default())
    expires_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
    rotated_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))


class StaffSession(db.Model):
    """One staff login in the browser workspace (/staff/), kept on the server.

    The cookie holds a random token; the row's id is the token's SHA-256, so a read of this table gives
    nobody a live cookie. `authz` is a fingerprint of the user's role, area, password date and active flag
    when the session began: when it differs on a later request, the session has ended (role or area change,
    password reset, deactivation), even if the change came from outside the services that end it at once.
    An anonymous row (user_id null) carries only the login form's CSRF secret.
    """

    __tablename__ = "staff_sessions"

    id: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    data: Mapped[dict] = mapped_column(JSONB, default=dict, server_default=sa.text("'{}'::jsonb"))
    authz: Mapped[str | None] = mapped_column(sa.String(64))
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), server_default=utcnow_default())
    last_seen_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), server_default=utcnow_default())
    expires_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), index=True)
    ended_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    end_reason: Mapped[str | None] = mapped_column(sa.String(32))
