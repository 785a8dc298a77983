"""The city's rekap of the musyawarah kelurahan (for the Wali Kota's "Berita Acara Daftar KPM Perubahan"):
every kelurahan of the city (or a kecamatan) with its round's state and rows per action and decision, read
once in one statement into a frozen snapshot (kept as the job's result, with the time it was taken), then
written from that snapshot as XLSX and as an A4 PDF, so both files show the same figures."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import xlsxwriter

from server.audit.service import record
from server.auth.access import Actor, region_in_scope
from server.campaigns.models import Campaign
from server.errors import NOT_FOUND, AppError, validation_error
from server.extensions import db
from server.jobs.storage import XLSX_MEDIA_TYPE
from server.musyawarah import queries
from server.musyawarah.models import SECTIONS

REKAP = "musyawarah.rekap"


def request_rekap(actor: Actor, campaign_id: int, region: str) -> Any:
    from server.jobs import service as jobs

    if db.session.get(Campaign, campaign_id) is None:
        raise validation_error({"campaign_id": ["Kampanye tidak ada / no such campaign"]})
    if not region_in_scope(actor, region):
        raise AppError(NOT_FOUND)
    return jobs.enqueue(REKAP, {"campaign_id": campaign_id, "region": region}, actor=actor)


def snapshot(campaign_id: int, region: str) -> dict[str, Any]:
    rows = []
    totals = {section: {"rows": 0, "setuju": 0, "tidak_setuju": 0} for section in SECTIONS}
    states = {"none": 0, "open": 0, "ready": 0, "held": 0, "locked": 0}
    for row in queries.rekap_rows(campaign_id=campaign_id, region=region):
        sections = {s: row.sections.get(s, {"rows": 0, "setuju": 0, "tidak_setuju": 0}) for s in SECTIONS}
        for section, figures in sections.items():
            for key in totals[section]:
                totals[section][key] += int(figures.get(key, 0))
        states[row.state or "none"] += 1
        rows.append(
            {
                "region_code": row.region_code,
                "kelurahan": row.kelurahan,
                "kecamatan": row.kecamatan,
                "state": row.state or "none",
                "locked_at": row.locked_at.isoformat() if row.locked_at else None,
                "signed_versions": int(row.signed_versions or 0),  # 2 and more: signed again after an unlock
                "sections": sections,
            }
        )
    return {"rows": rows, "totals": totals, "states": states, "taken_at": datetime.now(UTC).isoformat()}


def _write_xlsx(out, frozen: dict[str, Any], title: str) -> None:
    workbook = xlsxwriter.Workbook(out, {"constant_memory": True, "strings_to_numbers": False})
    bold = workbook.add_format({"bold": True, "bg_color": "#E8EEF4", "border": 1, "text_wrap": True})
    sheet = workbook.add_worksheet("Rekap")
    sheet.write_string(0, 0, title, workbook.add_format({"bold": True, "font_size": 13}))
    sheet.write_string(1, 0, f"Snapshot {frozen['taken_at']}")
    header = ["Kode wilayah", "Kecamatan", "Kelurahan", "Tahap"]
    for section in SECTIONS:
        header += [f"{section} (baris)", f"{section} setuju", f"{section} tidak setuju"]
    header.append("Versi berita acara bertanda tangan")
    sheet.write_row(3, 0, header, bold)
    index = 4
    for row in frozen["rows"]:
        sheet.write_string(index, 0, row["region_code"])
        sheet.write_string(index, 1, row["kecamatan"] or "")
        sheet.write_string(index, 2, row["kelurahan"] or "")
        sheet.write_string(index, 3, row["state"])
        column = 4
        for section in SECTIONS:
            figures = row["sections"][section]
            for key in ("rows", "setuju", "tidak_setuju"):
                sheet.write_number(index, column, int(figures.get(key, 0)))
                column += 1
        if row.get("signed_versions"):
            sheet.write_number(index, column, row["signed_versions"])
        index += 1
    sheet.write_string(index, 2, "Jumlah / Total", bold)
    column = 4
    for section in SECTIONS:
        for key in ("rows", "setuju", "tidak_setuju"):
            sheet.write_number(index, column, frozen["totals"][section][key], bold)
            column += 1
    workbook.close()


def generate_rekap(
    actor: Actor | None, campaign_id: int, region: str, job_id: uuid.UUID, progress=None
) -> dict[str, Any]:
    from server.jobs.storage import job_store
    from server.musyawarah import berita

    if progress:
        progress("snapshot")
    frozen = snapshot(campaign_id, region)
    campaign = db.session.get(Campaign, campaign_id)
    _level, name, _parent = queries.region_names(code=region)
    title = f"Rekap musyawarah kelurahan — {name or region} — {campaign.name if campaign else campaign_id}"
    if progress:
        progress("writing")
    store = job_store()
    xlsx_name, pdf_name = f"rekap-musyawarah-{region}.xlsx", f"rekap-musyawarah-{region}.pdf"
    with store.write_result(job_id, xlsx_name, text=False) as out:
        _write_xlsx(out, frozen, title)
    with store.write_result(job_id, pdf_name, text=False) as out:
        out.write(berita.rekap_pdf({"title": title, "region_name": name or region, "frozen": frozen}))
    record(
        "musyawarah.rekap",
        object_type="musyawarah",
        object_id=region,
        changes={"campaign_id": campaign_id, "kelurahan": len(frozen["rows"]), "states": frozen["states"]},
        actor_username=None if actor else "system",
    )
    return {
        "campaign_id": campaign_id,
        "region": region,
        "snapshot": frozen,
        # `file` is what GET /api/v1/jobs/<id>/file serves; the PDF is served by the musyawarah API.
        "file": {"key": store.result_key(job_id, xlsx_name), "name": xlsx_name, "media_type": XLSX_MEDIA_TYPE},
        "pdf": {"key": store.result_key(job_id, pdf_name), "name": pdf_name, "media_type": "application/pdf"},
    }


def rekap_file(actor: Actor, job_id: uuid.UUID, fmt: str) -> tuple[str, str, str]:
    """(path, name, media type) of a finished rekap job's XLSX or PDF: its owner only, audited."""
    from server.jobs import queries as job_queries
    from server.jobs.storage import job_store

    job = job_queries.get_job(job_id=job_id)
    if job is None or job.kind != REKAP or job.created_by_id != actor.user_id or job.state != "done":
        raise AppError(NOT_FOUND)
    file = (job.result or {}).get("file" if fmt == "xlsx" else "pdf")
    store = job_store()
    if not file or not store.exists(file["key"]):
        raise AppError(NOT_FOUND)
    record("musyawarah.rekap_download", object_type="job", object_id=job.id, changes={"format": fmt})
    return str(store.path(file["key"])), file["name"], file["media_type"]
