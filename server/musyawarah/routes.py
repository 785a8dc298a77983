"""HTTP routes of the musyawarah kelurahan (`/api/v1/musyawarah…`): rounds, the package job and its files, the
rows of the lists, the forum's decisions (JSON, in bulk, or the filled-in XLSX), locking by the signed scan,
an admin's unlock, and the city rekap. Supervisors and admins in their area; reviewers read."""

from __future__ import annotations

import functools
import uuid
from collections.abc import Callable

from flask import request, send_file

from server.api import Blueprint
from server.auth.access import current_actor, require
from server.boundary import check_form
from server.errors import validation_error
from server.http import ok
from server.jobs.routes import job_response
from server.jobs.schemas import JobEnvelopeSchema
from server.musyawarah import rekap, service
from server.musyawarah.schemas import (
    MusyawarahDecideAllSchema,
    MusyawarahDecisionOutcomeEnvelopeSchema,
    MusyawarahDecisionsSchema,
    MusyawarahItemListSchema,
    MusyawarahItemQuerySchema,
    MusyawarahRekapSchema,
    MusyawarahRoundCreateSchema,
    MusyawarahRoundEnvelopeSchema,
    MusyawarahRoundListSchema,
    MusyawarahRoundQuerySchema,
    MusyawarahUnlockSchema,
)
from server.types import Role

bp = Blueprint("musyawarah", __name__, description="Musyawarah kelurahan / Kelurahan deliberation")

MANAGERS = (Role.ADMIN, Role.SUPERVISOR)
READERS = (*MANAGERS, Role.REVIEWER)
FILE_FORM = {
    "required": True,
    "content": {
        "multipart/form-data": {
            "schema": {
                "type": "object",
                "required": ["file"],
                "properties": {"file": {"type": "string", "format": "binary"}},
            }
        }
    },
}


def _file():
    check_form()
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        raise validation_error({"file": ["Unggah berkas / upload a file"]})
    return upload


@bp.get("/musyawarah")
@require(*READERS)
@bp.arguments(MusyawarahRoundQuerySchema, location="query")
@bp.response(200, MusyawarahRoundListSchema, description="Rounds in the caller's area")
@bp.doc(summary="List musyawarah rounds")
def list_rounds(params: dict):
    """Rounds per kelurahan and campaign with their stage (open, ready, held, locked)."""
    return {"data": service.list_rounds(current_actor(), **params)}


@bp.post("/musyawarah")
@require(*MANAGERS)
@bp.arguments(MusyawarahRoundCreateSchema)
@bp.response(201, MusyawarahRoundEnvelopeSchema, description="The round (created open when missing)")
@bp.alt_response(404, response="NotFound")
@bp.doc(summary="Open a kelurahan's round")
def open_round(data: dict):
    """The round of a kelurahan (in the caller's area) and campaign; asking again returns the same round."""
    return {"data": service.round_view(service.open_round(current_actor(), data["campaign_id"], data["region_code"]))}


@bp.get("/musyawarah/<int:round_id>")
@require(*READERS)
@bp.response(200, MusyawarahRoundEnvelopeSchema, description="The round with rows per section")
@bp.alt_response(404, response="NotFound")
@bp.doc(summary="Get a round")
def get_round(round_id: int):
    """One round: stage, files, and per section its rows, decided, setuju and tidak_setuju."""
    return {"data": service.get_round_view(current_actor(), round_id)}


@bp.post("/musyawarah/<int:round_id>/package")
@require(*MANAGERS)
@bp.response(202, JobEnvelopeSchema, description="Accepted - the package job (Location header = its URL)")
@bp.alt_response(404, response="NotFound")
@bp.alt_response(409, response="Conflict")
@bp.doc(summary="Generate the lists and the berita acara")
def generate_package(round_id: int):
    """Build the forum's rows from the approved findings and the change history (undecided rows are built
    again, decided ones kept) and write the lists (XLSX, one sheet per section grouped by RW/RT) and the
    pre-filled berita acara (A4 PDF) in a background job; the round becomes `ready`. 409
    `musyawarah.locked` for a locked round."""
    return job_response(service.request_package(current_actor(), round_id), 202)


def _send(round_id: int, what: str):
    path, name, media = service.package_file(current_actor(), round_id, what)
    return send_file(path, mimetype=media, as_attachment=True, download_name=name, max_age=0)


@bp.get("/musyawarah/<int:round_id>/lists.xlsx")
@require(*READERS)
@bp.response(
    200,
    content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    description="The lists (XLSX)",
)
@bp.alt_response(404, response="NotFound")
@bp.doc(summary="Download the lists")
def download_lists(round_id: int):
    """The forum's lists as generated last (NIK and No. KK as text; blank decision and remarks columns)."""
    return _send(round_id, "lists")


@bp.get("/musyawarah/<int:round_id>/berita-acara.pdf")
@require(*READERS)
@bp.response(200, content_type="application/pdf", description="The berita acara (PDF, A4)")
@bp.alt_response(404, response="NotFound")
@bp.doc(summary="Download the pre-filled berita acara")
def download_berita_acara(round_id: int):
    """The pre-filled berita acara: kelurahan, counts per action, attendance lines and signature blocks."""
    return _send(round_id, "berita_acara")


@bp.get("/musyawarah/<int:round_id>/scan")
@require(*READERS)
@bp.response(200, content_type="application/pdf", description="The signed scan (PDF, JPEG or PNG)")
@bp.alt_response(404, response="NotFound")
@bp.doc(summary="Download the signed berita acara")
def download_scan(round_id: int):
    """The signed berita acara's scan that locked the round."""
    return _send(round_id, "scan")


@bp.get("/musyawarah/<int:round_id>/items")
@require(*MANAGERS)
@bp.arguments(MusyawarahItemQuerySchema, location="query")
@bp.response(200, MusyawarahItemListSchema, description="The rows in list order (section, RW, RT, name)")
@bp.alt_response(404, response="NotFound")
@bp.doc(summary="Rows of the lists")
def list_items(params: dict, round_id: int):
    """The rows of the round's lists with their evidence and decision (audited: a read of personal data)."""
    return {"data": service.items_view(current_actor(), round_id, section=params.get("section"))}


def _decision_route(rule: str, summary: str, *, schema: type | None = None, upload: bool = False):
    """The shape every way of recording decisions shares: managers in their area, the service called with
    the caller (then the loaded body, if any, and the round), its per-row outcome answered as it is; 404
    for a round outside the area, 409 for a locked round or one without lists, 413 for a file too large."""

    def register(decide: Callable[..., dict]):
        @functools.wraps(decide)
        def view(*args, **kwargs):
            return ok(decide(current_actor(), *args, **kwargs))

        view = bp.doc(summary=summary, **({"requestBody": FILE_FORM} if upload else {}))(view)
        if upload:
            view = bp.alt_response(413, response="TooLarge")(view)
        view = bp.alt_response(409, response="Conflict")(view)
        view = bp.alt_response(404, response="NotFound")(view)
        view = bp.response(
            200,
            MusyawarahDecisionOutcomeEnvelopeSchema,
            description="Per row: decided, changed, unchanged or refused (with its code)",
        )(view)
        if schema is not None:
            view = bp.arguments(schema)(view)
        return bp.post(rule)(require(*MANAGERS)(view))

    return register


@_decision_route(
    "/musyawarah/<int:round_id>/decisions", "Record the forum's decisions", schema=MusyawarahDecisionsSchema
)
def record_decisions(actor, data: dict, round_id: int):
    """Record decisions (`setuju` / `tidak_setuju`, the latter with remarks as its reason) on rows; each is
    applied at once: accepted changes go into the registry (households' versions bump, phones pull them),
    overturned ones are marked so in the change history, corrections not agreed are reverted. A decided row
    may be decided differently while the round is not locked (also after an admin's unlock): the previous
    decision is undone first (`changed`); the same decision again is `unchanged`. When no row is left
    undecided the round is `held`. 409 `musyawarah.locked` for a locked round, `musyawarah.wrong_state`
    before the lists exist."""
    return service.record_decisions(actor, round_id, data["decisions"])


@_decision_route(
    "/musyawarah/<int:round_id>/decisions/all", "Decide every undecided row", schema=MusyawarahDecideAllSchema
)
def decide_all(actor, data: dict, round_id: int):
    """The same decision on every undecided row (of one section when given)."""
    return service.decide_all(
        actor, round_id, data["decision"], section=data.get("section"), remarks=data.get("remarks")
    )


@_decision_route("/musyawarah/<int:round_id>/decisions/import", "Import decisions from the lists' XLSX", upload=True)
def import_decisions(actor, round_id: int):
    """The lists' XLSX with the decision column filled in (setuju / tidak setuju, remarks in Keterangan):
    rows are matched by their `ID baris` and recorded as if entered on the page."""
    return service.import_decisions(actor, round_id, _file().stream)


@bp.post("/musyawarah/<int:round_id>/lock")
@require(*MANAGERS)
@bp.response(200, MusyawarahRoundEnvelopeSchema, description="The locked round")
@bp.alt_response(404, response="NotFound")
@bp.alt_response(409, response="Conflict")
@bp.alt_response(413, response="TooLarge")
@bp.doc(summary="Lock with the signed berita acara", requestBody=FILE_FORM)
def lock_round(round_id: int):
    """Upload the signed berita acara's scan (PDF, JPEG or PNG) of a held round: the round is locked, its
    decisions can no longer change, visits pushed later for the kelurahan are flagged `after_lock`, and an
    older registry import does not override it."""
    upload = _file()
    found = service.lock(
        current_actor(), round_id, filename=upload.filename, media_type=upload.mimetype, source=upload.stream
    )
    return {"data": service.versioned_view(found)}


@bp.post("/musyawarah/<int:round_id>/unlock")
@require(Role.ADMIN)
@bp.arguments(MusyawarahUnlockSchema)
@bp.response(200, MusyawarahRoundEnvelopeSchema, description="The round, held again")
@bp.alt_response(404, response="NotFound")
@bp.alt_response(409, response="Conflict")
@bp.doc(summary="Unlock a round (admin)")
def unlock_round(data: dict, round_id: int):
    """An admin reopens a locked round with a reason (audited); it is `held` again: decisions can be changed,
    and locking it again (a new signed scan; a newly generated berita acara when decisions changed, 409
    `musyawarah.berita_outdated` otherwise) records the berita acara's next version."""
    return {"data": service.versioned_view(service.unlock(current_actor(), round_id, data["reason"]))}


@bp.post("/musyawarah/rekap")
@require(*MANAGERS)
@bp.arguments(MusyawarahRekapSchema)
@bp.response(202, JobEnvelopeSchema, description="Accepted - the rekap job")
@bp.alt_response(404, response="NotFound")
@bp.doc(summary="City rekap (XLSX + PDF)")
def request_rekap(data: dict):
    """The summary of every kelurahan's round (stage, rows and decisions per action) for the Wali Kota's
    berita acara, from one frozen snapshot (kept in the job's result): the XLSX at the job's `file`, the PDF
    at `/api/v1/musyawarah/rekap/<job id>.pdf`."""
    return job_response(rekap.request_rekap(current_actor(), data["campaign_id"], data["region"]), 202)


@bp.get("/musyawarah/rekap/<uuid:job_id>.pdf")
@require(*MANAGERS)
@bp.response(200, content_type="application/pdf", description="The rekap (PDF, A4 landscape)")
@bp.alt_response(404, response="NotFound")
@bp.doc(summary="Download the city rekap PDF")
def rekap_pdf(job_id: uuid.UUID):
    """The rekap job's PDF (the user who started it)."""
    path, name, media = rekap.rekap_file(current_actor(), job_id, "pdf")
    return send_file(path, mimetype=media, as_attachment=True, download_name=name, max_age=0)
