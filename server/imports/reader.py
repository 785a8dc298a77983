"""Reading spreadsheet uploads row by row: CSV in any common encoding and delimiter, or XLSX streamed.

Owns: telling XLSX from CSV (and refusing what is neither: legacy .xls, .ods, a ZIP that is not a
workbook, a truncated file), decoding (UTF-8, UTF-16 with BOM, else Windows-1252, else Latin-1: what
Excel on Indonesian Windows writes; a file mixing UTF-8 and Windows-1252 lines is decoded line by
line, so no mojibake is stored), finding the header (an Excel `sep=;` line and title lines above the
header are skipped), normalising header names to our column names through a table of aliases, and
yielding (row number as Excel shows it, {column: raw value}).

Every parser failure, when opening or half-way through the rows, becomes one `FileRejected` naming
the file problem (the caller answers 422). Cells holding control characters are named in the row's
`BAD_TEXT` entry, for the importer to reject that row (see server.boundary).
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import islice
from typing import Any

from server.boundary import bad_text

XLSX_MAGIC = b"PK\x03\x04"
OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # legacy .xls (Excel 97-2003)
BAD_TEXT = "__bad_text__"  # row key: columns whose cell holds a control character
EXTRA = "__extra__"  # row key: cells beyond the header's columns
HEADER_SEARCH_ROWS = 30  # title lines above the header are looked through up to here
HEADER_SEARCH_CHARS = 256 * 1024  # … within the file's first characters (for choosing the delimiter)
DELIMITERS = (",", ";", "\t", "|")
SEP_LINE = re.compile(r'"?sep=(.)"?[ \t]*(\r\n|\n|\r|$)', re.IGNORECASE)


class FileRejected(Exception):
    """The file as a whole cannot be read (not a spreadsheet, broken, no header, required columns missing)."""

    def __init__(self, message: str, details: dict | None = None):
        super().__init__(message)
        self.message = message
        self.details = details or {}


SAVE_AS = "simpan sebagai XLSX atau CSV / save it as XLSX or CSV"


@dataclass
class Sheet:
    columns: list[str]  # our names (or the normalised original when unknown), in file order
    rows: Iterator[tuple[int, dict[str, Any]]]
    encoding: str | None  # None for XLSX; "utf-8+cp1252" when decoded line by line


def normalise_header(name: Any) -> str:
    text = str(name or "").strip().lower().lstrip("\ufeff")
    return re.sub(r"[^a-z0-9]+", "_", text).strip("_")


def decode(data: bytes) -> tuple[str, str]:
    """The text and the encoding it was read with; UTF-8 (with or without BOM) first, then UTF-16 by BOM.

    A file that is not UTF-8 as a whole but has UTF-8 lines (a clerk pasted rows from two sources) is
    decoded line by line: each line as UTF-8 when it is valid UTF-8, else as Windows-1252.
    """
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16"), "utf-16"
        except UnicodeDecodeError as error:
            raise FileRejected("Berkas UTF-16 rusak / broken UTF-16 file", {"problem": "encoding"}) from error
    try:
        return data.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError:
        pass
    lines = data.split(b"\n")
    decoded, kinds = [], set()
    for line in lines:
        try:
            decoded.append(line.decode("utf-8"))
            if not line.isascii():
                kinds.add("utf-8")
        except UnicodeDecodeError:
            text, kind = _single_byte(line)
            decoded.append(text)
            kinds.add(kind)
    text = "\n".join(decoded).lstrip("\ufeff")
    if "utf-8" in kinds and len(kinds) > 1:
        return text, "+".join(sorted(kinds, key=lambda kind: kind != "utf-8"))
    return text, "latin-1" if "latin-1" in kinds else "cp1252"


def _single_byte(line: bytes) -> tuple[str, str]:
    try:
        return line.decode("cp1252"), "cp1252"
    except UnicodeDecodeError:
        return line.decode("latin-1"), "latin-1"


def open_sheet(data: bytes, aliases: dict[str, str]) -> Sheet:
    """A sheet over the file's bytes; `aliases` maps normalised header names to our column names.

    Any failure of the parsers, now or while the rows are read, raises FileRejected.
    """
    try:
        if data[:8] == OLE2_MAGIC:
            raise FileRejected(f"Berkas Excel 97-2003 (.xls) tidak didukung, {SAVE_AS}", {"problem": "xls"})
        sheet = _xlsx(data, aliases) if data[:4] == XLSX_MAGIC else _csv(data, aliases)
    except FileRejected:
        raise
    except Exception as error:
        raise _unreadable(data, error) from error
    sheet.rows = _guarded(sheet.rows, data)
    return sheet


def _guarded(rows: Iterator[tuple[int, dict[str, Any]]], data: bytes) -> Iterator[tuple[int, dict[str, Any]]]:
    last = 0
    try:
        for number, row in rows:
            last = number
            yield number, row
    except FileRejected:
        raise
    except Exception as error:
        raise _unreadable(data, error, after_row=last) from error


def _unreadable(data: bytes, error: Exception, after_row: int | None = None) -> FileRejected:
    details: dict[str, Any] = {"problem": "unreadable", "error": type(error).__name__}
    if after_row:
        details["after_row"] = after_row
    if data[:4] == XLSX_MAGIC:
        kind = _zip_kind(data)
        if kind == "ods":
            return FileRejected(f"Berkas OpenDocument (.ods) tidak didukung, {SAVE_AS}", {**details, "problem": "ods"})
        if kind == "zip":
            return FileRejected(f"Berkas ZIP ini bukan buku kerja XLSX, {SAVE_AS}", {**details, "problem": "not_xlsx"})
        return FileRejected(
            "Berkas XLSX rusak atau terpotong (unggah ulang) / broken or truncated XLSX file (upload it again)",
            {**details, "problem": "broken_xlsx"},
        )
    message = "Berkas CSV tidak dapat dibaca / the CSV file cannot be read"
    if after_row:
        message += f" (setelah baris {after_row} / after row {after_row})"
    if isinstance(error, csv.Error):
        message += ": " + _csv_problem(error)
    return FileRejected(message, {**details, "problem": "broken_csv"})


def _csv_problem(error: csv.Error) -> str:
    if "field larger than field limit" in str(error):
        return "sel terlalu panjang, mungkin tanda kutip tidak ditutup / a cell is too long, perhaps an unclosed quote"
    return "format CSV rusak / malformed CSV"


def _zip_kind(data: bytes) -> str:
    """Which ZIP: "ods", "xlsx" (a workbook, perhaps broken), "zip" (another ZIP) or "broken" (not a readable ZIP)."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
            if "mimetype" in names and b"opendocument" in archive.read("mimetype"):
                return "ods"
            if "[Content_Types].xml" in names or any(name.startswith("xl/") for name in names):
                return "xlsx"
            return "zip"
    except Exception:
        return "broken"


def _map_columns(header: list[Any], aliases: dict[str, str]) -> list[str]:
    return [aliases.get(normalise_header(name), normalise_header(name)) for name in header]


def _known(record: list[Any] | tuple[Any, ...], aliases: dict[str, str]) -> int:
    return len({aliases[name] for name in (normalise_header(cell) for cell in record) if name in aliases})


def _header_index(records: list[list[Any]], aliases: dict[str, str]) -> tuple[int, int]:
    """(index of the header among `records`, how many known columns it names): the first record naming the
    most known columns; title lines above it are skipped. Without any, the first non-empty record."""
    best, best_known = None, 0
    for index, record in enumerate(records):
        known = _known(record, aliases)
        if known > best_known:
            best, best_known = index, known
    if best is not None and best_known >= 2:
        return best, best_known
    first = next((i for i, record in enumerate(records) if any(_blank(cell) is False for cell in record)), 0)
    return first, best_known


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _row(record: list[Any] | tuple[Any, ...], columns: list[str], check: bool = True) -> dict[str, Any]:
    """{column: cell}; `check` False when the whole file is known to hold no control character."""
    if len(record) >= len(columns):
        row: dict[str, Any] = dict(zip(columns, record, strict=False))
    else:
        row = dict.fromkeys(columns)
        row.update(zip(columns, record, strict=False))
    if len(record) > len(columns):
        row[EXTRA] = list(record[len(columns) :])
    if check:
        bad = [columns[i] if i < len(columns) else f"column_{i + 1}" for i, cell in enumerate(record) if bad_text(cell)]
        if bad:
            row[BAD_TEXT] = bad
    return row


def _csv(data: bytes, aliases: dict[str, str]) -> Sheet:
    text, encoding = decode(data)
    delimiter = None
    sep = SEP_LINE.match(text)
    if sep:  # Excel's "sep=;" line: names the delimiter and is not a row (Excel hides it)
        delimiter, text = sep[1], text[sep.end() :]
    if delimiter is None:
        delimiter, known = ",", -1
        start = text[:HEADER_SEARCH_CHARS]
        for candidate in DELIMITERS:
            head = list(islice(csv.reader(io.StringIO(start, newline=""), delimiter=candidate), HEADER_SEARCH_ROWS))
            _index, found = _header_index(head, aliases)
            if found > known:
                delimiter, known = candidate, found
        if known < 2:  # no recognisable header: the delimiter the first non-empty line uses most
            first_line = next((line for line in text.splitlines() if line.strip()), "")
            counts = {candidate: first_line.count(candidate) for candidate in DELIMITERS}
            delimiter = max(counts, key=lambda c: counts[c]) if any(counts.values()) else ","
    check = bad_text(text)  # one scan of the whole text; cells are looked at one by one only if it finds one
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    head = list(islice(reader, HEADER_SEARCH_ROWS))
    header_index, _known_columns = _header_index(head, aliases)
    columns = _map_columns(head[header_index] if head else [], aliases)

    def rows() -> Iterator[tuple[int, dict[str, Any]]]:
        # Row numbers count records (as Excel shows them), not physical lines: a quoted cell may span lines.
        number = header_index + 1
        for record in head[header_index + 1 :]:
            number += 1
            yield number, _row(record, columns, check)
        for record in reader:
            number += 1
            yield number, _row(record, columns, check)

    return Sheet(columns=columns, rows=rows(), encoding=encoding)


def _xlsx(data: bytes, aliases: dict[str, str]) -> Sheet:
    from openpyxl import load_workbook

    workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    if not workbook.worksheets:
        workbook.close()
        raise FileRejected("Buku kerja tanpa lembar / workbook without a sheet", {"problem": "no_sheet"})
    sheet = workbook.worksheets[0]
    iterator = sheet.iter_rows(values_only=True)
    head = [list(values) for values in islice(iterator, HEADER_SEARCH_ROWS)]
    header_index, _known_columns = _header_index(head, aliases)
    columns = _map_columns(head[header_index] if head else [], aliases)

    def rows() -> Iterator[tuple[int, dict[str, Any]]]:
        try:
            number = header_index + 1
            for values in head[header_index + 1 :]:
                number += 1
                yield number, _row(values, columns)
            for values in iterator:
                number += 1
                yield number, _row(values, columns)
        finally:
            workbook.close()

    return Sheet(columns=columns, rows=rows(), encoding=None)
