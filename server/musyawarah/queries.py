"""SQL of the musyawarah: rounds, the findings that fill a kelurahan's lists (pending proposals, corrections
applied at review, confirmed households), the evidence shown per row, the rows themselves and the city rekap."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert

from server.auth.access import Actor, in_region, in_scope
from server.extensions import db
from server.history.models import RegistryChange
from server.households.models import Household, Member
from server.musyawarah.models import SECTIONS, MusyawarahItem, MusyawarahLock, MusyawarahRound
from server.regions.models import Region
from server.sql_lists import one_of


def _execute(sql: str, **params: Any):
    return db.session.execute(sa.text(sql), params)


# --- rounds -----------------------------------------------------------------------------------------------


def get_round(*, round_id: int, actor: Actor | None = None, lock: bool = False) -> MusyawarahRound | None:
    query = sa.select(MusyawarahRound).where(MusyawarahRound.id == round_id)
    if actor is not None:
        query = query.where(in_scope(actor, MusyawarahRound.region_code))
    if lock:
        query = query.with_for_update()
    return db.session.execute(query).scalar_one_or_none()


def locks_of(*, round_id: int) -> list[MusyawarahLock]:
    """A round's signed versions, oldest first."""
    return list(
        db.session.execute(
            sa.select(MusyawarahLock).where(MusyawarahLock.round_id == round_id).order_by(MusyawarahLock.number)
        ).scalars()
    )


def add_lock(signed: MusyawarahLock) -> None:
    db.session.add(signed)
    db.session.flush()


def last_decided_at(*, round_id: int) -> datetime | None:
    return db.session.execute(
        sa.select(sa.func.max(MusyawarahItem.decided_at)).where(MusyawarahItem.round_id == round_id)
    ).scalar()


def round_for(*, campaign_id: int, region_code: str) -> MusyawarahRound | None:
    return db.session.execute(
        sa.select(MusyawarahRound).where(
            MusyawarahRound.campaign_id == campaign_id, MusyawarahRound.region_code == region_code
        )
    ).scalar_one_or_none()


def add_round(*, campaign_id: int, region_code: str, created_by_id: int | None) -> MusyawarahRound:
    """The round of a kelurahan and campaign, created when missing (two callers at once get the same one)."""
    db.session.execute(
        insert(MusyawarahRound.__table__)
        .values(campaign_id=campaign_id, region_code=region_code, created_by_id=created_by_id)
        .on_conflict_do_nothing(index_elements=["campaign_id", "region_code"])
    )
    return round_for(campaign_id=campaign_id, region_code=region_code)


def rounds(*, actor: Actor | None, campaign_id: int | None = None, region: str | None = None) -> list[Any]:
    """Rounds in the caller's area with their kelurahan's and kecamatan's names, by region code."""
    kecamatan = sa.orm.aliased(Region)
    query = (
        sa.select(MusyawarahRound, Region.name.label("kelurahan"), kecamatan.name.label("kecamatan"))
        .join(Region, Region.code == MusyawarahRound.region_code)
        .outerjoin(kecamatan, kecamatan.code == Region.parent_code)
        .order_by(MusyawarahRound.campaign_id.desc(), MusyawarahRound.region_code)
    )
    if actor is not None:
        query = query.where(in_scope(actor, MusyawarahRound.region_code))
    if campaign_id is not None:
        query = query.where(MusyawarahRound.campaign_id == campaign_id)
    if region:
        query = query.where(in_region(MusyawarahRound.region_code, region))
    return list(db.session.execute(query).all())


def region_names(*, code: str) -> tuple[str | None, str | None, str | None]:
    """(level, kelurahan name, kecamatan name) of a region code."""
    row = _execute(
        """SELECT r.level, r.name, p.name AS parent FROM regions r LEFT JOIN regions p ON p.code = r.parent_code
            WHERE r.code = :code""",
        code=code,
    ).first()
    return (row.level, row.name, row.parent) if row else (None, None, None)


def locked_region(*, region_code: str) -> MusyawarahRound | None:
    """The latest locked round of a kelurahan, if any."""
    return db.session.execute(
        sa.select(MusyawarahRound)
        .where(MusyawarahRound.region_code == region_code, MusyawarahRound.state == "locked")
        .order_by(MusyawarahRound.locked_at.desc())
        .limit(1)
    ).scalar_one_or_none()


def locked_regions_query(*, codes: Iterable[str] | sa.Select | sa.ColumnElement) -> sa.Select:
    """Of these kelurahan codes (a list, a statement or an array), those with a locked round (visits pushed for them are
    flagged `after_lock`; the sync push runs this inside its lookups)."""
    return sa.select(MusyawarahRound.region_code).where(
        one_of(MusyawarahRound.region_code, codes), MusyawarahRound.state == "locked"
    )


# --- the findings of a kelurahan --------------------------------------------------------------------------


def pending_proposals(*, region_code: str) -> list[Any]:
    """Every proposed change of the kelurahan's households (what the forum settles), grouped by source."""
    return list(
        _execute(
            """
            SELECT c.id, c.household_id, c.member_id, c.field, c.old_value, c.new_value, c.source_kind, c.source_id
              FROM registry_changes c JOIN households h ON h.id = c.household_id
             WHERE c.state = 'proposed' AND h.region_code = :region
             ORDER BY c.household_id, c.source_id, c.id
            """,
            region=region_code,
        ).all()
    )


def review_corrections(*, region_code: str, campaign_id: int) -> list[Any]:
    """Data corrections applied at review (from the campaign's visits) still standing."""
    return list(
        _execute(
            """
            SELECT c.id, c.household_id, c.member_id, c.field, c.old_value, c.new_value, c.source_id
              FROM registry_changes c
              JOIN households h ON h.id = c.household_id
              JOIN visits v ON v.id::text = c.source_id
             WHERE c.state = 'applied' AND c.source_kind = 'review' AND h.region_code = :region
               AND v.campaign_id = :campaign
               AND c.field NOT IN ('member', 'registry_status', 'merged_into_id', 'location', 'house_condition')
             ORDER BY c.household_id, c.source_id, c.id
            """,
            region=region_code,
            campaign=campaign_id,
        ).all()
    )


def confirmed_visits(*, region_code: str, campaign_id: int) -> list[Any]:
    """The latest approved 'found' visit of each active household of the kelurahan in the campaign."""
    return list(
        _execute(
            """
            SELECT DISTINCT ON (v.household_id) v.id, v.household_id
              FROM visits v JOIN households h ON h.id = v.household_id
             WHERE h.region_code = :region AND v.campaign_id = :campaign AND v.review_status = 'approved'
               AND v.outcome = 'found' AND h.registry_status = 'active'
             ORDER BY v.household_id, v.reviewed_at DESC NULLS LAST, v.id
            """,
            region=region_code,
            campaign=campaign_id,
        ).all()
    )


def visit_evidence(*, ids: list[uuid.UUID]) -> dict[str, dict[str, Any]]:
    """Per visit: date (WITA), enumerator, outcome, photo count and flags."""
    if not ids:
        return {}
    rows = _execute(
        """
        SELECT v.id::text AS id, to_char(v.device_time AT TIME ZONE 'Asia/Makassar', 'YYYY-MM-DD') AS visit_date,
               u.full_name AS enumerator, v.outcome, v.flags,
               (SELECT count(*) FROM photos p WHERE p.visit_id = v.id) AS photos
          FROM visits v JOIN users u ON u.id = v.enumerator_id
         WHERE v.id = ANY(CAST(:ids AS uuid[]))
        """,
        ids=[str(i) for i in ids],
    ).all()
    return {
        row.id: {
            "visit_date": row.visit_date,
            "enumerator": row.enumerator,
            "outcome": row.outcome,
            "photos": int(row.photos),
            "flags": list(row.flags or []),
        }
        for row in rows
    }


def household_facts(*, ids: list[uuid.UUID]) -> dict[uuid.UUID, Any]:
    """Per household: registry id, No. KK, head's name and NIK, address, RW, RT, status."""
    if not ids:
        return {}
    rows = _execute(
        """
        SELECT h.id, h.registry_id, h.kk_number, h.head_name, h.address, h.rw, h.rt, h.registry_status, h.source,
               (SELECT m.nik FROM members m WHERE m.household_id = h.id AND m.relationship_code = 1
                 ORDER BY (m.presence_status = 'present') DESC, m.created_at LIMIT 1) AS head_nik
          FROM households h WHERE h.id = ANY(CAST(:ids AS uuid[]))
        """,
        ids=[str(i) for i in ids],
    ).all()
    return {row.id: row for row in rows}


def member_facts(*, ids: list[uuid.UUID]) -> dict[uuid.UUID, Any]:
    if not ids:
        return {}
    rows = _execute(
        "SELECT id, name, nik FROM members WHERE id = ANY(CAST(:ids AS uuid[]))", ids=[str(i) for i in ids]
    ).all()
    return {row.id: row for row in rows}


# --- rows of the lists ------------------------------------------------------------------------------------


def delete_undecided_items(*, round_id: int) -> None:
    db.session.execute(
        sa.delete(MusyawarahItem).where(MusyawarahItem.round_id == round_id, MusyawarahItem.decision.is_(None))
    )


def decided_items(*, round_id: int) -> list[MusyawarahItem]:
    return list(
        db.session.execute(
            sa.select(MusyawarahItem).where(MusyawarahItem.round_id == round_id, MusyawarahItem.decision.is_not(None))
        ).scalars()
    )


def add_items(*, rows: list[dict[str, Any]]) -> None:
    if rows:
        db.session.execute(insert(MusyawarahItem.__table__), rows)


SECTION_ORDER = sa.case({name: index for index, name in enumerate(SECTIONS)}, value=MusyawarahItem.section)


def items_of(*, round_id: int, section: str | None = None, undecided: bool = False) -> list[MusyawarahItem]:
    """A round's rows in list order: section, RW, RT, head's name."""
    query = sa.select(MusyawarahItem).where(MusyawarahItem.round_id == round_id)
    if section:
        query = query.where(MusyawarahItem.section == section)
    if undecided:
        query = query.where(MusyawarahItem.decision.is_(None))
    query = query.order_by(
        SECTION_ORDER,
        sa.func.lpad(sa.func.coalesce(MusyawarahItem.rw, ""), 3, "0"),
        sa.func.lpad(sa.func.coalesce(MusyawarahItem.rt, ""), 3, "0"),
        MusyawarahItem.evidence["name"].astext,
        MusyawarahItem.id,
    )
    return list(db.session.execute(query).scalars())


def lock_items(*, round_id: int, ids: list[int]) -> dict[int, MusyawarahItem]:
    if not ids:
        return {}
    rows = db.session.execute(
        sa.select(MusyawarahItem)
        .where(MusyawarahItem.round_id == round_id, MusyawarahItem.id.in_(ids))
        .order_by(MusyawarahItem.id)
        .with_for_update()
    ).scalars()
    return {item.id: item for item in rows}


def counts_of(*, round_id: int) -> dict[str, dict[str, int]]:
    """Per section: rows, decided, setuju, tidak_setuju."""
    rows = _execute(
        """
        SELECT section, count(*) AS rows, count(decision) AS decided,
               count(*) FILTER (WHERE decision = 'setuju') AS setuju,
               count(*) FILTER (WHERE decision = 'tidak_setuju') AS tidak_setuju
          FROM musyawarah_items WHERE round_id = :round GROUP BY section
        """,
        round=round_id,
    ).all()
    return {
        row.section: {"rows": row.rows, "decided": row.decided, "setuju": row.setuju, "tidak_setuju": row.tidak_setuju}
        for row in rows
    }


# --- settling the registry --------------------------------------------------------------------------------


def changes(*, ids: list[int]) -> list[RegistryChange]:
    if not ids:
        return []
    return list(
        db.session.execute(
            sa.select(RegistryChange).where(RegistryChange.id.in_(ids)).order_by(RegistryChange.id)
        ).scalars()
    )


def lock_household(*, household_id: uuid.UUID) -> Household | None:
    return db.session.execute(sa.select(Household).where(Household.id == household_id).with_for_update()).scalar()


def members_of(*, household_id: uuid.UUID) -> dict[uuid.UUID, Member]:
    rows = db.session.execute(sa.select(Member).where(Member.household_id == household_id)).scalars()
    return {member.id: member for member in rows}


def mark_changes(
    *,
    ids: list[int],
    state: str,
    from_states: tuple[str, ...],
    version: int | None,
    actor_id: int | None,
    at: datetime,
    reason: str | None,
) -> int:
    if not ids:
        return 0
    values: dict[str, Any] = {"state": state, "decided_by_id": actor_id, "decided_at": at, "reason": reason}
    if version is not None and state == "accepted":
        values["household_version"] = version
    return db.session.execute(
        sa.update(RegistryChange)
        .where(RegistryChange.id.in_(ids), RegistryChange.state.in_(from_states))
        .values(**values)
        .execution_options(synchronize_session=False)
    ).rowcount


def decision_rows(*, item_id: int, exclude: list[int]) -> list[RegistryChange]:
    """The musyawarah changes a row's decision wrote that still stand (a reversal, a fold's moves, a field
    proposal's removal), leaving out the row's own starting point (`exclude`: its change ids)."""
    query = sa.select(RegistryChange).where(
        RegistryChange.source_kind == "musyawarah",
        RegistryChange.source_id == str(item_id),
        RegistryChange.state == "applied",
    )
    if exclude:
        query = query.where(RegistryChange.id.not_in(exclude))
    return list(db.session.execute(query.order_by(RegistryChange.id)).scalars())


def reopen_assignments(*, household_id: uuid.UUID, ended_at: datetime) -> int:
    """Assignments a settled merge ended (at the decision's time) live again when the merge is undone, unless
    the household got another live assignment in that campaign since."""
    return _execute(
        """
        UPDATE assignments a SET unassigned_at = NULL
         WHERE a.household_id = :household AND a.unassigned_at = :ended
           AND NOT EXISTS (SELECT 1 FROM assignments b
                            WHERE b.household_id = a.household_id AND b.campaign_id = a.campaign_id
                              AND b.unassigned_at IS NULL)
        """,
        household=household_id,
        ended=ended_at,
    ).rowcount


def set_change_member(*, change_id: int, member_id: uuid.UUID) -> None:
    db.session.execute(
        sa.update(RegistryChange)
        .where(RegistryChange.id == change_id)
        .values(member_id=member_id)
        .execution_options(synchronize_session=False)
    )


# --- the city rekap ---------------------------------------------------------------------------------------


def rekap_rows(*, campaign_id: int, region: str) -> list[Any]:
    """Per kelurahan of `region` (a city or kecamatan code): its round's state, how many signed versions of its
    berita acara it has, and counts per section and decision, in one statement over the rounds' rows."""
    return list(
        _execute(
            """
            SELECT r.code AS region_code, r.name AS kelurahan, p.name AS kecamatan, m.state, m.locked_at,
                   (SELECT count(*) FROM musyawarah_locks l WHERE l.round_id = m.id) AS signed_versions,
                   coalesce(jsonb_object_agg(i.section, jsonb_build_object(
                       'rows', i.rows, 'setuju', i.setuju, 'tidak_setuju', i.tidak_setuju))
                       FILTER (WHERE i.section IS NOT NULL), '{}'::jsonb) AS sections
              FROM regions r
              JOIN regions p ON p.code = r.parent_code
              LEFT JOIN musyawarah_rounds m ON m.region_code = r.code AND m.campaign_id = :campaign
              LEFT JOIN LATERAL (
                  SELECT section, count(*) AS rows, count(*) FILTER (WHERE decision = 'setuju') AS setuju,
                         count(*) FILTER (WHERE decision = 'tidak_setuju') AS tidak_setuju
                    FROM musyawarah_items WHERE round_id = m.id GROUP BY section
              ) i ON TRUE
             WHERE r.level = 'kelurahan' AND (r.code = :region OR r.code LIKE :prefix)
             GROUP BY r.code, r.name, p.name, p.code, m.id, m.state, m.locked_at
             ORDER BY p.code, r.code
            """,
            campaign=campaign_id,
            region=region,
            prefix=f"{region}.%",
        ).all()
    )
