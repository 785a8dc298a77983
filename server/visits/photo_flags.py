"""Photo flags after the bytes arrive: `photos_missing` cleared once every declared photo is here, and
`photo_mismatch` raised when a received photo was taken on another day than the visit or far from its fix.

Called by the photo upload when a photo's bytes are stored (and by the push when bytes came first). The
capture time and place are the app's own record, else EXIF (EXIF times without a zone are read as WITA
when the photo is inspected); missing data is unknown and never a mismatch. The priority score follows.
"""

from __future__ import annotations

import uuid

from server.visits import flags as catalogue
from server.visits import queries
from server.visits.policy import apply_review_policy

PHOTO_FLAGS = ("photos_missing", "photo_mismatch")


def refresh_photo_flags(visit_ids: list[uuid.UUID]) -> dict[uuid.UUID, tuple[list[str], int]]:
    """Recompute the photo flags of these visits; returns every visit's (flags, priority) and stores changes."""
    visits = queries.visits_for_photo_flags(ids=visit_ids)
    photos: dict[uuid.UUID, list] = {}
    for photo in queries.photo_facts(visit_ids=[visit.id for visit in visits]):
        photos.setdefault(photo.visit_id, []).append(photo)
    result, changed = {}, []
    for visit in visits:
        rules = catalogue.rules_for(visit.settings)
        day = catalogue.visit_day(visit.device_time, visit.device_utc_offset_min)
        fix = (visit.lon, visit.lat) if visit.lon is not None else None
        raised = set()
        for photo in photos.get(visit.id, []):
            if photo.uploaded_at is None:
                raised.add("photos_missing")
            elif catalogue.photo_mismatch(
                rules,
                visit_day_=day,
                visit_fix=fix,
                taken_at=photo.taken_at,
                taken_where=(photo.lon, photo.lat) if photo.lon is not None else None,
                utc_offset_min=visit.device_utc_offset_min,
            ):
                raised.add("photo_mismatch")
        kept = set(visit.flags) - set(PHOTO_FLAGS)
        flags = [code for code in catalogue.FLAGS if code in kept or code in raised]
        flags += [code for code in visit.flags if code not in catalogue.FLAGS]
        priority = rules.priority(flags)
        result[visit.id] = (flags, priority)
        if flags != list(visit.flags) or priority != visit.priority:
            changed.append({"id": visit.id, "flags": flags, "priority": priority})
    queries.set_flags(rows=changed)
    return result


def photo_arrived(visit_id: uuid.UUID) -> None:
    """A photo's bytes were stored: its visit's photo flags again, and the review policy if it became clean."""
    refreshed = refresh_photo_flags([visit_id])
    apply_review_policy(list(refreshed))
