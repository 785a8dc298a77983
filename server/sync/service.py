"""The sync pull: pages of what changed for an enumerator since their cursor.

Why not simply "change_seq > last seen"? A sequence number is taken when a row is written, not when its
transaction commits. A writer that took seq 90 and commits after a reader already returned seq 100 would
be skipped for ever. So a *round* of pages reads everything after the base `seq` **or** written by any
transaction with an id at or above the base `xmin`, where `xmin` is `pg_snapshot_xmin` taken when the
previous round started: every transaction that was still running then, or started later, has an id at or
above it, so its rows come in the next round even if their seq is old. Rows of transactions that had
already committed may come twice; the phone applies households by id and version, so that is harmless.
Inside a round, pages are keyset-ordered by seq (`pos`), so a long round never repeats or skips a page.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from server.audit.service import record
from server.auth import queries as auth_queries
from server.auth.access import Actor
from server.sync import cursor as cursors
from server.sync import queries
from server.visits.form import form_reference


def note_client(actor: Actor, report: dict[str, Any] | None) -> None:
    """Keep what the phone said about itself (app version, unsent visits and photos) on its device, with the
    time: the staff dashboard shows each enumerator's phone as last seen. Optional for the phone."""
    if actor.device_id is None:
        return
    report = {key: (report or {}).get(key) for key in ("app_version", "unsent_visits", "unsent_photos")}
    auth_queries.record_device_report(device_id=actor.device_id, at=datetime.now(UTC), **report)


def pull(actor: Actor, token: str | None, limit: int) -> tuple[dict[str, Any], dict[str, Any]]:
    """(data, meta) of one page for `actor`, with the cursor of the next page or round."""
    cursor = cursors.decode(token)
    next_xmin = cursor.next_xmin
    if next_xmin is None:  # first page of a round: remember who may still be writing
        next_xmin = queries.snapshot_xmin()
    events = queries.changed_since(
        user_id=actor.user_id,
        seq=cursor.seq,
        xmin=cursor.xmin,
        pos=cursor.pos,
        limit=limit + 1,
        tombstones=not cursor.full_sync,
    )
    has_more = len(events) > limit
    events = events[:limit]
    household_ids = [event.household_id for event in events if event.kind == "household"]
    gone_ids = [event.household_id for event in events if event.kind == "tombstone"]
    households = queries.households_as_json(ids=household_ids)
    tombstones = queries.tombstone_details(ids=gone_ids)

    reference = form_reference(queries.programs_for_phones())
    send_reference = cursor.reference != reference["schema_version"]
    last_seq = events[-1].seq if events else cursor.pos
    if has_more:
        following = cursors.Cursor(
            seq=cursor.seq,
            xmin=cursor.xmin,
            pos=last_seq,
            next_xmin=next_xmin,
            issued=cursors.now(),
            reference=reference["schema_version"],
        )
    else:
        following = cursors.Cursor(
            seq=max(cursor.seq, last_seq),
            xmin=next_xmin,
            issued=cursors.now(),
            reference=reference["schema_version"],
        )
    record(
        "sync.pull",
        object_type="household",
        changes={"households": len(households), "tombstones": len(tombstones), "full": cursor.full_sync},
    )
    data = {
        "households": [households[str(household_id)] for household_id in household_ids],
        "tombstones": [tombstones[str(household_id)] for household_id in gone_ids],
        "reference": reference if send_reference else None,
    }
    return data, {"next_cursor": cursors.encode(following), "has_more": has_more}
