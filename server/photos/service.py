"""Photo use cases: visits declaring their photos, and which declared photos still lack their bytes.

`declare_photos` is called by the sync push inside its transaction; it only flushes.
"""

from __future__ import annotations

import uuid

from server.extensions import db
from server.photos import queries
from server.photos.models import Photo
from server.types import PhotoKind


def declare_photos(visit_id: uuid.UUID, photos: list[dict]) -> list[uuid.UUID]:
    """Create the Photo rows a visit declares ({id, kind, sha256}) if absent; return the ids still missing.

    Idempotent: a photo already declared keeps its row. Linking an upload that completed before its
    visit arrived needs the upload-session table, which is not built yet (see the D2 report).
    """
    ids = [uuid.UUID(str(p["id"])) for p in photos]
    existing = queries.photos_by_ids(ids=ids)
    for pid, p in zip(ids, photos, strict=True):
        if pid not in existing:
            db.session.add(Photo(id=pid, visit_id=visit_id, kind=PhotoKind(p["kind"]), sha256=str(p["sha256"]).lower()))
    db.session.flush()
    missing = set(queries.missing_photo_ids(visit_id=visit_id))
    return [pid for pid in ids if pid in missing]


def missing_photo_ids(visit_id: uuid.UUID) -> list[uuid.UUID]:
    """Ids of the visit's declared photos whose bytes have not arrived."""
    return queries.missing_photo_ids(visit_id=visit_id)
