"""Bulk loading through PostgreSQL's COPY on the session's own connection (so it joins its transaction)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from typing import Any

from server.extensions import db

NULL = "\\N"


def copy_rows(table: str, columns: Iterable[str], rows: Iterable[Iterable[Any]]) -> None:
    """COPY `rows` into `table`; None becomes NULL, everything else its text form."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    for row in rows:
        writer.writerow([NULL if value is None else value for value in row])
    buffer.seek(0)
    raw = db.session.connection().connection
    with raw.cursor() as cursor:
        cursor.copy_expert(f"COPY {table} ({', '.join(columns)}) FROM STDIN WITH (FORMAT csv, NULL '{NULL}')", buffer)
