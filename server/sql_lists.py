"""Lists in statements that are built once and run many times (the sync push's lookups): a list bound item
by item (`IN (:a, :b, …)`) makes a new statement for every length, to build, render and quote each time; one
array parameter (`= ANY(:ids)`) keeps the statement the same whatever the list holds.

`one_of(column, values)` is `column IN (values)` for a Python list or a subquery, and `column = ANY(values)`
for an array expression such as `array_param("ids")`, so the owning modules' statements serve both ways.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY


def array_param(name: str, type_: Any = sa.Uuid) -> sa.ColumnElement:
    """The bound parameter `name` as an array of `type_` (give it `uuid_array(ids)`, or a list of text)."""
    return sa.cast(sa.bindparam(name), ARRAY(type_))


def one_of(column: sa.ColumnElement, values: Iterable[Any] | sa.Select | sa.ColumnElement) -> sa.ColumnElement[bool]:
    """`column IN (values)`, or `column = ANY(values)` when values is an array expression."""
    if isinstance(values, sa.ColumnElement):
        return column == sa.any_(values)
    return column.in_(values)


def uuid_array(ids: Iterable[uuid.UUID]) -> str:
    """Ids as one PostgreSQL array literal (`{…}`) for an `array_param` of uuids."""
    return "{" + ",".join(map(str, ids)) + "}"
