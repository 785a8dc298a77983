"""The analytics pages of the staff workspace (/staff/analitik/): the period summary of the caller's area with
charts, the same per kecamatan, kelurahan and RT/RW, and the list of households behind every number, with the
API's service (same scope, suppression for viewers, audit) and the same CSV/XLSX exports, downloaded with the
workspace's session; the city-wide lists (all visits, all households) as a background job whose page shows
its progress and then the file."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, redirect, render_template, request, url_for
from flask_babel import lazy_gettext as _l
from marshmallow import ValidationError

from server.aid import service as aid_service
from server.analytics import exports, service
from server.analytics import jobs as analytics_jobs
from server.analytics.schemas import (
    DrilldownQuerySchema,
    ExportJobRequestSchema,
    ExportQuerySchema,
    SummaryExportQuerySchema,
    SummaryQuerySchema,
    VisitExportQuerySchema,
)
from server.auth.access import current_actor
from server.campaigns import service as campaigns
from server.errors import validation_error
from server.jobs.service import enqueue
from server.staff.access import staff_view
from server.types import Role

bp = Blueprint("staff_analytics", __name__, url_prefix="/staff/analitik", template_folder="templates")

STAFF = (Role.ADMIN, Role.SUPERVISOR, Role.REVIEWER, Role.VIEWER)
LISTERS = (Role.ADMIN, Role.SUPERVISOR, Role.REVIEWER)
KIND_LABELS = {
    "stacking": _l("Bantuan menumpuk"),
    "gap": _l("Layak tetapi tidak menerima bantuan apa pun"),
    "gap_program": _l("Layak tetapi tidak menerima program ini"),
    "dead": _l("Penerima meninggal"),
    "moved": _l("Penerima pindah"),
    "not_found": _l("Penerima tidak ditemukan"),
    "duplicate": _l("Penerima ganda"),
    "paid_twice": _l("Dibayar dua kali"),
    "nik_in_two_households": _l("Satu NIK di dua KK"),
    "above_desil": _l("Di atas desil program"),
    "deactivated": _l("Tidak aktif di registri tetapi masih dibayar"),
    "invalid_nik": _l("NIK tidak valid (daftar instansi)"),
    "not_in_registry": _l("Tidak ada di registri (daftar instansi)"),
    "unknown_desil": _l("Desil tidak diketahui"),
    "receiving": _l("Keluarga penerima bantuan"),
}
SIDE_LABELS = {
    "verified": _l("terverifikasi lapangan"),
    "settled": _l("ditetapkan musyawarah"),
    "records": _l("dari data"),
    "lists": _l("dari daftar instansi"),
}
GROUPS = (
    (_l("Bantuan menumpuk"), ("stacking",)),
    (_l("Kesenjangan (exclusion error)"), service.GAP_KINDS),
    (_l("Salah sasaran (inclusion error)"), service.ERROR_KINDS),
)
NEXT_LEVEL = {5: "kecamatan", 8: "kelurahan", 13: "rt_rw"}


def _load(schema, args) -> dict[str, Any]:
    values = dict(args)
    start, end = service.current_period()
    values.setdefault("period_start", start.isoformat())
    values.setdefault("period_end", end.isoformat())
    values = {key: value for key, value in values.items() if value != ""}
    try:
        return schema.load(values)
    except ValidationError as error:
        raise validation_error(error.messages) from error


def _rule_label(rule: dict[str, Any] | None) -> str:
    if rule is None:
        return ""
    joiner = " vs " if rule["kind"] == "exclusive" else " + "
    return joiner.join(rule["programs"])


@bp.get("/")
@staff_view(*STAFF)
def index():
    params = _load(SummaryQuerySchema(), request.args)
    actor = current_actor()
    region = params.get("region")
    by = NEXT_LEVEL.get(len(region or "64.72"), "kecamatan")
    data = service.summary(actor, params["period_start"], params["period_end"], region, by, params.get("program"))
    rules = {rule["id"]: rule for rule in data["rules"]}
    totals = [f for f in data["figures"] if f["program"] is None and f["kind"] != "receiving"]
    receiving = next((f for f in data["figures"] if f["kind"] == "receiving" and f["program"] is None), None)
    per_program = [f for f in data["figures"] if f["program"] is not None]
    chart = [f for f in totals if f["receipts"] and f["rupiah_month"]]
    top = max([f["rupiah_month"] or 0 for f in chart] or [0])
    areas = [{**area, "cells": service.area_cells(area["figures"])} for area in data["areas"]]
    return render_template(
        "analytics/index.html",
        data=data,
        params=params,
        region=region,
        by=by,
        groups=GROUPS,
        totals=totals,
        receiving=receiving,
        per_program=per_program,
        chart=chart,
        top=top,
        rules=rules,
        rule_label=_rule_label,
        kinds=KIND_LABELS,
        sides=SIDE_LABELS,
        columns=service.AREA_KINDS,
        areas=areas,
        programs=aid_service.list_programs(),
        can_list=actor.role in LISTERS,
        can_export=actor.role in (Role.ADMIN, Role.SUPERVISOR),
        campaigns=campaigns.list_campaigns() if actor.role in (Role.ADMIN, Role.SUPERVISOR) else [],
    )


@bp.get("/rumah-tangga")
@staff_view(*LISTERS)
def households():
    params = _load(DrilldownQuerySchema(), request.args)
    per_page, page = params["per_page"], params["page"]
    items, total = service.drilldown(
        current_actor(),
        params["period_start"],
        params["period_end"],
        params["kind"],
        region=params.get("region"),
        side=params.get("side"),
        rule_id=params.get("rule_id"),
        program=params.get("program"),
        rt=params.get("rt"),
        rw=params.get("rw"),
        limit=per_page,
        offset=(page - 1) * per_page,
    )
    query = {key: value for key, value in request.args.items() if key not in ("page",)}
    return render_template(
        "analytics/households.html",
        items=items,
        total=total,
        page=page,
        per_page=per_page,
        params=params,
        query=query,
        kinds=KIND_LABELS,
        sides=SIDE_LABELS,
    )


FORMATS = ("csv", "xlsx")


@bp.get("/ringkasan.<any(csv, xlsx):fmt>")
@staff_view(*STAFF)
def summary_file(fmt: str):
    """The summary shown (and its sub-areas) as CSV or XLSX, as GET /api/v1/analytics/summary/export."""
    return exports.summary_file(current_actor(), _load(SummaryExportQuerySchema(), {**request.args, "format": fmt}))


@bp.get("/rumah-tangga.<any(csv, xlsx):fmt>")
@staff_view(*LISTERS)
def households_file(fmt: str):
    """The whole list behind a number as CSV or XLSX (NIK and No. KK as text); audited."""
    return exports.drilldown_file(current_actor(), _load(ExportQuerySchema(), {**request.args, "format": fmt}))


@bp.get("/kunjungan.csv")
@staff_view(*LISTERS)
def visits_file():
    """All visits of the caller's area (of one campaign) as CSV, made by PostgreSQL and streamed; audited."""
    values = {key: value for key, value in request.args.items() if value != ""}
    return exports.visits_file(current_actor(), _load(VisitExportQuerySchema(), values))


@bp.post("/ekspor")
@staff_view(Role.ADMIN, Role.SUPERVISOR)
def start_export():
    """A city-wide list (all visits of a campaign, or all households with their findings of the period) as a
    background job; its page shows the progress and then the file."""
    values = {key: value for key, value in request.form.items() if key != "csrf_token" and value != ""}
    try:
        body = ExportJobRequestSchema().load(values)
    except ValidationError as error:
        raise validation_error(error.messages) from error
    payload = {key: value.isoformat() if hasattr(value, "isoformat") else value for key, value in body.items()}
    job = enqueue(analytics_jobs.EXPORT, payload, actor=current_actor())
    return redirect(url_for("staff.job", job_id=job.id))
