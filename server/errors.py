"""The one catalogue of error codes and the handlers that turn every failure into the JSON envelope.

Envelope (DESIGN.md §4): ``{"error": {"code": "...", "message": "...", "details": {...}}}``.
Messages are Bahasa Indonesia first, English second. Database errors are translated here too, so
no route ever shows a driver message (which could echo personal data) to a client.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from flask import Flask, jsonify, request
from marshmallow import ValidationError
from sqlalchemy.exc import IntegrityError, OperationalError
from werkzeug.exceptions import HTTPException

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ErrorKind:
    code: str
    status: int
    message: str


# --- the catalogue -------------------------------------------------------------------------------
BAD_REQUEST = ErrorKind("request.bad", 400, "Permintaan tidak valid / Bad request")
MALFORMED_JSON = ErrorKind("request.malformed_json", 400, "Isi JSON tidak valid / Malformed JSON body")
UNAUTHORIZED = ErrorKind("auth.unauthorized", 401, "Perlu masuk / Authentication required")
FORBIDDEN = ErrorKind("auth.forbidden", 403, "Tidak diizinkan / Not allowed")
INVALID_CREDENTIALS = ErrorKind(
    "auth.invalid_credentials", 401, "Nama pengguna atau kata sandi salah / Wrong username or password"
)
NOT_FOUND = ErrorKind("not_found", 404, "Tidak ditemukan / Not found")
METHOD_NOT_ALLOWED = ErrorKind("request.method_not_allowed", 405, "Metode tidak diizinkan / Method not allowed")
CONFLICT = ErrorKind("conflict", 409, "Bertentangan dengan data yang ada / Conflicts with existing data")
GONE = ErrorKind("gone", 410, "Sudah tidak tersedia / No longer available")
PRECONDITION_FAILED = ErrorKind(
    "precondition_failed", 412, "Data telah diubah orang lain / The record was changed by someone else"
)
PRECONDITION_REQUIRED = ErrorKind("precondition_required", 428, "Header If-Match wajib / If-Match header required")
TOO_LARGE = ErrorKind("request.too_large", 413, "Permintaan terlalu besar / Request body too large")
URI_TOO_LONG = ErrorKind("request.uri_too_long", 414, "URL terlalu panjang / URL too long")
UNSUPPORTED_MEDIA = ErrorKind(
    "request.unsupported_media_type", 415, "Jenis konten tidak didukung / Unsupported media type"
)
VALIDATION = ErrorKind("validation.failed", 422, "Data tidak valid / Invalid data")
RATE_LIMITED = ErrorKind("request.rate_limited", 429, "Terlalu banyak percobaan / Too many requests")
SYNC_CURSOR_INVALID = ErrorKind("sync.cursor_invalid", 400, "Kursor sinkronisasi tidak valid / Invalid sync cursor")
SYNC_CURSOR_EXPIRED = ErrorKind(
    "sync.cursor_expired", 410, "Kursor kedaluwarsa: sinkronkan ulang dari awal / Cursor expired: resync from scratch"
)
UPLOAD_VERSION = ErrorKind("upload.unsupported_version", 412, "Versi tus tidak didukung / Unsupported tus version")
UPLOAD_OFFSET = ErrorKind("upload.offset_mismatch", 409, "Posisi unggahan tidak cocok / Upload-Offset mismatch")
UPLOAD_CHECKSUM = ErrorKind("upload.checksum_mismatch", 460, "Checksum potongan tidak cocok / Chunk checksum mismatch")
UPLOAD_TOO_LARGE = ErrorKind("upload.too_large", 413, "Unggahan terlalu besar / Upload too large")
PHOTO_HASH_MISMATCH = ErrorKind(
    "photo.hash_mismatch",
    422,
    "SHA-256 foto tidak sesuai yang dinyatakan / Photo SHA-256 differs from the declared one",
)
PHOTO_UNSUPPORTED = ErrorKind(
    "photo.unsupported_type", 415, "Hanya foto JPEG, PNG atau WebP / Only JPEG, PNG or WebP photos"
)
PHOTO_INVALID = ErrorKind(
    "photo.invalid_image", 422, "Berkas foto rusak atau terlalu besar / Broken or oversized image"
)
JOB_NOT_CANCELLABLE = ErrorKind(
    "job.not_cancellable", 409, "Tugas ini tidak dapat dibatalkan lagi / This job can no longer be cancelled"
)
JOBS_STALLED = ErrorKind(
    "jobs.stalled",
    503,
    "Antrean tugas latar tertahan: tidak ada pekerja yang mengambilnya / "
    "Background jobs are waiting too long: no worker is taking them",
)
JOB_CANCELLED = ErrorKind("job.cancelled", 409, "Dibatalkan oleh pengguna / Cancelled by the user")
JOB_NOT_FINISHED = ErrorKind("job.not_finished", 409, "Tugas belum selesai / The job has not finished")
JOB_RESULT_GONE = ErrorKind(
    "job.result_gone", 410, "Berkas hasil sudah dihapus (masa simpan habis) / The result file was deleted (retention)"
)
JOB_WORKER_LOST = ErrorKind(
    "job.worker_lost",
    500,
    "Pekerja latar berhenti di tengah tugas; tidak ada data yang diubah / "
    "The background worker stopped mid-job; no data was changed",
)
JOB_UPLOAD_MISSING = ErrorKind(
    "job.upload_missing",
    500,
    "Berkas unggahan tugas tidak ditemukan di penyimpanan / The job's uploaded file is missing from the store",
)
# Named conflicts: what a client (and the staff pages) can act on without reading prose.
USERNAME_TAKEN = ErrorKind("user.username_taken", 409, "Nama pengguna sudah dipakai / Username already taken")
PROGRAM_CODE_TAKEN = ErrorKind("program.code_taken", 409, "Kode program sudah dipakai / Programme code already used")
HOUSEHOLD_MERGED = ErrorKind("household.merged", 409, "Rumah tangga sudah digabung / Household was merged")
HOUSEHOLD_REGISTRY_ID_TAKEN = ErrorKind(
    "household.registry_id_taken", 409, "ID registri sudah dipakai / Registry id already used"
)
HOUSEHOLD_STALE = ErrorKind(
    "household.stale_version",
    412,
    "Data telah diubah orang lain: muat ulang / The household was changed by someone else: reload it",
)
MEMBER_NIK_TAKEN = ErrorKind("member.nik_taken", 409, "NIK sudah ada di keluarga ini / NIK already in this household")
MEMBER_SECOND_HEAD = ErrorKind(
    "member.second_head",
    409,
    "Rumah tangga sudah punya kepala keluarga yang hadir / The household already has a present head",
)
ACCESS_TOKEN_LIMIT = ErrorKind(
    "access_token.limit", 409, "Terlalu banyak token akses aktif / Too many active access tokens"
)
REVIEW_STALE = ErrorKind(
    "review.stale_version",
    412,
    "Kunjungan ini sudah diputuskan orang lain: muat ulang / Someone else decided on this visit first: reload it",
)
REVIEW_DECIDED = ErrorKind(
    "review.already_decided", 409, "Kunjungan ini sudah diputuskan / This visit has already been decided"
)
REVIEW_TARGET_REQUIRED = ErrorKind(
    "review.target_required",
    422,
    "Pilih rumah tangga tujuan (data ganda / bergabung) / Name the household it duplicates or merged into",
)
REVIEW_CLAIMED = ErrorKind(
    "review.claimed", 409, "Sedang diperiksa pemeriksa lain / Another reviewer has claimed this visit"
)
PROPOSAL_DECIDED = ErrorKind("import.proposal_decided", 409, "Usulan sudah diputuskan / Proposal already decided")
INTERNAL = ErrorKind("internal", 500, "Kesalahan server / Internal server error")
DB_UNAVAILABLE = ErrorKind("db.unavailable", 503, "Basis data tidak dapat dihubungi / Database unavailable")

_BY_STATUS = {
    kind.status: kind
    for kind in (
        BAD_REQUEST,
        UNAUTHORIZED,
        FORBIDDEN,
        NOT_FOUND,
        METHOD_NOT_ALLOWED,
        CONFLICT,
        GONE,
        PRECONDITION_FAILED,
        TOO_LARGE,
        URI_TOO_LONG,
        UNSUPPORTED_MEDIA,
        VALIDATION,
        PRECONDITION_REQUIRED,
        RATE_LIMITED,
        INTERNAL,
        DB_UNAVAILABLE,
    )
}


class AppError(Exception):
    """An expected failure with a catalogue code; raised by services, rendered by the handler."""

    def __init__(self, kind: ErrorKind, message: str | None = None, details: dict | None = None):
        super().__init__(message or kind.message)
        self.kind = kind
        self.message = message or kind.message
        self.details = details or {}


def validation_error(fields: dict[str, list[str] | str]) -> AppError:
    """A 422 naming each bad field and why."""
    normalised = {name: msgs if isinstance(msgs, list) else [msgs] for name, msgs in fields.items()}
    return AppError(VALIDATION, details={"fields": normalised})


def envelope(kind: ErrorKind, message: str | None = None, details: dict | None = None):
    body = {"error": {"code": kind.code, "message": message or kind.message, "details": details or {}}}
    return jsonify(body), kind.status


# Database rules whose breach has a name of its own (any other unique violation is a plain `conflict`).
CONSTRAINT_KINDS = {
    "uq_users_username": USERNAME_TAKEN,
    "uq_aid_programs_code": PROGRAM_CODE_TAKEN,
    "uq_households_registry_id": HOUSEHOLD_REGISTRY_ID_TAKEN,
    "ex_members_one_present_head": MEMBER_SECOND_HEAD,
}


def _translate_integrity(error: IntegrityError) -> AppError:
    """Unique violation → 409; foreign-key, not-null and check violations → 422 naming the constraint."""
    orig = getattr(error, "orig", None)
    pgcode = getattr(orig, "pgcode", None)
    diag = getattr(orig, "diag", None)
    constraint = getattr(diag, "constraint_name", None)
    details = {"constraint": constraint} if constraint else {}
    if pgcode in ("23505", "23P01"):  # unique or exclusion (e.g. a second present head)
        return AppError(CONSTRAINT_KINDS.get(constraint or "", CONFLICT), details=details)
    column = getattr(diag, "column_name", None)
    field = column or constraint or "record"
    return AppError(
        VALIDATION, details={"fields": {field: ["Melanggar aturan data / violates a data rule"]}, **details}
    )


# The same translation for failures outside a request (background jobs).
translate_integrity = _translate_integrity


# Pages outside the API render their failures as pages (the staff workspace, server/staff/errors.py):
# path prefix -> render(kind, message, details) returning a response. Same catalogue, other clothes.
PAGE_RENDERERS: dict[str, Callable] = {}


def _page_renderer() -> Callable | None:
    for prefix, render in PAGE_RENDERERS.items():
        if request.path.startswith(prefix):
            return render
    return None


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(AppError)
    def _app_error(error: AppError):
        if render := _page_renderer():
            return render(error.kind, error.message, error.details)
        return envelope(error.kind, error.message, error.details)

    @app.errorhandler(ValidationError)
    def _marshmallow_error(error: ValidationError):
        messages = error.messages if isinstance(error.messages, dict) else {"_schema": error.messages}
        if render := _page_renderer():
            return render(VALIDATION, None, {"fields": messages})
        return envelope(VALIDATION, details={"fields": messages})

    @app.errorhandler(IntegrityError)
    def _integrity_error(error: IntegrityError):
        translated = _translate_integrity(error)
        if render := _page_renderer():
            return render(translated.kind, translated.message, translated.details)
        return envelope(translated.kind, translated.message, translated.details)

    @app.errorhandler(OperationalError)
    def _operational_error(error: OperationalError):
        # Only the exception class: driver messages may carry query parameters (personal data).
        log.error("database unavailable: %s", type(error.orig).__name__ if error.orig else "OperationalError")
        if render := _page_renderer():
            return render(DB_UNAVAILABLE, None, {})
        return envelope(DB_UNAVAILABLE)

    @app.errorhandler(HTTPException)
    def _http_error(error: HTTPException):
        if render := _page_renderer():
            return render(_BY_STATUS.get(error.code or 500, BAD_REQUEST), None, {})
        if not request.path.startswith(("/api/", "/ogc/")) and request.path != "/ogc":
            return error
        kind = _BY_STATUS.get(error.code or 500, BAD_REQUEST)
        response, status = envelope(kind)
        if error.code == 405 and getattr(error, "valid_methods", None):
            response.headers["Allow"] = ", ".join(error.valid_methods)
        return response, status

    @app.errorhandler(Exception)
    def _unexpected(error: Exception):
        if isinstance(error, HTTPException):
            return _http_error(error)
        log.exception("unhandled error on %s %s", request.method, request.url_rule or "unknown route")
        if render := _page_renderer():
            return render(INTERNAL, None, {})
        return envelope(INTERNAL)
