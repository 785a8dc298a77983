"""Opaque keyset cursors shared by every paged list: the last row's sort key, as URL-safe base64 JSON."""

from __future__ import annotations

import base64
import binascii
import json

from server.errors import validation_error


def encode_cursor(key: list) -> str:
    return base64.urlsafe_b64encode(json.dumps(key, default=str).encode()).decode().rstrip("=")


def decode_cursor(cursor: str, size: int) -> list:
    """The sort key a cursor carries (422 on `cursor` when it is not one of ours)."""
    try:
        key = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (ValueError, binascii.Error) as error:
        raise validation_error({"cursor": ["Kursor tidak valid / invalid cursor"]}) from error
    if not isinstance(key, list) or len(key) != size:
        raise validation_error({"cursor": ["Kursor tidak valid / invalid cursor"]})
    return key
