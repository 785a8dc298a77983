"""Photo use cases: visits declaring their photos, which declared photos still lack their bytes, and who may
read a stored photo (the API's photo routes and the staff review pages).

The sync push writes its visits' photo rows (`photo_rows`) inside its own statement, then asks
`missing_after_declaring`; `declare_photos_for_visits` does both for other callers.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection

from server.auth.access import Actor, region_in_scope
from server.errors import NOT_FOUND, AppError
from server.photos import queries
from server.photos.models import Photo
from server.photos.uploads import link_completed_uploads
from server.types import Role


def declare_photos_for_visits(declared: dict[uuid.UUID, list[dict]]) -> dict[uuid.UUID, list[uuid.UUID]]:
    """Create the Photo rows each visit declares ({id, kind, sha256, captured_at?, capture_location?}) if
    absent; per visit, the ids whose bytes are still missing. Idempotent: an already declared photo keeps its
    row."""
    rows = photo_rows(declared)
    queries.add_declared_photos(rows=rows)
    link_completed_uploads([row["id"] for row in rows])
    return _in_declared_order(declared, queries.missing_photo_ids_by_visit(visit_ids=list(declared)))


def photo_rows(declared: dict[uuid.UUID, list[dict]]) -> list[dict]:
    """The Photo rows these visits declare (the sync push writes them inside its own statement:
    `queries.DECLARED_FROM_JSON`, then asks `missing_after_declaring`)."""
    return [
        {
            "id": _as_uuid(photo["id"]),
            "visit_id": visit_id,
            "kind": photo["kind"],
            "sha256": photo["sha256"].lower(),
            "captured_at": photo.get("captured_at"),
            **_capture_location(photo.get("capture_location")),
        }
        for visit_id, photos in declared.items()
        for photo in photos
    ]


def missing_after_declaring(
    declared: dict[uuid.UUID, list[dict]], inserted: dict[uuid.UUID, set[uuid.UUID]], waiting: set[uuid.UUID]
) -> dict[uuid.UUID, list[uuid.UUID]]:
    """What `declare_photos_for_visits` answers, for new visits whose photo rows were just written: `inserted`,
    the photo rows written per visit (an id declared already belongs to another visit); `waiting`, those of
    them with a finished upload (linked here, then read again). Otherwise the new rows are the missing ones."""
    if waiting:
        link_completed_uploads(sorted(waiting))
        return _in_declared_order(declared, queries.missing_photo_ids_by_visit(visit_ids=list(declared)))
    return _in_declared_order(declared, {visit_id: inserted.get(visit_id, set()) for visit_id in declared})


def _in_declared_order(
    declared: dict[uuid.UUID, list[dict]], missing: dict[uuid.UUID, Collection[uuid.UUID]]
) -> dict[uuid.UUID, list[uuid.UUID]]:
    in_declared_order = {}
    for visit_id, photos in declared.items():
        still_missing = set(missing[visit_id])
        in_declared_order[visit_id] = [
            photo_id for photo_id in (_as_uuid(photo["id"]) for photo in photos) if photo_id in still_missing
        ]
    return in_declared_order


def _as_uuid(value: uuid.UUID | str) -> uuid.UUID:
    # A loaded push item holds UUIDs already; other callers may give text.
    return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))


def _capture_location(fix: dict | None) -> dict:
    if not fix:
        return {"capture_location": None, "capture_accuracy_m": None}
    return {
        "capture_location": f"SRID=4326;POINT({float(fix['lon'])} {float(fix['lat'])})",
        "capture_accuracy_m": fix.get("accuracy_m"),
    }


def declare_photos(visit_id: uuid.UUID, photos: list[dict]) -> list[uuid.UUID]:
    """The same for one visit."""
    return declare_photos_for_visits({visit_id: photos})[visit_id]


def missing_photo_ids(visit_id: uuid.UUID) -> list[uuid.UUID]:
    """Ids of the visit's declared photos whose bytes have not arrived."""
    return missing_photo_ids_for_visits([visit_id])[visit_id]


def missing_photo_ids_for_visits(visit_ids: list[uuid.UUID]) -> dict[uuid.UUID, list[uuid.UUID]]:
    return queries.missing_photo_ids_by_visit(visit_ids=visit_ids)


def readable_photo(actor: Actor, photo_id: uuid.UUID) -> Photo:
    """The stored photo `actor` may see (staff in the household's area; the enumerator who took it), or the
    catalogue's 404 (absent, out of scope and not yet uploaded look the same). The API and the staff pages."""
    found = queries.photo_for_reading(photo_id=photo_id)
    if found is None:
        raise AppError(NOT_FOUND)
    photo, enumerator_id, region_code = found
    allowed = enumerator_id == actor.user_id if actor.role == Role.ENUMERATOR else region_in_scope(actor, region_code)
    if not allowed or photo.uploaded_at is None:
        raise AppError(NOT_FOUND)
    return photo
