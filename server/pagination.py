"""Opaque keyset cursors shared by every paged list (the last row's sort key, as URL-safe base64 JSON), and
`Keyset`: one whitelisted order of a list, applied as ORDER BY and as the "after this row" condition."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from server.errors import validation_error

# A page link that is not one of ours (edited by hand, or from an older order): said so a clerk can act on it.
INVALID_CURSOR = "Tautan halaman ini tidak berlaku lagi; mulai dari halaman pertama / invalid cursor"


def invalid_cursor():
    """The 422 on `cursor` for a cursor this server did not issue (raise it)."""
    return validation_error({"cursor": [INVALID_CURSOR]})


def encode_cursor(key: list) -> str:
    return base64.urlsafe_b64encode(json.dumps(key, default=str).encode()).decode().rstrip("=")


def decode_cursor(cursor: str, size: int) -> list:
    """The sort key a cursor carries (422 on `cursor` when it is not one of ours)."""
    try:
        key = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (ValueError, binascii.Error) as error:
        raise invalid_cursor() from error
    if not isinstance(key, list) or len(key) != size:
        raise invalid_cursor()
    return key


@dataclass(frozen=True)
class Keyset:
    """One order a list may be sorted by: its columns (a unique one last, so the order is total and pages
    neither repeat nor skip rows; no NULLs: coalesce nullable ones), how a cursor's values are read back, and
    the direction. The query selects the columns as `sort_0`, `sort_1`… so the page's last row gives the
    next cursor."""

    columns: tuple[sa.ColumnElement, ...]
    readers: tuple[Callable[[Any], Any], ...]
    descending: bool = False

    def labelled(self) -> list[sa.ColumnElement]:
        return [column.label(f"sort_{index}") for index, column in enumerate(self.columns)]

    def apply(self, query: sa.Select, after: list | None) -> sa.Select:
        if after is not None:
            mine, theirs = sa.tuple_(*self.columns), sa.tuple_(*after)
            query = query.where(mine < theirs if self.descending else mine > theirs)
        return query.order_by(*(column.desc() if self.descending else column.asc() for column in self.columns))

    def after(self, cursor: str | None) -> list | None:
        """The sort key of a cursor this order issued (422 on `cursor` otherwise)."""
        if not cursor:
            return None
        key = decode_cursor(cursor, len(self.readers))
        try:
            return [read(value) for read, value in zip(self.readers, key, strict=True)]
        except (TypeError, ValueError) as error:
            raise invalid_cursor() from error

    def cursor_of(self, row: dict[str, Any]) -> str:
        return encode_cursor([row[f"sort_{index}"] for index in range(len(self.columns))])


def reversed_keyset(keyset: Keyset) -> Keyset:
    return Keyset(keyset.columns, keyset.readers, not keyset.descending)


def natural_orders(**orders: Keyset) -> dict[str, Keyset]:
    """Each order by its name, and reversed as `<name>_desc` (`<name>_asc` when its own way is descending:
    dates newest first)."""
    return {
        key: value
        for name, keyset in orders.items()
        for key, value in (
            (name, keyset),
            (f"{name}_asc" if keyset.descending else f"{name}_desc", reversed_keyset(keyset)),
        )
    }


def page_of(rows: list, keyset: Keyset, limit: int) -> tuple[list, str | None]:
    """A page from rows read with `limit + 1` in `keyset`'s order (its columns labelled): the first `limit`
    rows, and the cursor after the last of them when there are more."""
    if len(rows) <= limit:
        return rows, None
    return rows[:limit], keyset.cursor_of(getattr(rows[limit - 1], "_mapping", rows[limit - 1]))


def order_named(orders: dict[str, Keyset], name: str | None, default: str) -> Keyset:
    """The whitelisted order `name` (the default when blank); 422 on `sort` for any other."""
    keyset = orders.get(name or default)
    if keyset is None:
        raise validation_error({"sort": ["Urutan tidak dikenal / unknown sort order"]})
    return keyset
