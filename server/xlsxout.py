"""The one XLSX writer: XlsxWriter in constant-memory mode (one row in memory at a time), numbers as numbers,
identifiers (NIK, No. KK, registry ids, region codes) always as text, since Excel keeps only 15 digits of a
number. Text goes in as string cells, which Excel never evaluates as formulas."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable, Sequence
from typing import IO, Any

import xlsxwriter
from flask import Response, send_file

MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def write_xlsx(
    path: str | IO[bytes],
    sheets: Sequence[tuple[str, Sequence[str], Iterable[Sequence[Any]]]],
    *,
    text_columns: Iterable[str] = (),
) -> int:
    """Write `sheets` [(name, header, rows)] to `path` (or an open binary file); columns named in
    `text_columns` are written as text. Returns the number of data rows written."""
    text = set(text_columns)
    workbook = xlsxwriter.Workbook(
        path,
        {"constant_memory": True, "strings_to_numbers": False, "strings_to_formulas": False, "strings_to_urls": False},
    )
    bold = workbook.add_format({"bold": True})
    written = 0
    try:
        for name, header, rows in sheets:
            sheet = workbook.add_worksheet(name[:31])
            sheet.write_row(0, 0, list(header), bold)
            as_text = [column in text for column in header]
            for number, row in enumerate(rows, start=1):
                for column, value in enumerate(row):
                    value = getattr(value, "value", value)
                    if value is None:
                        continue
                    if as_text[column] or isinstance(value, str):
                        # A string cell is never a formula in XLSX, so no apostrophe is needed (nor shown).
                        sheet.write_string(number, column, str(value))
                    elif isinstance(value, bool):
                        sheet.write_boolean(number, column, value)
                    elif isinstance(value, int | float):
                        sheet.write_number(number, column, value)
                    else:
                        sheet.write_string(number, column, str(value))
                written += 1
    finally:
        workbook.close()
    return written


def xlsx_response(
    sheets: Sequence[tuple[str, Sequence[str], Iterable[Sequence[Any]]]], *, filename: str, text_columns=()
) -> Response:
    """Write the workbook to a temporary file (removed once sent) and answer it as an attachment."""
    handle, path = tempfile.mkstemp(suffix=".xlsx")
    os.close(handle)
    try:
        write_xlsx(path, sheets, text_columns=text_columns)
        stream = open(path, "rb")  # noqa: SIM115 - closed by the response
    finally:
        os.unlink(path)  # the open handle keeps the data readable until the response closes it
    return send_file(stream, mimetype=MEDIA_TYPE, as_attachment=True, download_name=filename)
