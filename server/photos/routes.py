"""HTTP routes of photos: the tus 1.0 upload endpoint (`/api/v1/photos/uploads…`, core + creation +
termination + checksum, so tus-js-client and tuspy work unchanged) and reading stored photos."""

from __future__ import annotations

import uuid
from functools import wraps

from flask import Response, current_app, request

from server.api import Blueprint
from server.audit.service import record
from server.auth.access import current_actor, require
from server.errors import UNSUPPORTED_MEDIA, UPLOAD_VERSION, AppError
from server.openapi.schemas import ErrorEnvelopeSchema
from server.photos import uploads
from server.photos.storage import photo_storage
from server.types import Role

bp = Blueprint("photos", __name__, description="Foto / Photos")
TUS_MISMATCH = "Tus-Resumable header missing or of another version"

TUS_VERSION = "1.0.0"
UPLOADERS = (Role.ENUMERATOR,)
PHOTO_READERS = (Role.ADMIN, Role.SUPERVISOR, Role.REVIEWER, Role.ENUMERATOR)


def tus(view):
    """Inside `require`: a tus request must speak our protocol version (412 otherwise)."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        if request.headers.get("Tus-Resumable") != TUS_VERSION:
            raise AppError(UPLOAD_VERSION, details={"Tus-Version": TUS_VERSION})
        return view(*args, **kwargs)

    # The document declares the header as required on these operations (server.openapi.spec).
    wrapper.tus_version = TUS_VERSION  # type: ignore[attr-defined]
    return wrapper


@bp.after_request
def _tus_headers(response: Response) -> Response:
    if request.path.startswith("/api/v1/photos/uploads"):
        response.headers["Tus-Resumable"] = TUS_VERSION
        if response.status_code == 412:
            response.headers["Tus-Version"] = TUS_VERSION
    return response


def _int_header(name: str) -> int | None:
    value = request.headers.get(name)
    return int(value) if value is not None and value.isdigit() else None


@bp.route("/photos/uploads", methods=["OPTIONS"])
@bp.response(204, description="Tus-Version, Tus-Extension, Tus-Max-Size, Tus-Checksum-Algorithm headers")
@bp.doc(summary="tus capabilities", security=[])
def upload_options():
    """What this tus server supports (public, as tus clients probe it without credentials)."""
    response = Response(status=204)
    response.headers.update(
        {
            "Tus-Version": TUS_VERSION,
            "Tus-Extension": "creation,termination,checksum",
            "Tus-Max-Size": str(current_app.config["PHOTO_MAX_BYTES"]),
            "Tus-Checksum-Algorithm": ",".join(uploads.CHECKSUMS),
        }
    )
    return response


@bp.post("/photos/uploads")
@require(*UPLOADERS)
@tus
@bp.response(201, description="Created; `Location` is the upload's URL")
@bp.alt_response(412, schema=ErrorEnvelopeSchema, description=TUS_MISMATCH)
@bp.alt_response(413, response="TooLarge")
@bp.doc(
    summary="Create an upload",
    parameters=[
        {
            "in": "header",
            "name": "Upload-Length",
            "required": True,
            "schema": {"type": "string", "pattern": "^[1-9][0-9]{0,11}$"},
            "description": "The photo's size in bytes",
        },
        {
            "in": "header",
            "name": "Upload-Metadata",
            "required": True,
            "schema": {
                "type": "string",
                "pattern": "^[A-Za-z0-9_-]+( [A-Za-z0-9+/=]*)?(,[A-Za-z0-9_-]+( [A-Za-z0-9+/=]*)?)*$",
            },
            "description": "key base64(value) pairs, comma-separated: photo_id and sha256 required",
        },
    ],
)
def create_upload():
    """Start a resumable upload (tus creation).

    Headers `Upload-Length` and `Upload-Metadata` with base64 values of `photo_id`, `sha256` (the photo's
    SHA-256 as declared by its visit), and optionally `visit_id`, `kind`, `filetype`, `filename`. Answers 201
    with `Location`. `Tus-Resumable: 1.0.0` on every request.
    """
    metadata = uploads.parse_metadata(request.headers.get("Upload-Metadata"))
    session = uploads.create_upload(current_actor(), _int_header("Upload-Length"), metadata)
    response = Response(status=201)
    response.headers["Location"] = f"/api/v1/photos/uploads/{session.id}"
    response.headers["Upload-Offset"] = "0"
    return response


@bp.route("/photos/uploads/<uuid:upload_id>", methods=["HEAD"])
@require(*UPLOADERS)
@tus
@bp.response(200, description="Upload-Offset and Upload-Length headers")
@bp.alt_response(404, response="NotFound")
@bp.alt_response(412, schema=ErrorEnvelopeSchema, description=TUS_MISMATCH)
@bp.doc(summary="Upload offset")
def upload_status(upload_id: uuid.UUID):
    """How many bytes of the upload the server holds (tus core)."""
    session = uploads.require_session(current_actor(), upload_id)
    response = Response(status=200)
    response.headers.update(
        {"Upload-Offset": str(session.offset), "Upload-Length": str(session.length), "Cache-Control": "no-store"}
    )
    return response


@bp.patch("/photos/uploads/<uuid:upload_id>")
@require(*UPLOADERS)
@tus
@bp.response(204, description="Stored; `Upload-Offset` is the new offset")
@bp.alt_response(404, response="NotFound")
@bp.alt_response(409, response="Conflict")
@bp.alt_response(412, schema=ErrorEnvelopeSchema, description=TUS_MISMATCH)
@bp.alt_response(413, response="TooLarge")
@bp.alt_response(415, response="UnsupportedMediaType")
@bp.alt_response(
    460,
    schema=ErrorEnvelopeSchema,
    description="Upload-Checksum does not match the chunk (tus checksum extension); nothing was written",
)
@bp.doc(
    summary="Upload a chunk",
    requestBody={
        "required": True,
        "content": {"application/offset+octet-stream": {"schema": {"type": "string", "format": "binary"}}},
    },
)
def upload_chunk(upload_id: uuid.UUID):
    """Append bytes at `Upload-Offset` (tus core; `Upload-Checksum` sha1/sha256 per chunk).

    409 when `Upload-Offset` is not the server's offset, 460 when the chunk checksum differs. With the last
    byte the photo is checked (SHA-256, JPEG/PNG/WebP by content, pixel limit) and stored; a refused photo
    leaves nothing behind.
    """
    if request.mimetype != "application/offset+octet-stream":
        raise AppError(UNSUPPORTED_MEDIA, details={"expected": "application/offset+octet-stream"})
    session = uploads.append(
        current_actor(),
        upload_id,
        _int_header("Upload-Offset"),
        request.get_data(cache=False),
        request.headers.get("Upload-Checksum"),
    )
    response = Response(status=204)
    response.headers["Upload-Offset"] = str(session.offset)
    return response


@bp.delete("/photos/uploads/<uuid:upload_id>")
@require(*UPLOADERS)
@tus
@bp.response(204, description="Removed")
@bp.alt_response(404, response="NotFound")
@bp.alt_response(412, schema=ErrorEnvelopeSchema, description=TUS_MISMATCH)
@bp.doc(summary="Terminate an upload")
def terminate_upload(upload_id: uuid.UUID):
    """Abandon an upload: its bytes and session are removed (tus termination)."""
    uploads.terminate(current_actor(), upload_id)
    return Response(status=204)


def _readable_photo(photo_id: uuid.UUID):
    from server.photos.service import readable_photo

    return readable_photo(current_actor(), photo_id)


@bp.get("/photos/<uuid:photo_id>")
@require(*PHOTO_READERS)
@bp.response(200, content_type="image/jpeg", description="The image as uploaded (JPEG, PNG or WebP)")
@bp.alt_response(404, response="NotFound")
@bp.doc(summary="Get a photo")
def get_photo(photo_id: uuid.UUID):
    """The photo's original bytes (staff in the household's area; the enumerator who took it)."""
    photo = _readable_photo(photo_id)
    record("photo.read", object_type="photo", object_id=photo_id)
    return Response(
        photo_storage().read(photo.storage_key),
        mimetype=photo.media_type,
        headers={"Cache-Control": "private, no-store"},
    )


@bp.get("/photos/<uuid:photo_id>/thumbnail")
@require(*PHOTO_READERS)
@bp.response(200, content_type="image/jpeg", description="JPEG thumbnail")
@bp.alt_response(404, response="NotFound")
@bp.doc(summary="Get a photo's thumbnail")
def get_thumbnail(photo_id: uuid.UUID):
    """A 320 px JPEG of the photo, upright."""
    photo = _readable_photo(photo_id)
    record("photo.read", object_type="photo", object_id=photo_id, changes={"thumbnail": True})
    return Response(
        photo_storage().read(photo.thumbnail_key), mimetype="image/jpeg", headers={"Cache-Control": "private, no-store"}
    )
