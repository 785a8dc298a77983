"""Reading spreadsheet uploads row by row: CSV in any common encoding and delimiter, or XLSX streamed.

Owns: telling XLSX from CSV, decoding (UTF-8, else Windows-1252, else Latin-1: what Excel on Indonesian
Windows writes), sniffing the delimiter, normalising header names to our column names through a table
of aliases, and yielding (row number as the user sees it, {column: raw value}).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

XLSX_MAGIC = b"PK\x03\x04"


@dataclass
class Sheet:
    columns: list[str]  # our names (or the normalised original when unknown), in file order
    rows: Iterator[tuple[int, dict[str, Any]]]
    encoding: str | None  # None for XLSX


def normalise_header(name: Any) -> str:
    text = str(name or "").strip().lower().lstrip("\ufeff")
    return re.sub(r"[^a-z0-9]+", "_", text).strip("_")


def decode(data: bytes) -> tuple[str, str]:
    """The text and the encoding it was read with; UTF-8 (with or without BOM) first."""
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return data.decode(encoding), "utf-8" if encoding == "utf-8-sig" else encoding
        except UnicodeDecodeError:
            continue
    return data.decode("latin-1"), "latin-1"


def _delimiter(header_line: str) -> str:
    counts = {delimiter: header_line.count(delimiter) for delimiter in (",", ";", "\t", "|")}
    return max(counts, key=lambda delimiter: counts[delimiter]) if any(counts.values()) else ","


def open_sheet(data: bytes, aliases: dict[str, str]) -> Sheet:
    """A sheet over the file's bytes; `aliases` maps normalised header names to our column names."""
    if data[:4] == XLSX_MAGIC:
        return _xlsx(data, aliases)
    return _csv(data, aliases)


def _map_columns(header: list[Any], aliases: dict[str, str]) -> list[str]:
    return [aliases.get(normalise_header(name), normalise_header(name)) for name in header]


def _csv(data: bytes, aliases: dict[str, str]) -> Sheet:
    text, encoding = decode(data)
    first_line = next((line for line in text.splitlines() if line.strip()), "")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(first_line))
    header: list[str] = []
    for record in reader:
        if any(cell.strip() for cell in record):
            header = record
            break
    columns = _map_columns(header, aliases)

    def rows() -> Iterator[tuple[int, dict[str, Any]]]:
        previous_end = reader.line_num
        for record in reader:
            # The record starts on the line after the previous one ended (records may span lines).
            number = previous_end + 1
            previous_end = reader.line_num
            yield (
                number,
                {column: record[i] if i < len(record) else None for i, column in enumerate(columns)}
                | ({"__extra__": record[len(columns) :]} if len(record) > len(columns) else {}),
            )

    return Sheet(columns=columns, rows=rows(), encoding=encoding)


def _xlsx(data: bytes, aliases: dict[str, str]) -> Sheet:
    from openpyxl import load_workbook

    workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    sheet = workbook.worksheets[0]
    iterator = sheet.iter_rows(values_only=True)
    header: list[Any] = []
    header_row = 0
    for header_row, values in enumerate(iterator, start=1):  # noqa: B007 (the row number is used after the loop)
        if any(value not in (None, "") for value in values):
            header = list(values)
            break
    columns = _map_columns(header, aliases)

    def rows() -> Iterator[tuple[int, dict[str, Any]]]:
        try:
            for number, values in enumerate(iterator, start=header_row + 1):
                yield number, {column: values[i] if i < len(values) else None for i, column in enumerate(columns)}
        finally:
            workbook.close()

    return Sheet(columns=columns, rows=rows(), encoding=None)
