"""Import and assignment pages (`/staff/impor…`, `/staff/penugasan…`): upload a registry file, see the dry
run's counts and rejected rows (and download them as CSV), confirm the import as a background job; create a
round and assign a kelurahan (or RT/RW) to an enumerator with the counts shown before confirming; decide the
aid lists' match proposals (one candidate confirmed, or all rejected). The import, proposal and campaign
services and jobs are the API's."""

from __future__ import annotations

import io
import uuid
from datetime import date

from flask import g, redirect, render_template, request, url_for
from marshmallow import ValidationError

from server.aid.service import list_programs
from server.boundary import check_form, printable
from server.campaigns import service as campaigns
from server.csvout import csv_response
from server.errors import NOT_FOUND, PROPOSAL_DECIDED, AppError
from server.imports import jobs as import_jobs
from server.imports import service as imports
from server.jobs.service import append_upload, enqueue, open_upload, start_upload
from server.staff import queries
from server.staff.access import staff_view
from server.staff.errors import problems_of
from server.staff.i18n import localized
from server.staff.routes import bp
from server.types import Role
from server.users.service import list_users

OFFICE = (Role.ADMIN, Role.SUPERVISOR)


def _visible(import_id: int):
    imported = imports.require_import(import_id)
    if not g.actor.is_admin and imported.actor_id != g.actor.user_id:
        raise AppError(NOT_FOUND)
    return imported


@bp.route("/impor", methods=["GET", "POST"])
@staff_view(*OFFICE)
def imports_page():
    """Upload a registry file: always a dry run first (nothing changes), then the preview."""
    problems = []
    if request.method == "POST":
        check_form()
        upload = request.files.get("file")
        data = upload.read() if upload else b""
        if not data:
            problems = [localized("Pilih berkas CSV atau XLSX / Choose a CSV or XLSX file")]
        else:
            filename = printable(upload.filename or "registri")[:255]
            try:
                imported = imports.import_registry(data, filename, actor=g.actor, dry_run=True, as_of=None)
            except (ValidationError, AppError) as error:
                problems = problems_of(error)
            else:
                # The file waits in the job store for the confirmation (the jobs' own upload area).
                stored = start_upload(g.actor)
                append_upload(g.actor, uuid.UUID(stored["id"]), 0, io.BytesIO(data), len(data))
                return redirect(url_for("staff.imports_report", import_id=imported.id, upload=stored["id"]))
    return _imports_index(problems)


def _imports_index(problems: list[str], aid_problems: list[str] | None = None, form: dict | None = None):
    """The upload forms and the imports so far, a page at a time in the order of a column header."""
    args = {key: value for key, value in request.args.items() if value and key in ("sort", "cursor")}
    recent, next_cursor, list_problems = [], None, []
    try:
        recent, next_cursor = imports.imports_page(g.actor, args.get("sort"), args.get("cursor"))
    except AppError as error:
        list_problems = problems_of(error)
    return render_template(
        "staff/imports/index.html",
        problems=problems,
        aid_problems=aid_problems or [],
        recent=recent,
        next_cursor=next_cursor,
        args=args,
        sort=args.get("sort") or "time",
        list_problems=list_problems,
        programs=list_programs(),
        form=form or {},
    ), (422 if problems or aid_problems else 200)


@bp.post("/impor/bantuan")
@staff_view(*OFFICE)
def imports_aid():
    """Upload an agency's recipient list for one programme and period: a dry run first, as for the registry
    (exact NIK / No. KK matches counted, the rest become match proposals when confirmed)."""
    check_form()
    form = {key: request.form.get(key, "").strip() for key in ("program", "period_start", "period_end")}
    upload = request.files.get("file")
    data = upload.read() if upload else b""
    try:
        period_start, period_end = date.fromisoformat(form["period_start"]), date.fromisoformat(form["period_end"])
    except ValueError:
        return _imports_index([], [localized("Isi awal dan akhir periode / Fill in the period's start and end")], form)
    if not data:
        return _imports_index([], [localized("Pilih berkas CSV atau XLSX / Choose a CSV or XLSX file")], form)
    filename = printable(upload.filename or "bantuan")[:255]
    try:
        imported = imports.import_aid(data, filename, program_code=form["program"], period_start=period_start,
                                      period_end=period_end, actor=g.actor, dry_run=True)  # fmt: skip
    except (ValidationError, AppError) as error:
        return _imports_index([], problems_of(error), form)
    stored = start_upload(g.actor)
    append_upload(g.actor, uuid.UUID(stored["id"]), 0, io.BytesIO(data), len(data))
    return redirect(url_for("staff.imports_report", import_id=imported.id, upload=stored["id"], **form))


@bp.get("/impor/<int:import_id>")
@staff_view(*OFFICE)
def imports_report(import_id: int):
    report = imports.import_report(_visible(import_id))
    # An aid list's confirmation needs its programme's period again (the dry run's row does not keep it).
    period = {key: request.args.get(key, "") for key in ("program", "period_start", "period_end")}
    return render_template("staff/imports/report.html", r=report, upload=request.args.get("upload"), period=period)


@bp.get("/impor/<int:import_id>/penolakan.csv")
@staff_view(*OFFICE)
def imports_rejections(import_id: int):
    _visible(import_id)
    return csv_response(
        ("row", "column", "registry_id", "code", "reason"),
        imports.rejection_rows(import_id),
        filename=f"impor-{import_id}-penolakan.csv",
        bom=True,
    )


@bp.post("/impor/<int:import_id>/konfirmasi")
@staff_view(*OFFICE)
def imports_confirm(import_id: int):
    """Run the import for real, as a background job, from the file the dry run checked."""

    dry = _visible(import_id)
    stream = open_upload(g.actor, uuid.UUID(request.form.get("upload", "")))
    if dry.kind.startswith("aid:"):
        try:
            period = {key: date.fromisoformat(request.form.get(key, "")).isoformat()
                      for key in ("period_start", "period_end")}  # fmt: skip
        except ValueError:
            raise AppError(NOT_FOUND) from None  # the report's form always carries them
        program = request.form.get("program", "")
        if f"aid:{program}"[:24] != dry.kind:  # the programme the dry run checked (its kind keeps 20 characters)
            raise AppError(NOT_FOUND)
        payload = {"filename": dry.filename, "program": program, "dry_run": False, **period}
        job = enqueue(import_jobs.AID, payload, actor=g.actor, upload=stream)
    else:
        job = enqueue(import_jobs.REGISTRY, {"filename": dry.filename, "dry_run": False, "as_of": None},
                      actor=g.actor, upload=stream)  # fmt: skip
    return redirect(url_for("staff.job", job_id=job.id))


PROPOSAL_STATES = ("pending", "confirmed", "rejected")
PROPOSALS_SHOWN = 200


@bp.get("/impor/usulan-bantuan")
@staff_view(*OFFICE)
def imports_proposals(*, problems=None, status=200):
    """Aid-list rows matched to nobody exactly, with their name-similar candidates: a supervisor confirms the
    right one (the receipt is created for it) or rejects them all (nothing is applied)."""
    state = request.args.get("keadaan", "pending")
    state = state if state in (*PROPOSAL_STATES, "semua") else "pending"
    try:
        import_id = int(request.args["impor"]) if request.args.get("impor") else None
    except ValueError:
        import_id = None
    items = imports.list_proposals(
        g.actor, state=None if state == "semua" else state, import_id=import_id, limit=PROPOSALS_SHOWN
    )
    programs = {program.id: program for program in list_programs()}
    proposals = [{**imports.proposal_view(item), "program": programs.get(item.program_id)} for item in items]
    codes = {p["region_code"] for p in proposals} | {c["region_code"] for p in proposals for c in p["candidates"]}
    return render_template(
        "staff/imports/proposals.html",
        proposals=proposals,
        regions=queries.region_names(codes=[code for code in codes if code]),
        state=state,
        import_id=import_id,
        shown=PROPOSALS_SHOWN,
        done=request.args.get("selesai"),
        problems=problems or [],
    ), status


def _back_to_proposals(done: str):
    keep = {key: request.form[key] for key in ("keadaan", "impor") if request.form.get(key)}
    return redirect(url_for("staff.imports_proposals", selesai=done, **keep))


@bp.post("/impor/usulan-bantuan/<int:proposal_id>/konfirmasi")
@staff_view(*OFFICE)
def imports_proposal_confirm(proposal_id: int):
    """Confirm the candidate chosen (`kandidat` = household id, and member id for a person programme)."""
    household_id, _, member_id = (request.form.get("kandidat") or "").partition("/")
    try:
        if not household_id:
            raise ValidationError({"kandidat": ["Pilih salah satu kandidat / Choose one of the candidates"]})
        imports.confirm_proposal(g.actor, proposal_id, household_id, member_id or None)
    except ValidationError as error:
        return imports_proposals(problems=problems_of(error), status=422)
    except AppError as error:
        if error.kind is not PROPOSAL_DECIDED and error.kind.status != 422:
            raise
        return imports_proposals(problems=problems_of(error), status=error.kind.status)
    return _back_to_proposals("confirmed")


@bp.post("/impor/usulan-bantuan/<int:proposal_id>/tolak")
@staff_view(*OFFICE)
def imports_proposal_reject(proposal_id: int):
    """None of the candidates is the listed recipient: nothing is applied."""
    try:
        imports.reject_proposal(g.actor, proposal_id)
    except AppError as error:
        if error.kind is not PROPOSAL_DECIDED:
            raise
        return imports_proposals(problems=problems_of(error), status=409)
    return _back_to_proposals("rejected")


def _shown_round(rounds: list):
    """The round whose progress the page shows: the one asked for (`?putaran=`), else the newest active one."""
    asked = request.args.get("putaran", "")
    for campaign in rounds:
        if str(campaign.id) == asked:
            return campaign
    return next((campaign for campaign in rounds if campaign.active), rounds[0] if rounds else None)


@bp.route("/penugasan", methods=["GET", "POST"])
@staff_view(*OFFICE)
def campaigns_page():
    """Rounds (create one) and assignment of a kelurahan or RT/RW: preview with counts, then confirm; a round's
    progress per kelurahan and per enumerator."""
    problems, preview, done, form = [], None, None, dict(request.form)
    if request.method == "POST":
        try:
            if form.get("action") == "create":
                created = {
                    "name": form.get("name", "").strip(),
                    "period_start": date.fromisoformat(form.get("period_start", "")),
                    "period_end": date.fromisoformat(form.get("period_end", "")),
                }
                campaigns.create_campaign(created, g.actor)
                return redirect(url_for("staff.campaigns_page"))
            selection = {
                "enumerator_id": int(form.get("enumerator_id") or 0),
                "kelurahan": form.get("kelurahan") or None,
                "rt": form.get("rt") or None,
                "rw": form.get("rw") or None,
            }
            campaign_id = int(form.get("campaign_id") or 0)
            if not selection["kelurahan"]:
                raise ValueError
            preview = campaigns.preview_assign(campaign_id, selection, g.actor)
            if form.get("action") == "confirm":
                if int(form.get("expected", -1)) != preview["selected"]:
                    problems = [localized("Jumlahnya berubah sejak ditampilkan: periksa lagi / The counts changed")]
                else:
                    done = campaigns.assign(campaign_id, selection, g.actor)
                    preview = None
        except (ValidationError, AppError) as error:
            problems, preview = problems_of(error), None
        except ValueError:
            problems, preview = (
                [localized("Pilih putaran, kelurahan dan petugas / Choose a round, kelurahan and enumerator")],
                None,
            )
    rounds = campaigns.list_campaigns()
    shown = _shown_round(rounds)
    return render_template(
        "staff/imports/campaigns.html",
        campaigns=rounds,
        shown=shown,
        progress=campaigns.progress(shown.id, g.actor) if shown else None,
        enumerators=[u for u in list_users(role="enumerator", active=True)],
        regions=[r for r in queries.regions_in_scope(actor=g.actor) if r["level"] == "kelurahan"],
        form=form,
        preview=preview,
        done=done,
        problems=problems,
    ), (422 if problems else 200)
