"""The one CSV writer for every CSV the server produces (household export, import rejections, …).

Cells are neutralised against formula injection: text a spreadsheet would run as a formula (starting
with = + - @, tab or carriage return, and not a plain number) gets a leading apostrophe. Rows are
streamed in chunks of about 64 kB; `bom=True` starts the file with a UTF-8 BOM so Excel shows
Indonesian text right.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from flask import Response, stream_with_context

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")
NUMBER = re.compile(r"-?\d+(\.\d+)?")
CHUNK = 65536


def cell(value: Any) -> Any:
    """A CSV cell; text that a spreadsheet would run as a formula gets a leading apostrophe."""
    if value is None:
        return ""
    value = getattr(value, "value", value)
    if isinstance(value, str) and value[:1] in FORMULA_STARTS and not NUMBER.fullmatch(value):
        return "'" + value
    return value


def csv_chunks(header: Sequence[str], rows: Iterable[Sequence[Any]], *, bom: bool = False) -> Iterator[str]:
    """The CSV text in chunks: header row, then every row with its cells neutralised."""
    buffer = io.StringIO()
    if bom:
        buffer.write("\ufeff")
    writer = csv.writer(buffer)
    writer.writerow([cell(name) for name in header])
    for row in rows:
        writer.writerow([cell(value) for value in row])
        if buffer.tell() > CHUNK:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def csv_response(
    header: Sequence[str],
    rows: Iterable[Sequence[Any]],
    *,
    filename: str,
    bom: bool = False,
    headers: dict[str, str] | None = None,
) -> Response:
    """A streamed `text/csv` attachment."""
    return Response(
        stream_with_context(csv_chunks(header, rows, bom=bom)),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"', **(headers or {})},
    )
