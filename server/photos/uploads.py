"""Resumable photo uploads (tus 1.0: core, creation, termination, checksum) as use cases.

Bytes go to a partial file per upload, written at the session's offset and fsynced before the offset in
the database moves, so a crash or a dropped connection resumes from a true offset. When the last byte
arrives the whole file is checked (SHA-256 against the declared one, real media type, pixel bomb) and only
then stored under its content address; a refused upload leaves neither bytes nor session behind.
A photo may complete before or after the visit that declares it; `link_completed_uploads` joins them.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from flask import current_app

from server.audit.service import record
from server.auth.access import Actor
from server.boundary import MESSAGE as CONTROL_MESSAGE
from server.boundary import bad_text, printable
from server.errors import (
    NOT_FOUND,
    PHOTO_HASH_MISMATCH,
    UPLOAD_CHECKSUM,
    UPLOAD_OFFSET,
    UPLOAD_TOO_LARGE,
    AppError,
    validation_error,
)
from server.extensions import db
from server.metrics.service import count_photo_upload
from server.photos import queries
from server.photos.models import UploadSession
from server.photos.processing import inspect
from server.photos.storage import photo_storage, upload_dir
from server.types import PhotoKind
from server.unit_of_work import outlive_rollback
from server.visits.photo_flags import photo_arrived

CHECKSUMS = {"sha1": hashlib.sha1, "sha256": hashlib.sha256}


def parse_metadata(header: str | None) -> dict[str, str]:
    """tus `Upload-Metadata`: comma-separated `key base64value` pairs."""
    metadata = {}
    for pair in filter(None, (part.strip() for part in (header or "").split(","))):
        key, _, encoded = pair.partition(" ")
        try:
            metadata[key] = base64.b64decode(encoded, validate=True).decode() if encoded else ""
        except (binascii.Error, UnicodeDecodeError) as error:
            raise validation_error({"Upload-Metadata": [f"{printable(key)}: bukan base64 / not base64"]}) from error
        if bad_text(key) or bad_text(metadata[key]):  # the request boundary's rule, for this header's values
            raise validation_error({"Upload-Metadata": [f"{printable(key)}: {CONTROL_MESSAGE}"]})
    return metadata


def create_upload(actor: Actor, length: int | None, metadata: dict[str, str]) -> UploadSession:
    if length is None or length < 1:
        raise validation_error({"Upload-Length": ["Wajib, bilangan positif / required, a positive integer"]})
    if length > current_app.config["PHOTO_MAX_BYTES"]:
        raise AppError(UPLOAD_TOO_LARGE, details={"max_bytes": current_app.config["PHOTO_MAX_BYTES"]})
    photo_id, sha256, visit_id, kind = _checked_metadata(metadata)
    declared = queries.photos_by_ids(ids=[photo_id]).get(photo_id)
    if declared is not None:
        owner = queries.visit_enumerator(visit_id=declared.visit_id)
        if owner != actor.user_id:
            raise AppError(NOT_FOUND, details={"photo_id": str(photo_id)})
        if declared.sha256 != sha256:
            raise AppError(PHOTO_HASH_MISMATCH, details={"declared_by_visit": declared.sha256, "metadata": sha256})
    session = UploadSession(
        user_id=actor.user_id, photo_id=photo_id, visit_id=visit_id, kind=kind, sha256=sha256, length=length
    )
    db.session.add(session)
    db.session.flush()
    return session


def require_session(actor: Actor, upload_id: uuid.UUID, *, lock: bool = False) -> UploadSession:
    session = queries.get_upload(upload_id=upload_id, lock=lock)
    if session is None or session.user_id != actor.user_id:
        raise AppError(NOT_FOUND)
    return session


def append(actor: Actor, upload_id: uuid.UUID, offset: int | None, body: bytes, checksum: str | None) -> UploadSession:
    """Write one chunk at `offset`; on the last byte, check and store the photo."""
    session = require_session(actor, upload_id, lock=True)
    if offset is None or offset != session.offset:
        raise AppError(UPLOAD_OFFSET, details={"expected_offset": session.offset})
    if session.completed_at is not None:
        return session
    if len(body) > current_app.config["UPLOAD_MAX_CHUNK_BYTES"] or offset + len(body) > session.length:
        raise AppError(
            UPLOAD_TOO_LARGE,
            details={
                "max_chunk_bytes": current_app.config["UPLOAD_MAX_CHUNK_BYTES"],
                "remaining": session.length - offset,
            },
        )
    _check_chunk(body, checksum)
    part = _part_path(session)
    mode = "r+b" if part.exists() else "wb"
    with part.open(mode) as out:
        # At the offset the database vouches for: bytes a crash left beyond it are overwritten.
        out.seek(offset)
        out.write(body)
        out.truncate()
        out.flush()
        os.fsync(out.fileno())
    session.offset = offset + len(body)
    if session.offset == session.length:
        _complete(session, part)
    return session


def terminate(actor: Actor, upload_id: uuid.UUID) -> None:
    session = require_session(actor, upload_id, lock=True)
    _discard(session)


def link_completed_uploads(photo_ids: list[uuid.UUID]) -> None:
    """Declared photos whose bytes already arrived (upload before visit) take the stored result."""
    for session in queries.completed_uploads(photo_ids=photo_ids):
        photo = queries.photos_by_ids(ids=[session.photo_id]).get(session.photo_id)
        if photo is not None and photo.uploaded_at is None and photo.sha256 == session.sha256:
            _fill_photo(photo, session)


def drop_unfinished_before(moment: datetime) -> int:
    """Unfinished uploads started before `moment`: their partial bytes and sessions go."""
    stale = queries.unfinished_uploads_before(moment=moment)
    for session in stale:
        _part_path(session).unlink(missing_ok=True)
        db.session.delete(session)
    db.session.flush()
    return len(stale)


def _checked_metadata(metadata: dict[str, str]) -> tuple[uuid.UUID, str, uuid.UUID | None, str | None]:
    errors = {}
    try:
        photo_id = uuid.UUID(metadata.get("photo_id", ""))
    except ValueError:
        errors["photo_id"] = ["UUID wajib / a UUID is required"]
    sha256 = metadata.get("sha256", "").lower()
    if len(sha256) != 64 or any(c not in "0123456789abcdef" for c in sha256):
        errors["sha256"] = ["64 heksadesimal wajib / 64 hex digits required"]
    visit_id = None
    if metadata.get("visit_id"):
        try:
            visit_id = uuid.UUID(metadata["visit_id"])
        except ValueError:
            errors["visit_id"] = ["Bukan UUID / not a UUID"]
    kind = metadata.get("kind") or None
    if kind is not None and kind not in {k.value for k in PhotoKind}:
        errors["kind"] = ["Jenis foto tidak dikenal / unknown photo kind"]
    if errors:
        raise validation_error({"Upload-Metadata": errors})
    return photo_id, sha256, visit_id, kind


def _check_chunk(body: bytes, header: str | None) -> None:
    if not header:
        return
    algorithm, _, encoded = header.strip().partition(" ")
    if algorithm not in CHECKSUMS:
        raise validation_error({"Upload-Checksum": [f"Algoritme didukung / supported: {', '.join(CHECKSUMS)}"]})
    try:
        expected = base64.b64decode(encoded, validate=True)
    except binascii.Error as error:
        raise validation_error({"Upload-Checksum": ["Bukan base64 / not base64"]}) from error
    if CHECKSUMS[algorithm](body).digest() != expected:
        raise AppError(UPLOAD_CHECKSUM, details={"algorithm": algorithm})


def _complete(session: UploadSession, part: Path) -> None:
    digest = hashlib.sha256()
    with part.open("rb") as data:
        while chunk := data.read(1024 * 1024):
            digest.update(chunk)
    if digest.hexdigest() != session.sha256:
        actual = digest.hexdigest()
        _discard(session)
        raise AppError(PHOTO_HASH_MISMATCH, details={"declared": session.sha256, "received": actual})
    try:
        facts = inspect(part, current_app.config["PHOTO_MAX_PIXELS"])
    except AppError:
        _discard(session)
        raise
    storage = photo_storage()
    key = f"photos/{session.sha256[:2]}/{session.sha256[2:4]}/{session.sha256}.{facts.extension}"
    thumbnail_key = f"thumbnails/{session.sha256[:2]}/{session.sha256[2:4]}/{session.sha256}.jpg"
    storage.put(key, part, facts.media_type)
    thumbnail = part.with_suffix(".thumb")
    thumbnail.write_bytes(facts.thumbnail)
    storage.put(thumbnail_key, thumbnail, "image/jpeg")
    thumbnail.unlink(missing_ok=True)
    part.unlink(missing_ok=True)
    session.completed_at = datetime.now(UTC)
    session.media_type, session.width, session.height = facts.media_type, facts.width, facts.height
    session.storage_key, session.thumbnail_key = key, thumbnail_key
    session.exif_taken_at = facts.taken_at
    if facts.lon is not None:
        session.exif_location = f"SRID=4326;POINT({facts.lon} {facts.lat})"
    db.session.flush()
    photo = queries.photos_by_ids(ids=[session.photo_id]).get(session.photo_id)
    if photo is not None and photo.uploaded_at is None:
        _fill_photo(photo, session)
        photo_arrived(photo.visit_id)
    record("photo.upload", object_type="photo", object_id=session.photo_id, changes={"bytes": session.length})
    count_photo_upload()


def _fill_photo(photo: Any, session: UploadSession) -> None:
    photo.size_bytes = session.length
    photo.media_type, photo.width, photo.height = session.media_type, session.width, session.height
    photo.storage_key, photo.thumbnail_key = session.storage_key, session.thumbnail_key
    photo.exif_taken_at, photo.exif_location = session.exif_taken_at, session.exif_location
    photo.uploaded_at = session.completed_at
    db.session.flush()


def _discard(session: UploadSession) -> None:
    """Remove the partial bytes and the session; the removal outlives the refusal's rollback."""
    _part_path(session).unlink(missing_ok=True)
    upload_id = session.id
    outlive_rollback(lambda: db.session.execute(sa.delete(UploadSession).where(UploadSession.id == upload_id)))


def _part_path(session: UploadSession) -> Path:
    return upload_dir() / f"{session.id}.part"
