"""Aid recipient import: an agency's list for one program and period, matched to the registry.

Keyed by NIK for person programs and by No. KK for family programs. A key that matches exactly one
member (or household) is applied as a receipt; everything else (no match, several matches, a key
Excel destroyed) becomes a proposal listing the most name-similar people (pg_trgm) in the row's region
and the caller's area, applied only when a supervisor confirms one candidate. Nothing fuzzy is applied
silently. Re-importing the same list adds nothing (receipts and proposals are matched on their keys).

Every row is kept as a receipt with the recipient as the agency listed them (NIK and name, No. KK, row),
family lists included. Two rows of one file paying the same recipient in the period are two receipts
(`occurrence` 1 and 2: the auditor's "paid more than once"), reported as `paid_again_in_file`, never as
`receipts_unchanged`. A row whose key matches nobody in the registry is kept too (`listed_match = 'none'`,
counted as `not_in_registry`), so the analysis can count the auditor's "not in the registry" kind.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from server.aid.models import AidProgram
from server.auth.access import Actor, region_in_scope
from server.errors import (
    ROW_AID_NO_MATCH,
    ROW_AMOUNT_FORMAT,
    ROW_CONTROL_CHARACTER,
    ROW_KELURAHAN_OUT_OF_SCOPE,
    ROW_KELURAHAN_UNKNOWN,
    ROW_REQUIRED,
    ROW_TOO_LONG,
)
from server.households.identity import check_kk, check_nik
from server.imports import queries
from server.imports.reader import BAD_TEXT, FileRejected, open_sheet
from server.imports.registry import MISSING_COLUMNS, NoProgress, Progress, Rejection, _text, estimated_rows, is_blank
from server.regions import queries as region_queries
from server.types import ProgramUnit, ReceiptStatus

COLUMN_ALIASES: dict[str, tuple[str, ...]] = {
    "nik": ("nik", "no_nik", "nomor_nik", "nik_penerima"),
    "kk_number": ("kk_number", "no_kk", "nomor_kk", "nokk"),
    "name": ("name", "nama", "nama_penerima", "nama_kpm"),
    "kelurahan_code": ("kelurahan_code", "kode_kelurahan", "kode_wilayah", "region_code"),
    "amount": ("amount", "nominal", "jumlah", "nilai"),
    "status": ("status", "status_penyaluran"),
}
ALIASES = {alias: column for column, names in COLUMN_ALIASES.items() for alias in names}
DISBURSED_WORDS = {"disbursed", "disalurkan", "tersalur", "sudah", "cair", "sudah_cair"}
CANDIDATE_LIMIT = 5


@dataclass
class AidRow:
    row_number: int
    number: str | None  # exact key when it is a valid NIK / No. KK
    name: str
    region_code: str | None
    amount: Decimal | None
    status: str
    nik: str | None = None  # the listed NIK when valid (person lists: the key; family lists: the nik column)
    nik_valid: bool | None = None  # None when no NIK was given
    kk: str | None = None  # the listed No. KK when valid


@dataclass
class AidReport:
    counts: dict[str, int] = field(default_factory=dict)
    rejections: list[Rejection] = field(default_factory=list)
    encoding: str | None = None


def _amount(value: Any) -> Decimal | None:
    if value is None or value == "":
        return None
    if isinstance(value, int | float | Decimal):
        return Decimal(str(value))
    text = re.sub(r"(?i)rp\.?|\s", "", str(value))
    if not text:
        return None
    if re.fullmatch(r"\d{1,3}(\.\d{3})+(,\d+)?", text):  # Indonesian thousands separators: 600.000,00
        text = text.replace(".", "").replace(",", ".")
    elif "," in text and "." not in text:
        text = text.replace(",", ".")
    try:
        amount = Decimal(text)
    except InvalidOperation as error:
        raise ValueError(value) from error
    if amount < 0 or amount >= Decimal("1e12"):
        raise ValueError(value)
    return amount


def run_aid_import(
    data: bytes,
    *,
    program: AidProgram,
    period_start: date,
    period_end: date,
    actor: Actor | None,
    import_id: int,
    dry_run: bool,
    progress: Progress | None = None,
) -> AidReport:
    progress = progress or NoProgress()
    report = AidReport()
    family = program.unit == ProgramUnit.FAMILY or program.unit == "family"
    key_column = "kk_number" if family else "nik"
    sheet = open_sheet(data, ALIASES)
    report.encoding = sheet.encoding
    missing = [column for column in (key_column, "name") if column not in sheet.columns]
    if missing:
        raise FileRejected(MISSING_COLUMNS, {"missing_columns": missing, "found_columns": sheet.columns})
    kelurahan = region_queries.village_codes()
    rows: list[AidRow] = []
    blank = 0
    progress.phase("validating", estimated_rows(data))
    for number, raw in sheet.rows:
        if number % 500 == 0:
            progress.advance(number - 1)
        if is_blank(raw):
            blank += 1
            continue
        row, problems = _parse(number, raw, key_column, kelurahan, actor)
        if problems:
            report.rejections.extend(problems)
        else:
            rows.append(row)

    counts: dict[str, Any] = {
        "rows_total": len(rows) + len({r.row_number for r in report.rejections}),
        "rows_blank": blank,
    }
    if rows:
        progress.phase("applying", len(rows))
        counts |= queries.match_aid_rows(
            rows=rows,
            program_id=program.id,
            family=family,
            period_start=period_start,
            period_end=period_end,
            actor=actor,
            import_id=import_id,
            candidate_limit=CANDIDATE_LIMIT,
            dry_run=dry_run,
        )
        for row_number in counts.pop("no_candidate_rows", []):
            report.rejections.append(Rejection.of(ROW_AID_NO_MATCH, row_number, key_column))
    counts["rows_rejected"] = len({r.row_number for r in report.rejections})
    report.counts = counts
    report.rejections.sort(key=lambda item: item.row_number)
    return report


def _parse(
    number: int, raw: dict[str, Any], key_column: str, kelurahan: set[str], actor: Actor | None
) -> tuple[AidRow | None, list[Rejection]]:
    if raw.get(BAD_TEXT):
        return None, [Rejection.of(ROW_CONTROL_CHARACTER, number, column) for column in raw[BAD_TEXT]]
    problems: list[Rejection] = []
    name = _text(raw.get("name"))
    if name is None:
        problems.append(Rejection.of(ROW_REQUIRED, number, "name", column="name"))
    elif len(name) > 200:
        problems.append(Rejection.of(ROW_TOO_LONG, number, "name", limit=200))
    raw_key = raw.get(key_column)
    checked = (check_kk if key_column == "kk_number" else check_nik)(raw_key)
    # A broken key is no reason to drop the row: the name can still find candidates for a person to confirm.
    key = checked.value if checked.ok else None
    nik, nik_valid = _listed(raw.get("nik"), check_nik)
    kk, _kk_valid = _listed(raw.get("kk_number"), check_kk)
    region = _text(raw.get("kelurahan_code"))
    if region is not None and region not in kelurahan:
        problems.append(Rejection.of(ROW_KELURAHAN_UNKNOWN, number, "kelurahan_code", region=region))
    elif region is not None and actor is not None and not region_in_scope(actor, region):
        problems.append(Rejection.of(ROW_KELURAHAN_OUT_OF_SCOPE, number, "kelurahan_code"))
    try:
        amount = _amount(raw.get("amount"))
    except ValueError:
        amount = None
        problems.append(Rejection.of(ROW_AMOUNT_FORMAT, number, "amount"))
    status_text = (_text(raw.get("status")) or "").lower().replace(" ", "_")
    status = ReceiptStatus.DISBURSED.value if status_text in DISBURSED_WORDS else ReceiptStatus.LISTED.value
    if problems:
        return None, problems
    return AidRow(number, key, name, region, amount, status, nik, nik_valid, kk), []


def _listed(raw: Any, check) -> tuple[str | None, bool | None]:
    """A listed number as kept on the receipt: (the number when valid, whether a given one was valid)."""
    if _text(raw) is None:
        return None, None
    checked = check(raw)
    valid = checked.ok and checked.value is not None
    return (checked.value if valid else None), valid
