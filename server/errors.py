"""The one catalogue of codes a client can act on, and the handlers that turn every failure into the envelope.

Three kinds of code live here: a request's failure (`ErrorKind`, answered in the envelope), a pushed visit's
status (`PushStatus`, one per item of a sync push) and an import row's problem (`RowProblem`, in the import
report and its rejections CSV). The quality flags of a visit are data with weights and thresholds and live
in their own catalogue (`server.visits.flags`); `python -m server.errors` writes all of them to
docs/codes.md, which a test keeps in step.

Envelope (DESIGN.md §4): ``{"error": {"code": "...", "message": "...", "details": {...}}}``.
Messages are Bahasa Indonesia first, English second. Database errors are translated here too, so
no route ever shows a driver message (which could echo personal data) to a client.
"""

from __future__ import annotations

import enum
import logging
from collections.abc import Callable
from dataclasses import dataclass

from flask import Flask, jsonify, request
from marshmallow import ValidationError
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
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
MUSYAWARAH_LOCKED = ErrorKind(
    "musyawarah.locked",
    409,
    "Musyawarah kelurahan ini sudah dikunci (berita acara ditandatangani) / "
    "This kelurahan's musyawarah is locked (berita acara signed)",
)
MUSYAWARAH_STATE = ErrorKind(
    "musyawarah.wrong_state",
    409,
    "Tahap musyawarah tidak mengizinkan langkah ini / The musyawarah's stage does not allow this step",
)
MUSYAWARAH_BERITA_OUTDATED = ErrorKind(
    "musyawarah.berita_outdated",
    409,
    "Keputusan berubah sesudah pembukaan kunci: buat daftar dan berita acara lagi sebelum mengunci"
    " / Decisions changed after the unlock: generate the lists and berita acara again before locking",
)
PROPOSAL_DECIDED = ErrorKind("import.proposal_decided", 409, "Usulan sudah diputuskan / Proposal already decided")
INTERNAL = ErrorKind("internal", 500, "Kesalahan server / Internal server error")
DB_UNAVAILABLE = ErrorKind("db.unavailable", 503, "Basis data tidak dapat dihubungi / Database unavailable")
SERVER_BUSY = ErrorKind(
    "server.busy", 503, "Server sedang sibuk, coba lagi sebentar lagi / The server is busy, try again shortly"
)
# Seconds a client waits before retrying when every database connection of a worker was busy.
BUSY_RETRY_AFTER = 5

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


# --- a pushed visit's status (one per item of POST /api/v1/sync/push; docs/sync-protocol.md) -------------
class PushStatus(enum.StrEnum):
    CREATED = "created"  # stored
    DUPLICATE = "duplicate"  # same id and content as a stored visit: its result again
    CONFLICT = "conflict"  # same id, other content: not stored
    INVALID = "invalid"  # field errors: not stored (the rest of the batch is)
    ACCEPTED_WITH_CONFLICT = "accepted_with_conflict"  # stored and flagged (older version or a second visit)


# --- an import row's problem (import report, rejections CSV) ----------------------------------------------
@dataclass(frozen=True)
class RowProblem:
    """Why an import row was rejected (or, codes `warning.*`, applied but worth a look): a stable code and a
    bilingual message template. `{number}` in a code stands for `nik` or `kk` (the same rule for both)."""

    code: str
    template: str

    def reason(self, **params) -> str:
        return self.template.format(**params)

    def code_for(self, number: str) -> str:
        return self.code.format(number=number)


CONTROL_CHARACTER_MESSAGE = "Berisi karakter kendali (mis. NUL) / contains a control character (e.g. NUL)"

ROW_CONTROL_CHARACTER = RowProblem("text.control_character", CONTROL_CHARACTER_MESSAGE)
ROW_REQUIRED = RowProblem("required", "Kolom {column} wajib diisi / {column} is required")
ROW_TOO_LONG = RowProblem("too_long", "Terlalu panjang (maks. {limit}) / longer than {limit} characters")
ROW_EXTRA_CELLS = RowProblem("row.extra_cells", "Lebih banyak sel dari kolom judul / more cells than header columns")
ROW_KELURAHAN_UNKNOWN = RowProblem(
    "kelurahan.unknown", "Kode kelurahan {region} tidak dikenal / unknown kelurahan code {region}"
)
ROW_KELURAHAN_OUT_OF_SCOPE = RowProblem("kelurahan.out_of_scope", "Di luar wilayah Anda / outside your area")
ROW_DECILE_FORMAT = RowProblem("decile.format", "Desil harus 1-10 / decile must be 1-10")
ROW_DECILE_RANGE = RowProblem("decile.range", "Desil harus 1-10 / decile must be 1-10")
ROW_RELATIONSHIP_FORMAT = RowProblem("relationship.format", "Hubungan harus 1-8 / relationship must be 1-8")
ROW_RELATIONSHIP_RANGE = RowProblem("relationship.range", "Hubungan harus 1-8 / relationship must be 1-8")
ROW_RT_FORMAT = RowProblem("rt.format", "RT harus angka (maks. 3 digit) / RT must be a number of up to 3 digits")
ROW_RW_FORMAT = RowProblem("rw.format", "RW harus angka (maks. 3 digit) / RW must be a number of up to 3 digits")
ROW_COORDINATES_FORMAT = RowProblem("coordinates.format", "{label_id} tidak valid / invalid {label_en}")
ROW_COORDINATES_PARTIAL = RowProblem(
    "coordinates.partial", "Lintang dan bujur harus berpasangan / latitude and longitude go together"
)
ROW_COORDINATES_OUTSIDE = RowProblem(
    "coordinates.outside_indonesia", "Koordinat di luar Indonesia / coordinates outside Indonesia"
)
ROW_BIRTH_DATE_FORMAT = RowProblem(
    "birth_date.format", "Tanggal lahir tidak valid (YYYY-MM-DD atau DD-MM-YYYY) / invalid birth date"
)
ROW_BIRTH_DATE_RANGE = RowProblem(
    "birth_date.range",
    "Tanggal lahir harus antara 1900-01-01 dan hari ini / birth date must be between 1900-01-01 and today",
)
ROW_SEX_FORMAT = RowProblem("sex.format", "Jenis kelamin harus 1/L atau 2/P / sex must be 1/L or 2/P")
ROW_AMOUNT_FORMAT = RowProblem("amount.format", "Nominal tidak valid / invalid amount")
# NIK and No. KK (server.households.identity): the API's validation messages say the same.
NUMBER_FORMAT = RowProblem("{number}.format", "{label} harus 16 angka / {label} must be 16 digits")
NUMBER_SCIENTIFIC = RowProblem(
    "{number}.scientific",
    "{label} tertulis sebagai notasi ilmiah ({text}); angka hilang, format kolom sebagai Teks / "
    "{label} is in scientific notation ({text}); digits were lost, format the column as Text",
)
NUMBER_EXCEL_ROUNDED = RowProblem(
    "{number}.excel_rounded",
    "{label} tersimpan sebagai angka Excel ({shown}), digit terakhir mungkin hilang; format kolom sebagai Teks / "
    "{label} was stored as an Excel number ({shown}) and its last digits may be lost; format the column as Text",
)
NUMBER_PROVINCE = RowProblem(
    "{number}.province",
    "Kode provinsi {province} pada {label} tidak dikenal / unknown province code {province} in {label}",
)
NUMBER_REGENCY = RowProblem(
    "{number}.regency",
    "Kode kabupaten/kota {regency} pada {label} tidak dikenal / unknown regency code {regency} in {label}",
)
NIK_BIRTH_DATE = RowProblem(
    "nik.birth_date",
    "Tanggal lahir pada NIK ({digits}) tidak valid (perempuan: tanggal + 40) / "
    "invalid birth date in NIK ({digits}; women: day + 40)",
)
NIK_SERIAL = RowProblem("nik.serial", "Nomor urut NIK tidak boleh 0000 / NIK serial must not be 0000")
KK_ISSUE_DATE = RowProblem(
    "kk.issue_date", "Tanggal terbit pada No. KK ({digits}) tidak valid / invalid issue date in No. KK ({digits})"
)
KK_SERIAL = RowProblem("kk.serial", "Nomor urut No. KK tidak boleh 0000 / No. KK serial must not be 0000")
# Across the rows of one household, and against the database.
ROW_HOUSEHOLD_INCONSISTENT = RowProblem(
    "household.inconsistent",
    "Berbeda dengan baris {first} dari rumah tangga yang sama / differs from row {first} of the same household",
)
ROW_HEAD_COUNT = RowProblem(
    "household.head_count",
    "Harus tepat satu kepala keluarga (hubungan 1), ada {heads} / "
    "exactly one head of family (relationship 1) expected, found {heads}",
)
ROW_NIK_TWICE_IN_HOUSEHOLD = RowProblem(
    "nik.duplicate_in_household", "NIK sama dengan baris {first} / same NIK as row {first}"
)
ROW_HOUSEHOLD_REJECTED = RowProblem(
    "household.rejected",
    "Rumah tangga ditolak karena baris {rows} / household rejected because of row(s) {rows}",
)
ROW_HOUSEHOLD_REJECTED_BY_DATABASE = RowProblem(
    "household.rejected", "Rumah tangga ditolak karena baris lain / household rejected because of another row"
)
ROW_NIK_IN_OTHER_HOUSEHOLD = RowProblem(
    "nik.in_other_household",
    "NIK sudah terdaftar di rumah tangga lain ({registry_id}) / NIK is already listed in another household "
    "({registry_id})",
)
ROW_NIK_ELSEWHERE = RowProblem(
    "nik.in_other_household", "NIK sudah terdaftar di tempat lain / NIK is already registered elsewhere"
)
ROW_HOUSEHOLD_MERGED = RowProblem(
    "household.merged", "Rumah tangga sudah digabung ke rumah tangga lain / household was merged into another"
)
ROW_HOUSEHOLD_OUT_OF_SCOPE = RowProblem(
    "household.out_of_scope", "Rumah tangga tersimpan di luar wilayah Anda / household is stored outside your area"
)
ROW_AID_NO_MATCH = RowProblem(
    "aid.no_match",
    "Tidak cocok dengan data mana pun, tidak ada kandidat nama / matches no household or member and no similar name",
)
# Applied, but worth a look.
WARNING_NIK_BIRTH_DATE = RowProblem(
    "warning.nik_birth_date",
    "Peringatan: tanggal lahir berbeda dengan NIK ({encoded}) / "
    "warning: birth date differs from the one in the NIK ({encoded})",
)
WARNING_NIK_SEX = RowProblem(
    "warning.nik_sex",
    "Peringatan: jenis kelamin berbeda dengan NIK (perempuan: tanggal + 40) / "
    "warning: sex differs from the NIK (women: day + 40)",
)
WARNING_MEMBERS_REMOVED = RowProblem(
    "warning.members_removed",
    "{members} anggota tidak tercantum lagi di berkas{head_id}: ditandai removed / "
    "{members} member(s) no longer listed by the file{head_en}: marked removed",
)
WARNING_NIK_DUPLICATE = RowProblem(
    "warning.nik_duplicate",
    "NIK juga tercantum di rumah tangga lain{where_id}: diimpor, rumah tangga ditandai nik_duplicate / "
    "NIK also listed in another household{where_en}: imported, households flagged nik_duplicate",
)
WARNING_SETTLED_CHANGE_NEWER = RowProblem(
    "warning.settled_change_newer",
    "Nilai di berkas ({as_of}) lebih lama dari perubahan yang sudah ditetapkan: nilai sekarang dipertahankan, "
    "mohon diputuskan / the file ({as_of}) is older than a settled change: the current value was kept, "
    "please decide",
)

WARNING_LOCKED_ROUND_NEWER = RowProblem(
    "warning.locked_round_newer",
    "Berkas ({as_of}) lebih lama dari musyawarah kelurahan yang sudah dikunci: nilai sekarang dipertahankan / "
    "the file ({as_of}) is older than the kelurahan's locked musyawarah: the current value was kept",
)


def row_problems() -> list[RowProblem]:
    """Every import row problem of the catalogue, by code."""
    found = {(item.code, item.template): item for item in globals().values() if isinstance(item, RowProblem)}
    return sorted(found.values(), key=lambda item: item.code)


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

    @app.errorhandler(PoolTimeout)
    def _pool_timeout(error: PoolTimeout):
        # Every connection of this worker's pool stayed busy for DB_POOL_TIMEOUT: overload, not a fault. A
        # phone retries after Retry-After (nothing was written: the request never reached the database).
        log.warning("database pool exhausted")
        render = _page_renderer()
        response = app.make_response(render(SERVER_BUSY, None, {}) if render else envelope(SERVER_BUSY))
        response.headers["Retry-After"] = str(BUSY_RETRY_AFTER)
        return response

    @app.errorhandler(HTTPException)
    def _http_error(error: HTTPException):
        # Flask hands an exception raised after the view (an after_request hook: the rate limiter's counters and
        # headers) to its 500 handling as InternalServerError(original_exception=…); overload stays overload.
        overload = getattr(error, "original_exception", None)
        if isinstance(overload, PoolTimeout):
            return _pool_timeout(overload)
        if isinstance(overload, OperationalError):
            return _operational_error(overload)
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


def codes_markdown() -> str:
    """docs/codes.md: every code a client can meet, from the catalogues themselves (`python -m server.errors`)."""
    from server.review.catalog import REASONS
    from server.types import HouseholdFlag
    from server.visits.flags import FLAGS

    def table(header: tuple[str, ...], rows: list[tuple]) -> list[str]:
        lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
        return lines + ["| " + " | ".join(str(cell).replace("|", "\\|") for cell in row) + " |" for row in rows]

    kinds = sorted(
        {item.code: item for item in globals().values() if isinstance(item, ErrorKind)}.values(),
        key=lambda kind: (kind.status, kind.code),
    )
    lines = [
        "# Codes",
        "",
        "Generated from the catalogues by `python -m server.errors > docs/codes.md`; a test keeps it in step.",
        "",
        "## Request errors (`error.code` in the envelope; `server/errors.py`)",
        "",
        *table(("code", "HTTP", "message"), [(f"`{k.code}`", k.status, k.message) for k in kinds]),
        "",
        "## Push item statuses (`results[].status` of `POST /api/v1/sync/push`; `server/errors.py`)",
        "",
        *table(("status",), [(f"`{status.value}`",) for status in PushStatus]),
        "",
        "## Import row problems (import report and rejections CSV; `server/errors.py`)",
        "",
        "`{number}` stands for `nik` or `kk`; codes starting `warning.` were applied but are worth a look.",
        "",
        *table(("code", "message"), [(f"`{p.code}`", p.template) for p in row_problems()]),
        "",
        "## Visit quality flags (`visits.flags`; weights and thresholds in `server/visits/flags.py`)",
        "",
        *table(
            ("flag", "label", "weight", "threshold"),
            [
                (f"`{f.code}`", f"{f.label_id} / {f.label_en}", f.weight, f"{f.threshold:g} {f.unit}" if f.unit else "")
                for f in FLAGS.values()
            ],
        ),
        "",
        "## Household flags (`households.flags`; `server/types.py`)",
        "",
        *table(("flag",), [(f"`{flag.value}`",) for flag in HouseholdFlag]),
        "",
        "## Review reasons (`reason_code` of a decision; `server/review/catalog.py`)",
        "",
        *table(
            ("reason", "for", "label"),
            [(f"`{r['code']}`", r["decisions"], f"{r['label_id']} / {r['label_en']}") for r in REASONS],
        ),
        "",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    print(codes_markdown(), end="")
