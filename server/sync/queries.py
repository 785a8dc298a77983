"""SQL for the sync pull: which of an enumerator's households and tombstones changed since a cursor, and
the households as the phone stores them (built as JSON inside PostgreSQL, one query per page)."""

from __future__ import annotations

import json
import uuid
from typing import Any

import sqlalchemy as sa

from server.campaigns.queries import LIVE_ASSIGNMENTS_SQL
from server.extensions import db

# Households live-assigned to the user in an active campaign, with the sequence of their latest change
# (the household row itself or the assignment that brought it to this phone).
CHANGED_HOUSEHOLDS = f"""
    SELECT h.id AS household_id, max(GREATEST(h.change_seq, a.change_seq)) AS seq
      FROM ({LIVE_ASSIGNMENTS_SQL}) a
      JOIN households h ON h.id = a.household_id
     WHERE a.enumerator_id = :user_id
       AND (h.change_seq > :seq OR a.change_seq > :seq OR h.change_xid >= :xmin OR a.change_xid >= :xmin)
     GROUP BY h.id
"""
# Households this phone must drop: taken from this user, or merged/removed for everyone (only those the
# user ever had), unless the household is assigned to the user again.
CHANGED_TOMBSTONES = f"""
    SELECT t.household_id, max(t.change_seq) AS seq
      FROM sync_tombstones t
     WHERE (t.change_seq > :seq OR t.change_xid >= :xmin)
       AND (t.user_id = :user_id OR (t.user_id IS NULL AND EXISTS (
              SELECT 1 FROM assignments a WHERE a.household_id = t.household_id AND a.enumerator_id = :user_id)))
       AND NOT EXISTS (
              SELECT 1 FROM ({LIVE_ASSIGNMENTS_SQL}) a
               WHERE a.household_id = t.household_id AND a.enumerator_id = :user_id)
     GROUP BY t.household_id
"""


def snapshot_xmin() -> int:
    """The oldest transaction still running now: every writer not yet visible has an id at or above it."""
    return db.session.execute(sa.text("SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint")).scalar_one()


def changed_since(*, user_id: int, seq: int, xmin: int, pos: int, limit: int, tombstones: bool) -> list[Any]:
    """(kind, household_id, seq) of the next `limit` changes after position `pos`, in sequence order."""
    parts = [f"SELECT 'household' AS kind, household_id, seq FROM ({CHANGED_HOUSEHOLDS}) changed"]
    if tombstones:
        parts.append(f"SELECT 'tombstone' AS kind, household_id, seq FROM ({CHANGED_TOMBSTONES}) gone")
    sql = f"SELECT * FROM ({' UNION ALL '.join(parts)}) events WHERE seq > :pos ORDER BY seq, household_id LIMIT :limit"
    params = {"user_id": user_id, "seq": seq, "xmin": xmin, "pos": pos, "limit": limit}
    return db.session.execute(sa.text(sql), params).all()


HOUSEHOLD_JSON = """
    SELECT json_build_object(
        'id', h.id, 'registry_id', h.registry_id, 'kk_number', h.kk_number, 'head_name', h.head_name,
        'address', h.address, 'rt', h.rt, 'rw', h.rw, 'region_code', h.region_code, 'kelurahan_name', r.name,
        'decile', h.decile, 'registry_status', h.registry_status, 'verification_status', h.verification_status,
        'version', h.version,
        -- an eligibility change approved in review and awaiting the musyawarah: the phone marks the household
        'pending_registry_status', (SELECT c.new_value #>> '{}' FROM registry_changes c
                                     WHERE c.household_id = h.id AND c.state = 'proposed' AND c.member_id IS NULL
                                       AND c.field = 'registry_status' ORDER BY c.id DESC LIMIT 1),
        'location', CASE WHEN h.location IS NULL THEN NULL ELSE json_build_object(
            'lon', round(ST_X(h.location)::numeric, 6), 'lat', round(ST_Y(h.location)::numeric, 6),
            'accuracy_m', h.location_accuracy_m) END,
        'members', (SELECT coalesce(json_agg(json_build_object(
                'id', m.id, 'nik', m.nik, 'name', m.name, 'sex', m.sex, 'birth_date', m.birth_date,
                'relationship_code', m.relationship_code, 'presence_status', m.presence_status)
                ORDER BY m.relationship_code, m.birth_date), '[]'::json)
            -- members the registry no longer lists stay off the phone (staff still see them)
            FROM members m WHERE m.household_id = h.id AND m.presence_status <> 'removed'),
        'aid', (SELECT coalesce(json_agg(json_build_object(
                'program_code', aid.code, 'period_start', aid.period_start, 'period_end', aid.period_end,
                'status', aid.status) ORDER BY aid.code), '[]'::json)
            FROM (SELECT p.code, min(ar.period_start) AS period_start, max(ar.period_end) AS period_end,
                         (array_agg(ar.status ORDER BY ar.period_end DESC))[1] AS status
                    -- Two index lookups (family receipts, members' receipts), not one OR that scans them all;
                    -- a receipt naming both the family and a member is taken once.
                    FROM (SELECT program_id, period_start, period_end, status
                            FROM aid_receipts WHERE household_id = h.id
                          UNION ALL
                          SELECT r2.program_id, r2.period_start, r2.period_end, r2.status
                            FROM members m2 JOIN aid_receipts r2 ON r2.member_id = m2.id
                           WHERE m2.household_id = h.id AND r2.household_id IS DISTINCT FROM h.id) ar
                    JOIN aid_programs p ON p.id = ar.program_id
                   GROUP BY p.code) aid),
        'last_visit', (SELECT json_build_object(
                'id', v.id, 'outcome', v.outcome, 'device_time', v.device_time,
                'review_status', v.review_status, 'review_comment', v.review_comment,
                'review_reason_code', v.review_reason_code)
            FROM visits v WHERE v.household_id = h.id ORDER BY v.device_time DESC, v.id LIMIT 1)
    )::text
      FROM households h JOIN regions r ON r.code = h.region_code
     WHERE h.id = ANY(:ids)
"""


def households_as_json(*, ids: list[uuid.UUID]) -> dict[str, dict[str, Any]]:
    """The phone's copy of each household, keyed by id."""
    if not ids:
        return {}
    # A page of 1,000 households crosses the JIT cost threshold, yet runs in tens of milliseconds on its
    # indexes: compiling it would take longer than running it (measured in bench/first_pull.py).
    db.session.execute(sa.text("SET LOCAL jit = off"))
    rows = db.session.execute(sa.text(HOUSEHOLD_JSON), {"ids": ids}).scalars()
    households = [json.loads(row) for row in rows]
    return {household["id"]: household for household in households}


def tombstone_details(*, ids: list[uuid.UUID]) -> dict[str, dict[str, Any]]:
    """The latest tombstone of each household: why it goes, and where a merged one went."""
    if not ids:
        return {}
    rows = db.session.execute(
        sa.text(
            """
            SELECT DISTINCT ON (household_id) household_id, reason, merged_into_id
              FROM sync_tombstones WHERE household_id = ANY(:ids)
             ORDER BY household_id, change_seq DESC
            """
        ),
        {"ids": ids},
    )
    return {
        str(row.household_id): {
            "household_id": str(row.household_id),
            "reason": row.reason,
            "merged_into_id": str(row.merged_into_id) if row.merged_into_id else None,
        }
        for row in rows
    }


def programs_for_phones() -> list[dict[str, Any]]:
    rows = db.session.execute(
        sa.text("SELECT code, name, unit, category, level FROM aid_programs ORDER BY level, code")
    ).mappings()
    return [dict(row) for row in rows]


def delete_tombstones_before(*, at) -> int:
    return db.session.execute(sa.text("DELETE FROM sync_tombstones WHERE created_at < :at"), {"at": at}).rowcount
