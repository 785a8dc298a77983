"""Structural checks of Indonesian identity numbers (NIK, No. KK) and recovery of numbers mangled by Excel.

Owns: what makes a NIK or No. KK acceptable, the reasons (Bahasa Indonesia / English) when it is not,
and turning spreadsheet cell values (text, int, float, "6472011705800001.0") back into 16-digit text.

NIK = PP RR DD (province, regency, district of first registration) + DDMMYY (women: day + 40) + serial.
No. KK = 6-digit region + issue date DDMMYY + serial. Only the province and the regency are checked
against a table: the district (and the whole region) is where the number was first issued, which often
differs from the current address, so a mismatch with the address is never a reason to reject.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from server.errors import (
    KK_ISSUE_DATE,
    KK_SERIAL,
    NIK_BIRTH_DATE,
    NIK_SERIAL,
    NUMBER_EXCEL_ROUNDED,
    NUMBER_FORMAT,
    NUMBER_PROVINCE,
    NUMBER_REGENCY,
    NUMBER_SCIENTIFIC,
    RowProblem,
)

# Kemendagri province codes, including the Papua codes before and after the 2022 split (old numbers stay).
PROVINCES: dict[str, str] = {
    "11": "Aceh",
    "12": "Sumatera Utara",
    "13": "Sumatera Barat",
    "14": "Riau",
    "15": "Jambi",
    "16": "Sumatera Selatan",
    "17": "Bengkulu",
    "18": "Lampung",
    "19": "Kepulauan Bangka Belitung",
    "21": "Kepulauan Riau",
    "31": "DKI Jakarta",
    "32": "Jawa Barat",
    "33": "Jawa Tengah",
    "34": "DI Yogyakarta",
    "35": "Jawa Timur",
    "36": "Banten",
    "51": "Bali",
    "52": "Nusa Tenggara Barat",
    "53": "Nusa Tenggara Timur",
    "61": "Kalimantan Barat",
    "62": "Kalimantan Tengah",
    "63": "Kalimantan Selatan",
    "64": "Kalimantan Timur",
    "65": "Kalimantan Utara",
    "71": "Sulawesi Utara",
    "72": "Sulawesi Tengah",
    "73": "Sulawesi Selatan",
    "74": "Sulawesi Tenggara",
    "75": "Gorontalo",
    "76": "Sulawesi Barat",
    "81": "Maluku",
    "82": "Maluku Utara",
    "91": "Papua / Papua Barat",
    "92": "Papua Barat",
    "93": "Papua Selatan",
    "94": "Papua / Papua Tengah",
    "95": "Papua Pegunungan",
    "96": "Papua Barat Daya",
}

# Regencies and cities of Kalimantan Timur. Numbers issued before Kalimantan Utara split off (2012) keep
# their 64.xx codes, and older documents sometimes carry BPS rather than Kemendagri numbering, so both
# are known here: rejecting a real resident's NIK is worse than accepting a historic code.
KALTIM_REGENCIES: dict[str, str] = {
    "6401": "Paser",
    "6402": "Kutai Kartanegara / Kutai Barat (BPS)",
    "6403": "Berau / Kutai Kartanegara (BPS)",
    "6404": "Bulungan (sebelum 2012) / Kutai Timur (BPS)",
    "6405": "Malinau (sebelum 2012) / Berau (BPS)",
    "6406": "Nunukan (sebelum 2012)",
    "6407": "Kutai Barat",
    "6408": "Kutai Timur",
    "6409": "Penajam Paser Utara",
    "6410": "Tana Tidung (sebelum 2012)",
    "6411": "Mahakam Ulu",
    "6471": "Balikpapan",
    "6472": "Samarinda",
    "6473": "Tarakan (sebelum 2012)",
    "6474": "Bontang",
}
REGENCY_TABLES: dict[str, dict[str, str]] = {"64": KALTIM_REGENCIES}

# A double holds every integer up to 2**53 exactly; beyond it a number read as float may have lost digits.
_EXACT_FLOAT_LIMIT = 2**53


@dataclass(frozen=True)
class Problem:
    """One reason a value is not acceptable: a catalogue code (server.errors) and its message filled in."""

    code: str
    message: str

    def __str__(self) -> str:
        return self.message

    @classmethod
    def of(cls, problem: RowProblem, label: str, **params: str) -> Problem:
        return cls(problem.code_for(_code(label)), problem.reason(label=label, **params))


@dataclass
class Checked:
    """A cleaned number (None when absent or unrecoverable) and the problems found."""

    value: str | None
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def reasons(self) -> list[str]:
        return [problem.message for problem in self.problems]


def clean_number(raw: Any, label: str = "NIK") -> Checked:
    """Turn a cell value into digits; refuse what Excel may have rounded (never guess missing digits).

    Text keeps every digit, so "6472011705800001.0" (a float printed by a tool) is recovered; text in
    scientific notation ("6.47201E+15") has lost digits and is refused. A numeric cell holds at most 15
    significant digits when Excel typed it: a 16-digit number ending in 0 may be a rounded one, so it
    is refused with the advice to format the column as text.
    """
    if raw is None:
        return Checked(None)
    if isinstance(raw, bool):
        return Checked(None, [_format_problem(label)])
    if isinstance(raw, int):
        return _from_number(Decimal(raw), label)
    if isinstance(raw, float):
        if raw != raw or raw in (float("inf"), float("-inf")):
            return Checked(None, [_format_problem(label)])
        return _from_number(Decimal(raw), label)
    if isinstance(raw, Decimal):
        return _from_number(raw, label)
    text = str(raw).strip().lstrip("'").strip()
    if not text:
        return Checked(None)
    if "e" in text.lower() and any(ch.isdigit() for ch in text):
        compact = text.replace(",", ".").replace(" ", "")
        try:
            Decimal(compact)
        except InvalidOperation:
            return Checked(None, [_format_problem(label)])
        return Checked(
            None,
            [Problem.of(NUMBER_SCIENTIFIC, label, text=text)],
        )
    compact = text.replace(" ", "").replace("-", "")
    if compact.isdigit():
        return Checked(compact)
    head, dot, tail = compact.partition(".")
    if dot and head.isdigit() and tail and set(tail) == {"0"}:
        # Printed from a float: exact only while the float could hold every digit.
        if int(head) > _EXACT_FLOAT_LIMIT:
            return Checked(None, [_rounded_problem(label, text)])
        return Checked(head)
    return Checked(None, [_format_problem(label)])


def _from_number(number: Decimal, label: str) -> Checked:
    if number != number.to_integral_value() or number <= 0:
        return Checked(None, [_format_problem(label)])
    integer = int(number)
    digits = str(integer)
    if len(digits) >= 16 and (integer > _EXACT_FLOAT_LIMIT or digits.endswith("0")):
        return Checked(None, [_rounded_problem(label, digits)])
    return Checked(digits)


def _format_problem(label: str) -> Problem:
    return Problem.of(NUMBER_FORMAT, label)


def _rounded_problem(label: str, shown: str) -> Problem:
    return Problem.of(NUMBER_EXCEL_ROUNDED, label, shown=shown)


def decode_date(ddmmyy: str, *, women_plus_40: bool) -> tuple[date | None, bool]:
    """(date, female) from DDMMYY; women's day has 40 added in a NIK. Century: 19xx unless that is impossible."""
    day, month, year = int(ddmmyy[0:2]), int(ddmmyy[2:4]), int(ddmmyy[4:6])
    female = False
    if women_plus_40 and 41 <= day <= 71:
        day -= 40
        female = True
    elif not 1 <= day <= 31:
        return None, False
    for century in (1900, 2000):
        try:
            return date(century + year, month, day), female
        except ValueError:
            continue
    return None, female


def region_problems(digits: str, label: str) -> list[Problem]:
    """Province known; regency known for provinces with a table, otherwise at least a possible code."""
    province, regency = digits[:2], digits[:4]
    if province not in PROVINCES:
        return [Problem.of(NUMBER_PROVINCE, label, province=province)]
    table = REGENCY_TABLES.get(province)
    known = regency in table if table is not None else digits[2:4] != "00"
    if not known:
        return [Problem.of(NUMBER_REGENCY, label, regency=regency)]
    return []


def nik_problems(nik: str) -> list[Problem]:
    """Every structural problem of a digits-only NIK (empty list: acceptable)."""
    if len(nik) != 16 or not nik.isdigit():
        return [_format_problem("NIK")]
    problems = region_problems(nik, "NIK")
    born, _female = decode_date(nik[6:12], women_plus_40=True)
    if born is None:
        problems.append(Problem.of(NIK_BIRTH_DATE, "NIK", digits=nik[6:12]))
    if nik[12:] == "0000":
        problems.append(Problem.of(NIK_SERIAL, "NIK"))
    return problems


def kk_problems(kk: str) -> list[Problem]:
    """Every structural problem of a digits-only No. KK (empty list: acceptable)."""
    if len(kk) != 16 or not kk.isdigit():
        return [_format_problem("No. KK")]
    problems = region_problems(kk, "No. KK")
    issued, _ = decode_date(kk[6:12], women_plus_40=False)
    if issued is None:
        problems.append(Problem.of(KK_ISSUE_DATE, "No. KK", digits=kk[6:12]))
    if kk[12:] == "0000":
        problems.append(Problem.of(KK_SERIAL, "No. KK"))
    return problems


def check_nik(raw: Any) -> Checked:
    """Clean a cell value and validate it as a NIK; `value` is None unless it is acceptable."""
    cleaned = clean_number(raw, "NIK")
    if cleaned.value is None:
        return cleaned
    problems = nik_problems(cleaned.value)
    return Checked(None if problems else cleaned.value, problems)


def check_kk(raw: Any) -> Checked:
    """Clean a cell value and validate it as a No. KK; `value` is None unless it is acceptable."""
    cleaned = clean_number(raw, "No. KK")
    if cleaned.value is None:
        return cleaned
    problems = kk_problems(cleaned.value)
    return Checked(None if problems else cleaned.value, problems)


def nik_birth_date(nik: str) -> date | None:
    """The birth date a valid NIK encodes (None when it encodes none)."""
    return decode_date(nik[6:12], women_plus_40=True)[0]


def nik_is_female(nik: str) -> bool:
    """True when the NIK's day carries the women's +40."""
    return 41 <= int(nik[6:8]) <= 71


def is_valid_nik(value: str | None) -> bool:
    return bool(value) and not nik_problems(value)


def is_valid_kk(value: str | None) -> bool:
    return bool(value) and not kk_problems(value)


def _code(label: str) -> str:
    return "kk" if "KK" in label else "nik"
