"""Registry import (DTKS/DTSEN extract): one row per member with household columns.

Owns the column mapping, per-row validation, household-level consistency (a household with any bad row
is rejected whole), and the set-based load: valid rows are COPYed into a temporary table, checked against
the database (NIK already in another household, merged households), then households and members are
upserted with statements that change (and bump the version of) only what differs. Re-importing the same
file therefore changes nothing. A dry run does the same work inside a savepoint and rolls it back.

The registry is the source of truth for the households it lists: a present member of such a household
whom a new file no longer lists is marked `removed` (a corrected head's NIK therefore replaces the old
head instead of adding a second one; the database allows one present head per household), reported as
a warning. Households the file does not list are left alone (an extract may cover one kelurahan). A NIK
the file lists in two households is imported, both households are flagged `nik_duplicate` (an import
never clears the flag) and the rows are listed as warnings: finding such people is what verification is
for. Birth date or sex contradicting the NIK is a warning too; a NIK already held by a household outside
the file is a rejection, naming that household only inside the caller's area.
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Protocol

from server.auth.access import Actor, region_in_scope
from server.boundary import printable
from server.errors import (
    ROW_BIRTH_DATE_FORMAT,
    ROW_BIRTH_DATE_RANGE,
    ROW_CONTROL_CHARACTER,
    ROW_COORDINATES_FORMAT,
    ROW_COORDINATES_OUTSIDE,
    ROW_COORDINATES_PARTIAL,
    ROW_DECILE_FORMAT,
    ROW_DECILE_RANGE,
    ROW_EXTRA_CELLS,
    ROW_HEAD_COUNT,
    ROW_HOUSEHOLD_INCONSISTENT,
    ROW_HOUSEHOLD_MERGED,
    ROW_HOUSEHOLD_OUT_OF_SCOPE,
    ROW_HOUSEHOLD_REJECTED,
    ROW_HOUSEHOLD_REJECTED_BY_DATABASE,
    ROW_KELURAHAN_OUT_OF_SCOPE,
    ROW_KELURAHAN_UNKNOWN,
    ROW_NIK_ELSEWHERE,
    ROW_NIK_IN_OTHER_HOUSEHOLD,
    ROW_NIK_TWICE_IN_HOUSEHOLD,
    ROW_RELATIONSHIP_FORMAT,
    ROW_RELATIONSHIP_RANGE,
    ROW_REQUIRED,
    ROW_RT_FORMAT,
    ROW_RW_FORMAT,
    ROW_SEX_FORMAT,
    ROW_TOO_LONG,
    WARNING_LOCKED_ROUND_NEWER,
    WARNING_MEMBERS_REMOVED,
    WARNING_NIK_BIRTH_DATE,
    WARNING_NIK_DUPLICATE,
    WARNING_NIK_SEX,
    WARNING_SETTLED_CHANGE_NEWER,
    RowProblem,
)
from server.households.identity import check_kk, check_nik, nik_birth_date, nik_is_female
from server.imports import queries
from server.imports.reader import BAD_TEXT, FileRejected, open_sheet
from server.regions import queries as region_queries

# Our column → accepted header spellings (normalised: lower case, non-alphanumerics as "_").
COLUMN_ALIASES: dict[str, tuple[str, ...]] = {
    "registry_id": ("registry_id", "id_dtks", "id_dtsen", "idbdt", "id_keluarga", "id_rumah_tangga", "id_art_rt"),
    "kk_number": ("kk_number", "no_kk", "nomor_kk", "nokk", "no_kartu_keluarga"),
    "head_name": ("head_name", "nama_kepala_keluarga", "kepala_keluarga", "nama_krt"),
    "address": ("address", "alamat"),
    "rt": ("rt",),
    "rw": ("rw",),
    "kelurahan_code": ("kelurahan_code", "kode_kelurahan", "kode_wilayah", "region_code", "kode_desa"),
    "decile": ("decile", "desil"),
    "latitude": ("latitude", "lat", "lintang"),
    "longitude": ("longitude", "lon", "lng", "bujur"),
    "nik": ("nik", "no_nik", "nomor_nik"),
    "name": ("name", "nama", "nama_anggota", "nama_art"),
    "sex": ("sex", "jenis_kelamin", "jk", "kelamin"),
    "birth_date": ("birth_date", "tanggal_lahir", "tgl_lahir"),
    "birth_place": ("birth_place", "tempat_lahir"),
    "relationship": ("relationship", "relationship_code", "hubungan", "hub_kk", "hubungan_keluarga", "hub_krt"),
}
# The registry file's columns, in order: what the import reads and the household export writes.
REGISTRY_COLUMNS = tuple(COLUMN_ALIASES)
ALIASES = {alias: column for column, names in COLUMN_ALIASES.items() for alias in names}
MISSING_COLUMNS = "Kolom wajib tidak ada / required columns missing"
REQUIRED = ("registry_id", "kk_number", "kelurahan_code", "nik", "name", "sex", "relationship")
HOUSEHOLD_COLUMNS = (
    "kk_number",
    "head_name",
    "address",
    "rt",
    "rw",
    "kelurahan_code",
    "decile",
    "latitude",
    "longitude",
)
EARLIEST_BIRTH = date(1900, 1, 1)
# Indonesia's bounding box (Sabang to Merauke, Miangas to Rote), with a little margin.
LON_RANGE, LAT_RANGE = (94.5, 141.5), (-11.5, 6.5)
SEX_CODES = {
    "1": 1,
    "l": 1,
    "lk": 1,
    "laki_laki": 1,
    "laki": 1,
    "m": 1,
    "2": 2,
    "p": 2,
    "pr": 2,
    "perempuan": 2,
    "f": 2,
}


@dataclass
class Rejection:
    row_number: int
    column: str | None
    code: str
    reason: str
    record_key: str | None = None

    @classmethod
    def of(cls, problem: RowProblem, row_number: int, column: str | None, record_key: str | None = None, /, **params):
        """The catalogue's problem (server.errors) at a row and column, its message filled in."""
        return cls(row_number, column, problem.code, problem.reason(**params), record_key)


@dataclass
class ParsedRow:
    row_number: int
    registry_id: str
    household: dict[str, Any]
    member: dict[str, Any]


@dataclass
class RegistryReport:
    counts: dict[str, int] = field(default_factory=dict)
    rejections: list[Rejection] = field(default_factory=list)
    warnings: list[Rejection] = field(default_factory=list)  # applied rows with something to check
    encoding: str | None = None


class Progress(Protocol):
    """Where an import reports its phases (a background job's context; nothing for a request's dry run)."""

    def phase(self, name: str, total: int | None = None) -> None: ...

    def advance(self, done: int, total: int | None = None) -> None: ...


class NoProgress:
    def phase(self, name: str, total: int | None = None) -> None:
        pass

    def advance(self, done: int, total: int | None = None) -> None:
        pass


def estimated_rows(data: bytes) -> int | None:
    """Data rows of a CSV (line count minus the header; a row spanning lines counts more); None for XLSX."""
    from server.imports.reader import XLSX_MAGIC

    return None if data[:4] == XLSX_MAGIC else max(data.count(b"\n") - 1 + (not data.endswith(b"\n")), 0)


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).strip()
    return text or None


def is_blank(raw: dict[str, Any]) -> bool:
    """A row with no text in any of the header's columns (Excel leaves such rows between blocks)."""
    return not raw.get(BAD_TEXT) and all(_text(value) is None for key, value in raw.items() if not key.startswith("__"))


def _int(value: Any) -> int | None:
    text = _text(value)
    if text is None:
        return None
    if re.fullmatch(r"\d+(\.0+)?", text):
        return int(text.split(".")[0])
    raise ValueError(text)


def _float(value: Any) -> float | None:
    if value is None or value == "":
        return None
    if isinstance(value, int | float):
        number = float(value)
    else:
        text = str(value).strip()
        if not text:
            return None
        if "," in text and "." not in text:
            text = text.replace(",", ".")
        number = float(text)
    if math.isnan(number) or math.isinf(number):
        raise ValueError(value)
    return number


def _date(value: Any) -> date | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = str(value).strip()
    if not text:
        return None
    match = re.fullmatch(r"(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T].*)?", text)
    if match:
        return date(int(match[1]), int(match[2]), int(match[3]))
    match = re.fullmatch(r"(\d{1,2})[-/.](\d{1,2})[-/.](\d{4})", text)
    if match:
        return date(int(match[3]), int(match[2]), int(match[1]))
    raise ValueError(text)


def _pad(value: Any) -> str | None:
    number = _int(value)
    if number is None:
        return None
    if number > 999:
        raise ValueError(value)
    return f"{number:03d}"


def _reason(code: str, id_text: str, en_text: str) -> tuple[str, str]:
    return code, f"{id_text} / {en_text}"


def parse_row(
    number: int, raw: dict[str, Any], kelurahan: set[str], actor: Actor | None
) -> tuple[ParsedRow | None, list[Rejection]]:
    """Validate one row; returns the parsed row or the reasons it is bad (column by column)."""
    problems: list[Rejection] = []
    key = _text(raw.get("registry_id"))
    if key is not None:
        key = printable(key)

    def bad(at_column: str, problem: RowProblem, **params: Any) -> None:
        problems.append(Rejection.of(problem, number, at_column, key, **params))

    for column in raw.get(BAD_TEXT, ()):
        bad(column, ROW_CONTROL_CHARACTER)
    if problems:
        return None, problems

    for column in REQUIRED:
        if _text(raw.get(column)) is None:
            bad(column, ROW_REQUIRED, column=column)
    if key is not None and len(key) > 32:
        bad("registry_id", ROW_TOO_LONG, limit=32)

    nik = check_nik(raw.get("nik")) if _text(raw.get("nik")) is not None else None
    if nik is not None and not nik.ok:
        problems.extend(Rejection(number, "nik", problem.code, problem.message, key) for problem in nik.problems)
    kk = check_kk(raw.get("kk_number")) if _text(raw.get("kk_number")) is not None else None
    if kk is not None and not kk.ok:
        problems.extend(Rejection(number, "kk_number", problem.code, problem.message, key) for problem in kk.problems)

    region = _text(raw.get("kelurahan_code"))
    if region is not None:
        if region not in kelurahan:
            bad("kelurahan_code", ROW_KELURAHAN_UNKNOWN, region=region)
        elif actor is not None and not region_in_scope(actor, region):
            bad("kelurahan_code", ROW_KELURAHAN_OUT_OF_SCOPE)

    values: dict[str, Any] = {}
    parsers = {
        "decile": (_int, ROW_DECILE_FORMAT, {}),
        "relationship": (_int, ROW_RELATIONSHIP_FORMAT, {}),
        "rt": (_pad, ROW_RT_FORMAT, {}),
        "rw": (_pad, ROW_RW_FORMAT, {}),
        "latitude": (_float, ROW_COORDINATES_FORMAT, {"label_id": "Lintang", "label_en": "latitude"}),
        "longitude": (_float, ROW_COORDINATES_FORMAT, {"label_id": "Bujur", "label_en": "longitude"}),
        "birth_date": (_date, ROW_BIRTH_DATE_FORMAT, {}),
    }
    for column, (parse, problem, params) in parsers.items():
        try:
            values[column] = parse(raw.get(column))
        except (ValueError, TypeError):
            bad(column, problem, **params)
            values[column] = None
    born = values["birth_date"]
    if born is not None and not EARLIEST_BIRTH <= born <= date.today():
        bad("birth_date", ROW_BIRTH_DATE_RANGE)
    if values["decile"] is not None and not 1 <= values["decile"] <= 10:
        bad("decile", ROW_DECILE_RANGE)
    if values["relationship"] is not None and not 1 <= values["relationship"] <= 8:
        bad("relationship", ROW_RELATIONSHIP_RANGE)
    lat, lon = values["latitude"], values["longitude"]
    if (lat is None) != (lon is None):
        bad("latitude" if lat is None else "longitude", ROW_COORDINATES_PARTIAL)
    elif lat is not None and not (LAT_RANGE[0] <= lat <= LAT_RANGE[1] and LON_RANGE[0] <= lon <= LON_RANGE[1]):
        bad("latitude", ROW_COORDINATES_OUTSIDE)
    sex_text = _text(raw.get("sex"))
    sex = SEX_CODES.get(re.sub(r"[^a-z0-9]+", "_", sex_text.lower()).strip("_")) if sex_text else None
    if sex_text is not None and sex is None:
        bad("sex", ROW_SEX_FORMAT)
    for column, limit in (("name", 200), ("head_name", 200), ("address", 500), ("birth_place", 100)):
        text = _text(raw.get(column))
        if text is not None and len(text) > limit:
            bad(column, ROW_TOO_LONG, limit=limit)
    if raw.get("__extra__") and any(_text(cell) for cell in raw["__extra__"]):
        bad("", ROW_EXTRA_CELLS)
    if problems:
        return None, problems
    return (
        ParsedRow(
            row_number=number,
            registry_id=key,
            household={
                "kk_number": kk.value,
                "head_name": _text(raw.get("head_name")),
                "address": _text(raw.get("address")),
                "rt": values["rt"],
                "rw": values["rw"],
                "kelurahan_code": region,
                "decile": values["decile"],
                "latitude": lat,
                "longitude": lon,
            },
            member={
                "nik": nik.value,
                "name": _text(raw.get("name")),
                "sex": sex,
                "birth_date": values["birth_date"],
                "birth_place": _text(raw.get("birth_place")),
                "relationship_code": values["relationship"],
            },
        ),
        [],
    )


def nik_warnings(row: ParsedRow) -> list[Rejection]:
    """Birth date or sex that contradict the NIK: reported, never refused (the civil registry is sometimes wrong)."""
    nik, member = row.member["nik"], row.member
    warnings = []
    encoded = nik_birth_date(nik)
    born = member["birth_date"]
    if encoded is not None and born is not None and f"{encoded:%d%m%y}" != f"{born:%d%m%y}":
        warnings.append(
            Rejection.of(
                WARNING_NIK_BIRTH_DATE, row.row_number, "birth_date", row.registry_id, encoded=f"{encoded:%d-%m-%y}"
            )
        )
    female = nik_is_female(nik)
    if member["sex"] is not None and (member["sex"] == 2) != female:
        warnings.append(Rejection.of(WARNING_NIK_SEX, row.row_number, "sex", row.registry_id))
    return warnings


def _household_problems(rows: list[ParsedRow]) -> list[Rejection]:
    """Rows of one household must agree on the household columns and name exactly one head."""
    problems = []
    first = rows[0]
    for row in rows[1:]:
        for column in HOUSEHOLD_COLUMNS:
            if row.household[column] != first.household[column] and not (
                column == "head_name" and row.household[column] is None
            ):
                problems.append(
                    Rejection.of(
                        ROW_HOUSEHOLD_INCONSISTENT, row.row_number, column, row.registry_id, first=first.row_number
                    )
                )
    heads = [row for row in rows if row.member["relationship_code"] == 1]
    if len(heads) != 1:
        problems.append(
            Rejection.of(ROW_HEAD_COUNT, first.row_number, "relationship", first.registry_id, heads=len(heads))
        )
    seen: dict[str, int] = {}
    for row in rows:
        nik = row.member["nik"]
        if nik in seen:
            problems.append(
                Rejection.of(ROW_NIK_TWICE_IN_HOUSEHOLD, row.row_number, "nik", row.registry_id, first=seen[nik])
            )
        seen.setdefault(nik, row.row_number)
    return problems


def run_registry_import(
    data: bytes,
    *,
    actor: Actor | None,
    dry_run: bool,
    progress: Progress | None = None,
    as_of: date | None = None,
    source_id: str | None = None,
) -> RegistryReport:
    """Validate and load a registry file; the caller records the import and commits. Phases reported:
    validating (rows read), staging (rows staged and checked against the database), applying.

    `as_of` is the day the file was extracted: a field a settled change (staff edit, review, musyawarah)
    set after that day keeps its value, and the conflict is listed (`warning.settled_change_newer`).
    Every change the import makes lands in the registry change history under `source_id`."""
    progress = progress or NoProgress()
    report = RegistryReport()
    sheet = open_sheet(data, ALIASES)
    report.encoding = sheet.encoding
    missing = [column for column in REQUIRED if column not in sheet.columns]
    if missing:
        raise FileRejected(MISSING_COLUMNS, {"missing_columns": missing, "found_columns": sheet.columns})
    kelurahan = region_queries.village_codes()
    rows_total = blank = 0
    households: dict[str, list[ParsedRow]] = defaultdict(list)
    bad_rows: dict[str, list[int]] = defaultdict(list)
    orphan_rejections = 0
    progress.phase("validating", estimated_rows(data))
    for number, raw in sheet.rows:
        if is_blank(raw):
            blank += 1
            continue
        rows_total += 1
        if rows_total % 500 == 0:
            progress.advance(rows_total + blank)
        parsed, problems = parse_row(number, raw, kelurahan, actor)
        if problems:
            report.rejections.extend(problems)
            key = _text(raw.get("registry_id"))
            key = None if key is None else printable(key)
            if key is None:
                orphan_rejections += 1
            else:
                bad_rows[key].append(number)
                households.setdefault(key, [])
            continue
        households[parsed.registry_id].append(parsed)

    accepted: list[ParsedRow] = []
    for key, rows in households.items():
        if not bad_rows.get(key) and rows:
            problems = _household_problems(rows)
            if problems:
                report.rejections.extend(problems)
                bad_rows[key].extend(problem.row_number for problem in problems)
        if bad_rows.get(key):
            _reject_rest(report, rows, bad_rows[key])
            continue
        accepted.extend(rows)

    db_rejected: set[str] = set()
    write_counts: dict[str, int] = {}
    progress.advance(rows_total + blank, rows_total + blank)
    if accepted:
        progress.phase("staging", len(accepted))
        queries.stage_registry_rows(accepted)
        for row_number, key, code, other in queries.registry_conflicts_with_database(actor=actor):
            report.rejections.append(_database_conflict(row_number, key, code, other))
            db_rejected.add(key)
        if db_rejected:
            for row in accepted:
                if row.registry_id in db_rejected:
                    report.rejections.append(
                        Rejection.of(ROW_HOUSEHOLD_REJECTED_BY_DATABASE, row.row_number, "registry_id", row.registry_id)
                    )
            queries.unstage_households(sorted(db_rejected))
        progress.advance(len(accepted))
        settled = queries.keep_newer_settled_changes(as_of=as_of) if as_of else []
        report.warnings.extend(_settled_warnings(settled, as_of))
        locked = queries.keep_locked_rounds(as_of=as_of) if as_of else []
        report.warnings.extend(_locked_warnings(locked, as_of))
        progress.phase("applying")
        write_counts, removed, duplicates = queries.apply_staged_registry(
            dry_run=dry_run, actor_id=actor.user_id if actor else None, source_id=source_id
        )
        write_counts["settled_conflicts"] = len(settled)
        write_counts["locked_conflicts"] = len(locked)
        report.warnings.extend(_change_warnings(removed, duplicates))
    _dedupe_rejections(report)
    for row in accepted:
        if row.registry_id not in db_rejected:
            report.warnings.extend(nik_warnings(row))
    rejected_households = {key for key, rows in bad_rows.items() if rows} | db_rejected
    accepted_rows = sum(1 for row in accepted if row.registry_id not in db_rejected)
    report.counts = {
        "rows_total": rows_total,
        "rows_blank": blank,
        "rows_accepted": accepted_rows,
        "rows_rejected": rows_total - accepted_rows,
        "households_total": len(households),
        "households_accepted": len(households) - len(rejected_households),
        "households_rejected": len(rejected_households),
        "rows_without_household_id": orphan_rejections,
        "warnings": len(report.warnings),
        **write_counts,
    }
    return report


def _database_conflict(row_number: int, key: str, code: str, other: str | None) -> Rejection:
    """A staged row the database contradicts; the other household is named only inside the caller's area."""
    if code == ROW_NIK_IN_OTHER_HOUSEHOLD.code:
        if other is None:
            return Rejection.of(ROW_NIK_ELSEWHERE, row_number, "nik", key)
        shown = {"-": "tanpa ID / no id"}.get(other, other)
        return Rejection.of(ROW_NIK_IN_OTHER_HOUSEHOLD, row_number, "nik", key, registry_id=shown)
    problem = ROW_HOUSEHOLD_MERGED if code == ROW_HOUSEHOLD_MERGED.code else ROW_HOUSEHOLD_OUT_OF_SCOPE
    return Rejection.of(problem, row_number, "registry_id", key)


def _change_warnings(removed: list[tuple], duplicates: list[tuple]) -> list[Rejection]:
    """What the import changed that a supervisor should see: members the file no longer lists (marked
    `removed`, the head among them) and NIKs the file lists in two households (imported, both flagged)."""
    warnings = []
    for registry_id, row_number, members, head in removed:
        head_id, head_en = (" termasuk kepala keluarga", " including the head") if head else ("", "")
        warnings.append(
            Rejection.of(
                WARNING_MEMBERS_REMOVED,
                row_number,
                "nik",
                registry_id,
                members=members,
                head_id=head_id,
                head_en=head_en,
            )
        )
    rows_by_nik: dict[str, list[int]] = defaultdict(list)
    for nik, _registry_id, row_number in duplicates:
        rows_by_nik[nik].append(row_number)
    for nik, registry_id, row_number in duplicates:
        others = ", ".join(str(number) for number in rows_by_nik[nik] if number != row_number)
        # Another row of the same file may be named; a household outside the file is not (it may lie
        # outside the importer's area).
        where_id, where_en = (f" dalam berkas (baris {others})", f" of the file (row {others})") if others else ("", "")
        warnings.append(
            Rejection.of(WARNING_NIK_DUPLICATE, row_number, "nik", registry_id, where_id=where_id, where_en=where_en)
        )
    return warnings


def _settled_warnings(conflicts: list[tuple[int, str, str]], as_of: date | None) -> list[Rejection]:
    """Fields the file would have changed back although a settled change newer than the file set them."""
    return [
        Rejection.of(WARNING_SETTLED_CHANGE_NEWER, row_number, field, registry_id, as_of=as_of)
        for row_number, registry_id, field in conflicts
    ]


def _locked_warnings(conflicts: list[tuple[int, str, str]], as_of: date | None) -> list[Rejection]:
    """Fields the file would have changed in a kelurahan whose musyawarah was locked after the file's date."""
    return [
        Rejection.of(WARNING_LOCKED_ROUND_NEWER, row_number, field, registry_id, as_of=as_of)
        for row_number, registry_id, field in conflicts
    ]


def _reject_rest(report: RegistryReport, rows: list[ParsedRow], bad: list[int]) -> None:
    """The good rows of a bad household are not applied either; say so, naming the bad rows."""
    named = ", ".join(str(number) for number in sorted(set(bad))[:5])
    for row in rows:
        if row.row_number not in bad:
            report.rejections.append(
                Rejection.of(ROW_HOUSEHOLD_REJECTED, row.row_number, "registry_id", row.registry_id, rows=named)
            )


def _dedupe_rejections(report: RegistryReport) -> None:
    seen = set()
    unique = []
    for rejection in report.rejections:
        key = (rejection.row_number, rejection.column, rejection.code)
        if key not in seen:
            seen.add(key)
            unique.append(rejection)
    report.rejections = sorted(unique, key=lambda rejection: (rejection.row_number, rejection.column or ""))
