"""The forum's lists as one XLSX (XlsxWriter, constant memory): one sheet per section, rows grouped by RW/RT,
NIK and No. KK as text, the evidence a forum asks for, and decision / remarks columns with a drop-down (blank,
or what was decided for lists generated again after decisions); and reading the same file back once the
decision column is filled in.

The first column, `ID baris`, is the row's id: an imported file is matched by it (rows may be re-sorted or
deleted in Excel; the ID column must stay).
"""

from __future__ import annotations

from typing import IO, Any

import xlsxwriter

from server.musyawarah.models import SECTIONS, MusyawarahItem
from server.visits.flags import FLAGS

HEADER = (
    "ID baris",
    "No.",
    "RW",
    "RT",
    "ID registri",
    "No. KK",
    "NIK",
    "Nama kepala keluarga",
    "Nama anggota",
    "Alamat",
    "Temuan / perubahan",
    "Alasan",
    "Tanggal kunjungan",
    "Petugas",
    "Hasil kunjungan",
    "Jumlah foto",
    "Tanda",
    "Keputusan (setuju / tidak setuju)",
    "Keterangan",
)
ID_COLUMN, DECISION_COLUMN, REMARKS_COLUMN = 0, HEADER.index("Keputusan (setuju / tidak setuju)"), len(HEADER) - 1
TEXT_COLUMNS = {"RW", "RT", "ID registri", "No. KK", "NIK"}
SHEET_NAMES = {
    "tetap": "Tetap",
    "perbaikan": "Perbaikan data",
    "hapus": "Usulan hapus",
    "anggota": "Perubahan anggota",
    "usulan_baru": "Usulan baru",
    "inklusi": "Kesalahan inklusi",
    "tanpa_bantuan": "Layak tanpa bantuan",
}
TITLE_ROWS = 3  # title, subtitle, blank; the header follows
OUTCOMES = {
    "found": "ditemukan",
    "not_found": "tidak ditemukan",
    "moved_within": "pindah (dalam kota)",
    "moved_outside": "pindah (luar kota)",
    "deceased": "meninggal",
    "duplicate": "ganda",
    "merged": "bergabung",
    "refused": "menolak",
    "building_gone": "bangunan tidak ada",
}
NOTES = {
    "inklusi": "Dari analitik bantuan, periode kampanye: bantuan untuk keluarga/anggota meninggal, pindah, tidak "
    "ditemukan atau ganda / from the aid analytics of the campaign's period",
    "tanpa_bantuan": "Dari analitik bantuan, periode kampanye: layak (desil) dan hadir, tanpa bantuan apa pun / "
    "from the aid analytics of the campaign's period: eligible and present, no aid at all",
}


DECISION_WORDS = {"setuju": "setuju", "tidak_setuju": "tidak setuju"}


def _row(number: int, item: MusyawarahItem) -> list[Any]:
    ev = item.evidence or {}
    return [
        item.id,
        number,
        item.rw,
        item.rt,
        ev.get("registry_id"),
        ev.get("kk_number"),
        ev.get("nik"),
        ev.get("name"),
        ev.get("member_name"),
        ev.get("address"),
        ev.get("change"),
        ev.get("reason"),
        ev.get("visit_date"),
        ev.get("enumerator"),
        OUTCOMES.get(ev.get("outcome"), ev.get("outcome")),
        ev.get("photos"),
        ", ".join(FLAGS[code].label_id if code in FLAGS else code for code in ev.get("flags") or []) or None,
        DECISION_WORDS.get(item.decision),  # lists generated again (after an unlock) show what was decided
        item.remarks if item.decision else None,
    ]


def write_lists(out: IO[bytes], items: list[MusyawarahItem], context: dict[str, Any]) -> int:
    """Write every section's sheet (items already in list order: section, RW, RT, name); returns rows."""
    workbook = xlsxwriter.Workbook(
        out,
        {
            "constant_memory": True,
            "in_memory": False,
            "strings_to_numbers": False,
            "strings_to_formulas": False,
            "strings_to_urls": False,
        },
    )
    bold = workbook.add_format({"bold": True, "bg_color": "#E8EEF4", "border": 1, "text_wrap": True})
    title = workbook.add_format({"bold": True, "font_size": 13})
    group = workbook.add_format({"bold": True, "italic": True})
    blank = workbook.add_format({"border": 1, "bg_color": "#FFF9DB"})
    by_section: dict[str, list[MusyawarahItem]] = {name: [] for name in SECTIONS}
    for item in items:
        by_section.setdefault(item.section, []).append(item)
    written = 0
    try:
        for section in SECTIONS:
            sheet = workbook.add_worksheet(SHEET_NAMES[section])
            sheet.write_string(
                0,
                0,
                f"Daftar musyawarah kelurahan {context['kelurahan']} (Kec. {context['kecamatan']}) — "
                f"{SHEET_NAMES[section]} — {context['campaign']}",
                title,
            )
            sheet.write_string(
                1,
                0,
                NOTES.get(section)
                or "Kolom Keputusan: setuju / tidak setuju; tidak setuju wajib diberi keterangan (alasan). "
                "Jangan ubah kolom ID baris. / Decision: setuju / tidak setuju; give a reason when not agreeing.",
            )
            sheet.write_row(TITLE_ROWS - 1, 0, list(HEADER), bold)
            sheet.set_column(0, 1, 8)
            sheet.set_column(4, 6, 19)
            sheet.set_column(7, 10, 28)
            sheet.set_column(DECISION_COLUMN, REMARKS_COLUMN, 24)
            sheet.freeze_panes(TITLE_ROWS, 0)
            row_index = TITLE_ROWS
            current_group = None
            rows = by_section.get(section, [])
            for number, item in enumerate(rows, start=1):
                key = (item.rw, item.rt)
                if key != current_group:
                    current_group = key
                    sheet.write_string(row_index, 1, f"RW {item.rw or '-'} / RT {item.rt or '-'}", group)
                    row_index += 1
                for column, value in enumerate(_row(number, item)):
                    if value is None:
                        if column in (DECISION_COLUMN, REMARKS_COLUMN):
                            sheet.write_blank(row_index, column, None, blank)
                        continue
                    if column in (DECISION_COLUMN, REMARKS_COLUMN):
                        sheet.write_string(row_index, column, str(value), blank)
                    elif HEADER[column] in TEXT_COLUMNS or isinstance(value, str):
                        sheet.write_string(row_index, column, str(value))
                    else:
                        sheet.write_number(row_index, column, value)
                row_index += 1
                written += 1
            if rows:
                sheet.data_validation(
                    TITLE_ROWS,
                    DECISION_COLUMN,
                    row_index - 1,
                    DECISION_COLUMN,
                    {"validate": "list", "source": ["setuju", "tidak setuju"]},
                )
    finally:
        workbook.close()
    return written


def _decision(value: Any) -> str | None:
    text = " ".join(str(value or "").strip().lower().replace("_", " ").split())
    if not text:
        return None
    if text in ("setuju", "ya", "s"):
        return "setuju"
    if text in ("tidak setuju", "tidak", "ts", "tolak"):
        return "tidak_setuju"
    return "?"


def read_decisions(source: IO[bytes]) -> tuple[list[dict[str, Any]], list[str]]:
    """[{item_id, decision, remarks}] of every row whose decision column is filled, and the problems found
    (unreadable file, a sheet without the ID column, an unknown decision word)."""
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(source, read_only=True, data_only=True)
    except Exception:
        return [], ["Berkas bukan XLSX yang dapat dibaca / not a readable XLSX file"]
    entries: list[dict[str, Any]] = []
    problems: list[str] = []
    try:
        for sheet in workbook.worksheets:
            header_at = None
            columns: dict[str, int] = {}
            for number, row in enumerate(sheet.iter_rows(values_only=True), start=1):
                if header_at is None:
                    if row and row[0] == HEADER[0]:
                        header_at = number
                        columns = {str(name): index for index, name in enumerate(row) if name}
                    continue
                id_value = row[columns["ID baris"]] if len(row) > columns["ID baris"] else None
                if id_value in (None, ""):
                    continue  # an RW/RT group line
                decision_at = columns.get(HEADER[DECISION_COLUMN])
                remarks_at = columns.get(HEADER[REMARKS_COLUMN])
                decision = _decision(row[decision_at] if decision_at is not None and decision_at < len(row) else None)
                if decision is None:
                    continue
                if decision == "?":
                    problems.append(f"{sheet.title} baris/row {number}: keputusan tidak dikenal / unknown decision")
                    continue
                try:
                    item_id = int(id_value)
                except (TypeError, ValueError):
                    problems.append(f"{sheet.title} baris/row {number}: ID baris tidak valid / bad row id")
                    continue
                remarks = row[remarks_at] if remarks_at is not None and remarks_at < len(row) else None
                entries.append(
                    {"item_id": item_id, "decision": decision, "remarks": str(remarks).strip() if remarks else None}
                )
            if header_at is None:
                problems.append(f"{sheet.title}: kolom 'ID baris' tidak ada / no 'ID baris' column")
    finally:
        workbook.close()
    return entries, problems
