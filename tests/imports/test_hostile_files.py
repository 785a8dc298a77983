"""Hostile and messy import files (issue 12): control characters in cells, files no parser can read,
formula cells in rejections.csv, mixed encodings, Excel's `sep=` and title lines, multi-line cells."""

from __future__ import annotations

import csv
import io
import zipfile
from pathlib import Path

import pytest
import sqlalchemy as sa
from openpyxl import Workbook

from server.households.models import Household, Member
from server.imports.models import DataImport
from server.imports.service import import_registry
from tests.factories import make_user
from tests.imports.helpers import job_of, report_of

DATA = Path(__file__).parent / "data"
SAMPLE = (DATA / "registry_sample.csv").read_bytes()
HEADER = SAMPLE.decode().splitlines()[0]


def _row(registry_id: str, nik: str, name: str, relationship: int = 1, sex: str = "1", kk: str | None = None) -> str:
    kk = kk or "64720115031500" + registry_id[-2:].rjust(2, "0")
    return f"{registry_id},{kk},,Jl. H,1,1,64.72.01.1001,2,,,{nik},{name},{sex},,,{relationship}"


def _reasons(imported: DataImport) -> dict[int, list[tuple[str, str]]]:
    from server.imports.queries import rejections_of

    result: dict[int, list[tuple[str, str]]] = {}
    for item in rejections_of(import_id=imported.id):
        result.setdefault(item.row_number, []).append((item.column, item.code))
    return result


def _names(db_session, prefix: str) -> dict[str, str]:
    db_session.expire_all()
    rows = db_session.execute(
        sa.select(Member.nik, Member.name).join(Household).where(Household.registry_id.like(f"{prefix}%"))
    )
    return dict(rows.all())


def _xlsx() -> bytes:
    workbook = Workbook()
    workbook.active.append(HEADER.split(","))
    workbook.active.append(_row("Z-01", "6472011705800301", "Tono").split(","))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _zip(entries: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in entries.items():
            archive.writestr(name, content)
    return buffer.getvalue()


# --- finding 1: a NUL byte in a cell -------------------------------------------------------------
def test_nul_and_control_characters_in_cells_reject_only_their_rows(db_session):
    text = "\n".join(
        [
            HEADER,
            _row("N-01", "6472011705800101", "Ok Satu"),
            _row("N-02", "6472011705800102", "Nul\x00Name"),
            _row("N-03", "6472011705800103", "Bell\x07"),
            _row("N-04\x00", "6472011705800104", "Key", kk="6472011503150004"),
            _row("N-05", "6472011705800105", "Ok Lima"),
        ]
    )
    imported = import_registry(text.encode(), "nul.csv", actor=None, dry_run=False)
    reasons = _reasons(imported)
    assert reasons[3] == [("name", "text.control_character")]
    assert reasons[4] == [("name", "text.control_character")]
    assert reasons[5] == [("registry_id", "text.control_character")]
    assert set(_names(db_session, "N-").values()) == {"Ok Satu", "Ok Lima"}


def test_cli_prints_one_line_for_a_broken_file(app, db_session, tmp_path):
    path = tmp_path / "broken.xlsx"
    path.write_bytes(_xlsx()[:700])
    result = app.test_cli_runner().invoke(args=["import", "registry", str(path)])
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert len(result.output.strip().splitlines()) == 1, result.output
    assert "XLSX" in result.output


# --- finding 2: files no parser can read ---------------------------------------------------------
BROKEN = {
    "truncated.xlsx": (lambda: _xlsx()[:-200], "broken_xlsx"),
    "cut-in-half.xlsx": (lambda: _xlsx()[: len(_xlsx()) // 2], "broken_xlsx"),
    "not-a-workbook.xlsx": (lambda: _zip({"readme.txt": b"hello"}), "not_xlsx"),
    "sheet.ods": (
        lambda: _zip({"mimetype": b"application/vnd.oasis.opendocument.spreadsheet", "content.xml": b"<x/>"}),
        "ods",
    ),
    "fake.xlsx": (lambda: _zip({"[Content_Types].xml": b"<Types/>", "xl/workbook.xml": b"not xml"}), "broken_xlsx"),
    "old.xls": (lambda: b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600, "xls"),
    "unclosed-quote.csv": (lambda: (HEADER + '\nQ-1,"' + "x" * 200_000 + "\n").encode(), "broken_csv"),
}


@pytest.mark.parametrize("filename", sorted(BROKEN))
@pytest.mark.parametrize("endpoint", ["registry", "aid"])
def test_files_no_parser_can_read_get_422_naming_the_problem(client, auth_headers, filename, endpoint):
    make, problem = BROKEN[filename]
    admin = make_user("admin")

    def post(**extra):
        form = {"file": (io.BytesIO(make()), filename), **extra}
        if endpoint == "aid":
            form |= {"program": "PKH", "period_start": "2026-01-01", "period_end": "2026-03-31"}
        return client.post(
            f"/api/v1/imports/{endpoint}", data=form, headers=auth_headers(admin), content_type="multipart/form-data"
        )

    # A real import is a job: it fails with the same words the request's dry run answers with.
    job = job_of(post())
    assert job["state"] == "failed" and job["result"] is None
    dry = post(dry_run="true")
    assert dry.status_code == 422, dry.get_data(as_text=True)
    for error in (job["error"], dry.get_json()["error"]):
        assert error["code"] == "validation.failed"
        assert error["details"]["problem"] == problem
        assert error["details"]["fields"]["file"]
    assert job["error"]["message"] == dry.get_json()["error"]["message"]


# --- finding 5: one formula-neutralising CSV writer ---------------------------------------------
def test_rejections_csv_neutralises_formula_cells(client, auth_headers):
    admin = make_user("admin")
    headers = auth_headers(admin)
    text = HEADER + "\n" + _row('=HYPERLINK("http://evil.example/x")', "6472011705800000", "Jahat") + "\n"
    response = client.post(
        "/api/v1/imports/registry",
        data={"file": (io.BytesIO(text.encode()), "evil.csv")},
        headers=headers,
        content_type="multipart/form-data",
    )
    download = client.get(report_of(client, headers, response)["rejections_csv"], headers=headers)
    rows = list(csv.DictReader(io.StringIO(download.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows and all(row["registry_id"].startswith("'=HYPERLINK") for row in rows)
    assert not any(value.startswith(("=", "+", "@")) for row in rows for value in row.values())


# --- finding 7: mixed encodings ------------------------------------------------------------------
def test_mixed_utf8_and_cp1252_rows_are_decoded_row_by_row(db_session):
    lines = [
        HEADER.encode(),
        _row("E-01", "6472011705800201", "Muh. Jaénal").encode("utf-8"),
        _row("E-02", "6472011705800202", "Nur\u2019aini Café").encode("cp1252"),
        _row("E-03", "6472011705800203", "Plain").encode(),
    ]
    imported = import_registry(b"\r\n".join(lines), "mixed.csv", actor=None, dry_run=False)
    assert imported.counts["encoding"] == "utf-8+cp1252"
    assert set(_names(db_session, "E-").values()) == {"Muh. Jaénal", "Nur\u2019aini Café", "Plain"}


# --- finding 10: Excel's sep= line, title lines, multi-line cells ----------------------------------
def test_sep_line_and_title_lines_above_the_header_are_skipped(db_session):
    semicolon = HEADER.replace(",", ";")
    row = _row("T-01", "6472011705800401", "Sep Satu").replace(",", ";")
    text = f"sep=;\r\nDaftar DTKS Kelurahan Sidodadi, Januari 2026;;;\r\n\r\n{semicolon}\r\n{row}\r\n"
    imported = import_registry(text.encode("utf-8-sig"), "sep.csv", actor=None, dry_run=False)
    assert imported.counts["rows_accepted"] == 1, _reasons(imported)
    assert set(_names(db_session, "T-").values()) == {"Sep Satu"}

    workbook = Workbook()
    workbook.active.append(["Data Terpadu Kesejahteraan Sosial"])
    workbook.active.append(["Kota Samarinda, 2026"])
    workbook.active.append(HEADER.split(","))
    workbook.active.append(_row("T-02", "6472011705800402", "Judul Dua").split(","))
    workbook.active.append(_row("T-03", "6472011705800403", "Bad", relationship=9).split(","))
    buffer = io.BytesIO()
    workbook.save(buffer)
    imported = import_registry(buffer.getvalue(), "titled.xlsx", actor=None, dry_run=False)
    assert imported.counts["rows_accepted"] == 1
    assert ("relationship", "relationship.range") in _reasons(imported)[5]


def test_row_numbers_count_rows_not_lines_after_a_multi_line_cell(db_session):
    first = _row("L-01", "6472011705800501", "Multi").replace(",Jl. H,", ',"Jl. H\r\nGang 2\r\nNo. 3",')
    text = "\r\n".join([HEADER, first, _row("L-02", "6472011705800502", "Bad", relationship=0)]) + "\r\n"
    imported = import_registry(text.encode(), "multiline.csv", actor=None, dry_run=False)
    assert ("relationship", "relationship.range") in _reasons(imported)[3]


def test_utf16_excel_unicode_text_is_read(db_session):
    text = HEADER.replace(",", "\t") + "\r\n" + _row("U-01", "6472011705800601", "Dwi Ayu").replace(",", "\t")
    imported = import_registry(text.encode("utf-16"), "unicode.txt", actor=None, dry_run=False)
    assert imported.counts["encoding"] == "utf-16"
    assert set(_names(db_session, "U-").values()) == {"Dwi Ayu"}


def test_a_control_character_in_the_uploaded_file_name_is_not_stored(client, auth_headers):
    admin = make_user("admin")
    response = client.post(
        "/api/v1/imports/registry",
        data={"file": (io.BytesIO(SAMPLE), "dtks\x00\x1b.csv"), "dry_run": "true"},
        headers=auth_headers(admin),
        content_type="multipart/form-data",
    )
    assert response.status_code == 201, response.get_data(as_text=True)
    assert response.get_json()["data"]["filename"] == "dtks\\x00\\x1b.csv"
