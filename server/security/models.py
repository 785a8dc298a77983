"""Rate-limit counters shared by every worker process, kept in PostgreSQL (server/security/ratelimit.py)."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from server.extensions import db


class RateLimitCounter(db.Model):
    """One fixed window of one limit (`key` names the limit and whom it counts). UNLOGGED: counters are
    not worth a WAL write each, and losing them in a crash only forgives a few attempts."""

    __tablename__ = "rate_limit_counters"
    __table_args__ = {"prefixes": ["UNLOGGED"]}

    key: Mapped[str] = mapped_column(sa.String(300), primary_key=True)
    count: Mapped[int] = mapped_column(sa.Integer)
    expires_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), index=True)
