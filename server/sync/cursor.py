"""The pull cursor: opaque to the phone, signed by the server, so it can be trusted when it comes back.

It carries the round's base (`seq`, `xmin`), the position inside the round (`pos`), the snapshot xmin taken
when the round started (`next_xmin`), when it was issued, and the reference-data version the phone holds.
See `server.sync.service` for why the snapshot xmin makes late-committing writers safe.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass

from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer

from server.errors import SYNC_CURSOR_EXPIRED, SYNC_CURSOR_INVALID, AppError

SALT = "verval.sync.cursor.v1"


@dataclass(frozen=True)
class Cursor:
    seq: int = 0
    xmin: int = 0
    pos: int = 0
    next_xmin: int | None = None
    issued: int = 0
    reference: str | None = None

    @property
    def full_sync(self) -> bool:
        return self.seq == 0 and self.xmin == 0


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=SALT)


def encode(cursor: Cursor) -> str:
    return _serializer().dumps(asdict(cursor))


def decode(token: str | None) -> Cursor:
    """The phone's cursor; a fresh one for a full sync; 400 when forged or garbled, 410 when too old."""
    if not token:
        return Cursor()
    try:
        cursor = Cursor(**_serializer().loads(token))
    except (BadSignature, TypeError, ValueError) as error:
        raise AppError(SYNC_CURSOR_INVALID, details={"cursor": "not a cursor this server issued"}) from error
    max_age = current_app.config["SYNC_CURSOR_MAX_AGE_DAYS"] * 86400
    if time.time() - cursor.issued > max_age:
        raise AppError(SYNC_CURSOR_EXPIRED, details={"max_age_days": current_app.config["SYNC_CURSOR_MAX_AGE_DAYS"]})
    return cursor


def now() -> int:
    return int(time.time())
