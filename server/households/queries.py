"""SQL for households and members: scoped listing with filters and keyset pages, fuzzy search, detail
parts (members, aid, visits), locked reads for optimistic concurrency, merge bookkeeping, export rows.

Access scope is one SQL condition (`visible_condition`) applied by every read, so no query path can
forget it: admin everything; supervisor/reviewer/viewer their area; enumerator only households with a
live assignment to them.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB

from server.aid.models import AidProgram, AidReceipt
from server.auth.access import Actor, in_region, in_scope, in_scope_sql
from server.auth.models import User
from server.campaigns.models import Tombstone
from server.campaigns.queries import is_assigned, is_live_assigned
from server.extensions import db
from server.households.models import Household, HouseholdAidStacking, Member
from server.imports.registry import REGISTRY_COLUMNS
from server.pagination import Keyset, natural_orders
from server.regions.models import Region
from server.types import Presence, ReceiptStatus, RegistryStatus, Role, TombstoneReason, VerificationStatus
from server.visits.models import Visit

# Receipts that mean the family is (or was) actually getting the aid.
LIVE_RECEIPT_STATUSES = (ReceiptStatus.LISTED.value, ReceiptStatus.DISBURSED.value)


# The orders a household list may be asked for (`sort`); `region` is the default (kelurahan, then name).
# Nothing else is ever put into ORDER BY.
SORTS = natural_orders(
    region=Keyset((Household.region_code, Household.head_name, Household.id), (str, str, uuid.UUID)),
    name=Keyset((Household.head_name, Household.id), (str, uuid.UUID)),
    decile=Keyset((sa.func.coalesce(Household.decile, 11), Household.id), (int, uuid.UUID)),
    verification=Keyset((Household.verification_status, Household.id), (VerificationStatus, uuid.UUID)),
    updated=Keyset((Household.updated_at, Household.id), (datetime.fromisoformat, uuid.UUID)),
)


def scope_covers_everything(actor: Actor) -> bool:
    """The actor sees every household (an admin, or a scope holding every region a household lies in, as a
    city supervisor's): their lists and the Beranda's aggregates then need no area condition. With one, the
    area is `region_code = ANY(every code below the scope)`, which PostgreSQL 15 cannot read from the region
    index in order: a city supervisor's `has_stacking=true` hashed every household and sorted (30 ms instead
    of 1.8 ms on the demo city)."""
    if actor.is_admin:
        return True
    if actor.role == Role.ENUMERATOR:
        return False
    scope, params = in_scope_sql(actor, "r.code")
    sql = f"""SELECT NOT EXISTS (SELECT 1 FROM regions r WHERE NOT {scope}
                                    AND EXISTS (SELECT 1 FROM households h WHERE h.region_code = r.code))"""
    return db.session.execute(sa.text(sql), params).scalar_one()


def visible_condition(actor: Actor) -> sa.ColumnElement[bool]:
    """The households `actor` may see at all."""
    if actor.role == Role.ENUMERATOR:
        return is_live_assigned(Household.id, enumerator_id=actor.user_id)
    return in_scope(actor, Household.region_code)


# The household's receipts: its own (family programs) and its members' (person programs), as two index
# lookups. One `household_id = h.id OR member_id IN (…)` condition made PostgreSQL scan every receipt for
# every household (a minute for the demo city's has_no_aid filter).
HOUSEHOLD_RECEIPTS = """(
    SELECT r.program_id, r.period_start, r.period_end, r.status FROM aid_receipts r
     WHERE r.household_id = households.id
    UNION ALL
    SELECT r.program_id, r.period_start, r.period_end, r.status
      FROM members m JOIN aid_receipts r ON r.member_id = m.id
     WHERE m.household_id = households.id)"""
LIVE = "(" + ", ".join(f"'{status}'" for status in LIVE_RECEIPT_STATUSES) + ")"


def _household_condition(sql: str) -> sa.ColumnElement[bool]:
    """A boolean SQL condition about the household row `households` of the enclosing query."""
    return sa.literal_column(sql, sa.Boolean)


def has_program_condition(program_code: str) -> sa.ColumnElement[bool]:
    code = sa.literal(program_code).compile(compile_kwargs={"literal_binds": True})
    return _household_condition(
        f"EXISTS (SELECT 1 FROM {HOUSEHOLD_RECEIPTS} hr JOIN aid_programs p ON p.id = hr.program_id"
        f" WHERE p.code = {code})"
    )


def has_stacking_condition() -> sa.ColumnElement[bool]:
    """Two live receipts of different programs of the same category with overlapping periods: kept per
    household by the database (`household_aid_stacking`, migration 0021), so the filter is an index lookup."""
    return sa.exists().where(HouseholdAidStacking.household_id == Household.id)


def has_aid_condition() -> sa.ColumnElement[bool]:
    return _household_condition(f"EXISTS (SELECT 1 FROM {HOUSEHOLD_RECEIPTS} hr WHERE hr.status IN {LIVE})")


def name_scores(text: str, *, best_first: bool = False, region_codes: list[str] | None = None) -> sa.Subquery:
    """(household_id, score) of every household whose head or a member matches `text` (pg_trgm `%`), or whose
    registry id is `text` (score 2), score = the best similarity among them. Both name sides are trigram-index
    scans, so only the matching households are scored: the former per-household `EXISTS (member % text)` and
    best-member subquery ran for every household in scope (2.5 s for q=Agus on the demo city). The best match
    above the threshold is also the best of all, so the score is the one the API always gave.

    `best_first`: sorted by score (best first), then id, behind an `OFFSET 0` fence, so that the list joins
    households, regions and the scope to the best ones only until its page is full (51 index lookups
    instead of one per match: 3,521 for q=Agus; bench/README.md).

    `region_codes` (a region filter's codes) are a condition of each side, so that PostgreSQL may read a small
    region's households and members by their indexes and test only their names, instead of every name in the
    city that shares trigrams with `text` (q=Agus in one kelurahan: 86-193 ms at load 6 before)."""
    heads = sa.select(Household.id.label("household_id"), sa.func.similarity(Household.head_name, text).label("s"))
    heads = heads.where(Household.head_name.op("%")(text))
    members = sa.select(Member.household_id, sa.func.similarity(Member.name, text)).where(Member.name.op("%")(text))
    # The registry id typed exactly (as listed, or in capitals: HP-0001) ranks above any name (similarity <= 1).
    by_id = sa.select(Household.id, sa.cast(2, sa.REAL)).where(Household.registry_id.in_({text, text.upper()}))
    if region_codes is not None:
        heads = heads.where(Household.region_code.in_(region_codes))
        by_id = by_id.where(Household.region_code.in_(region_codes))
        members = members.join(Household, Household.id == Member.household_id).where(
            Household.region_code.in_(region_codes)
        )
    matched = sa.union_all(heads, members, by_id).subquery("matched")
    # double precision, so the score survives the JSON round-trip of a cursor exactly.
    score = sa.cast(sa.func.max(matched.c.s), sa.Double).label("score")
    query = sa.select(matched.c.household_id, score).group_by(matched.c.household_id)
    if best_first:
        # Any OFFSET keeps PostgreSQL from pulling the subquery up into the join (and sorting after it).
        query = query.order_by(score.desc(), matched.c.household_id).offset(sa.literal_column("0"))
    return query.subquery("name_scores")


def number_matches(number: str) -> sa.Select:
    """Ids of the households whose No. KK or a member's NIK is `number`: two index lookups. The former
    `kk_number = n OR EXISTS (member with NIK n)` could use neither index and tested every household in
    scope (40 ms for the demo city, growing with the registry)."""
    by_kk = sa.select(Household.id).where(Household.kk_number == number)
    by_member = sa.select(Member.household_id).where(Member.nik == number)
    return sa.union(by_kk, by_member)


# A region filter of at most this many codes (a kecamatan has ~10 kelurahan) is pushed into the name search.
NARROW_REGION_CODES = 20


def region_codes_within(region: str) -> list[str]:
    """The region and every region below it, read from `regions` (a few dozen codes). The list filters on
    them as literal values (a kelurahan's households in name order straight from the region index, the
    planner knowing how many codes there are) and hands a short list to the name search to narrow it."""
    return list(db.session.execute(sa.select(Region.code).where(in_region(Region.code, region))).scalars())


def list_households(
    *,
    actor: Actor,
    region: str | None = None,
    registry_statuses: list[str] | None = None,
    verification_statuses: list[str] | None = None,
    deciles: list[int] | None = None,
    program: str | None = None,
    has_stacking: bool | None = None,
    has_no_aid: bool | None = None,
    assigned: bool | None = None,
    enumerator_id: int | None = None,
    flag: str | None = None,
    number: str | None = None,
    name: str | None = None,
    sort: str | None = None,
    after: tuple | list | None = None,
    limit: int = 50,
) -> list[dict[str, Any]]:
    """One page of visible households as dicts; `after` is the previous page's last sort key.

    Order: `sort` (one of SORTS, its key selected as `sort_0`…) when given; otherwise by name similarity
    (best first) when searching by name, else by region, head name, id.
    """
    columns = _summary_columns()
    codes = region_codes_within(region) if region else None
    # A kelurahan or a kecamatan narrows the name search itself; a city's codes would only slow it down.
    narrow = codes if codes is not None and len(codes) <= NARROW_REGION_CODES else None
    scores = name_scores(name, best_first=not sort, region_codes=narrow) if name else None
    score = scores.c.score if scores is not None and not sort else None
    keyset = SORTS[sort or "region"] if score is None else None
    if score is not None:
        columns.append(score)
    if keyset is not None:
        columns += keyset.labelled()
    query = sa.select(*columns).select_from(Household)
    if scores is not None:
        query = query.join(scores, scores.c.household_id == Household.id)
    visible = sa.true() if scope_covers_everything(actor) else visible_condition(actor)
    query = query.join(Region, Region.code == Household.region_code).where(visible)
    if codes is not None:
        query = query.where(Household.region_code.in_(codes))
    if registry_statuses:
        query = query.where(Household.registry_status.in_(registry_statuses))
    elif not number:
        # Merged duplicates are history: listed only when asked for by status (or found by number).
        query = query.where(Household.registry_status != RegistryStatus.MERGED.value)
    if verification_statuses:
        query = query.where(Household.verification_status.in_(verification_statuses))
    if deciles:
        query = query.where(Household.decile.in_(deciles))
    if program:
        query = query.where(has_program_condition(program))
    if has_stacking is not None:
        condition = has_stacking_condition()
        query = query.where(condition if has_stacking else ~condition)
    if has_no_aid is not None:
        condition = has_aid_condition()
        query = query.where(~condition if has_no_aid else condition)
    if enumerator_id is not None:  # on this enumerator's phone
        query = query.where(is_live_assigned(Household.id, enumerator_id=enumerator_id))
    elif assigned is not None:  # on anyone's phone, or on none
        condition = is_assigned(Household.id)
        query = query.where(condition if assigned else ~condition)
    if flag:
        query = query.where(Household.flags.contains(sa.cast(sa.literal(f'["{flag}"]'), JSONB)))
    if number:
        query = query.where(Household.id.in_(number_matches(number)))
    if score is not None:
        if after:
            query = query.where(sa.tuple_(-score, Household.id) > sa.tuple_(-float(after[0]), uuid.UUID(after[1])))
        query = query.order_by(score.desc(), Household.id)
    else:
        query = keyset.apply(query, after)
    rows = db.session.execute(query.limit(limit + 1)).mappings().all()
    return [dict(row) for row in rows]


def _summary_columns() -> list:
    member_count = sa.select(sa.func.count(Member.id)).where(Member.household_id == Household.id).scalar_subquery()
    return [
        Household.id,
        Household.registry_id,
        Household.kk_number,
        Household.head_name,
        Household.address,
        Household.rt,
        Household.rw,
        Household.region_code,
        Region.name.label("kelurahan_name"),
        Household.decile,
        Household.registry_status,
        Household.verification_status,
        Household.source,
        Household.merged_into_id,
        Household.flags,
        Household.version,
        Household.updated_at,
        sa.func.ST_X(Household.location).label("lon"),
        sa.func.ST_Y(Household.location).label("lat"),
        Household.location_accuracy_m,
        member_count.label("member_count"),
    ]


def get_household_summary(*, actor: Actor, household_id: uuid.UUID) -> dict[str, Any] | None:
    """One visible household's summary columns, or None (absent or out of scope look the same)."""
    query = (
        sa.select(*_summary_columns())
        .select_from(Household)
        .join(Region, Region.code == Household.region_code)
        .where(Household.id == household_id, visible_condition(actor))
    )
    row = db.session.execute(query).mappings().first()
    return dict(row) if row else None


def lock_household(*, actor: Actor, household_id: uuid.UUID) -> Household | None:
    """The visible household, row-locked until the end of the transaction (so version checks are race-free)."""
    query = (
        sa.select(Household)
        .where(Household.id == household_id, visible_condition(actor))
        .with_for_update(of=Household)
        .execution_options(populate_existing=True)
    )
    return db.session.execute(query).scalar_one_or_none()


def members_of(*, household_id: uuid.UUID) -> list[Member]:
    return list(
        db.session.execute(
            sa.select(Member).where(Member.household_id == household_id).order_by(Member.relationship_code, Member.name)
        ).scalars()
    )


def get_member(*, household_id: uuid.UUID, member_id: uuid.UUID) -> Member | None:
    return db.session.execute(
        sa.select(Member).where(Member.id == member_id, Member.household_id == household_id)
    ).scalar_one_or_none()


def aid_of(*, household_id: uuid.UUID) -> list[dict[str, Any]]:
    member_ids = sa.select(Member.id).where(Member.household_id == household_id)
    query = (
        sa.select(
            AidReceipt.id,
            AidProgram.code.label("program_code"),
            AidProgram.name.label("program_name"),
            AidProgram.category.label("category"),
            AidReceipt.member_id,
            AidReceipt.period_start,
            AidReceipt.period_end,
            AidReceipt.amount,
            AidReceipt.status,
            AidReceipt.source,
        )
        .join(AidProgram, AidProgram.id == AidReceipt.program_id)
        .where(sa.or_(AidReceipt.household_id == household_id, AidReceipt.member_id.in_(member_ids)))
        .order_by(AidReceipt.period_start.desc(), AidProgram.code)
    )
    return [dict(row) for row in db.session.execute(query).mappings()]


def visits_of(*, household_id: uuid.UUID, enumerator_id: int | None = None) -> list[dict[str, Any]]:
    query = (
        sa.select(
            Visit.id,
            Visit.outcome,
            Visit.device_time,
            Visit.device_utc_offset_min,
            Visit.received_at,
            Visit.enumerator_id,
            User.username.label("enumerator_username"),
            Visit.review_status,
            Visit.review_comment,
            Visit.flags,
            Visit.supersedes_id,
        )
        .join(User, User.id == Visit.enumerator_id)
        .where(Visit.household_id == household_id)
        .order_by(Visit.device_time.desc())
    )
    if enumerator_id is not None:
        query = query.where(Visit.enumerator_id == enumerator_id)
    return [dict(row) for row in db.session.execute(query).mappings()]


def set_location(*, household: Household, lon: float | None, lat: float | None) -> None:
    household.location = None if lon is None else sa.func.ST_SetSRID(sa.func.ST_MakePoint(lon, lat), 4326)


def region_exists(*, code: str) -> bool:
    return db.session.execute(sa.select(sa.exists().where(Region.code == code))).scalar_one()


def households_with_nik(*, nik: str, excluding: uuid.UUID) -> list[Household]:
    query = (
        sa.select(Household)
        .join(Member, Member.household_id == Household.id)
        .where(
            Member.nik == nik,
            Member.presence_status != Presence.REMOVED.value,
            Household.id != excluding,
            Household.registry_status != RegistryStatus.MERGED.value,
        )
    )
    return list(db.session.execute(query).scalars().unique())


def households_sharing_niks(*, reported: list[tuple[uuid.UUID, str]]) -> set[uuid.UUID]:
    """For (household, NIK) pairs reported in the field: those households and every other (not merged)
    household whose present-or-other (not removed) member holds the NIK, wherever a NIK is shared."""
    if not reported:
        return set()
    rows = db.session.execute(
        sa.text(
            """
            SELECT r.household_id, m.household_id
              FROM unnest(CAST(:households AS uuid[]), CAST(:niks AS text[])) AS r(household_id, nik)
              JOIN members m ON m.nik = r.nik AND m.household_id <> r.household_id
              JOIN households h ON h.id = m.household_id
             WHERE m.presence_status <> 'removed' AND h.registry_status <> 'merged'
            """
        ),
        {"households": [pair[0] for pair in reported], "niks": [pair[1] for pair in reported]},
    ).all()
    return {household for row in rows for household in row}


def add_flag(*, household_ids: list[uuid.UUID], flag: str) -> int:
    """Add a review flag to households that lack it; how many got it."""
    if not household_ids:
        return 0
    flag_json = sa.cast(sa.literal(f'["{flag}"]'), JSONB)
    return db.session.execute(
        sa.update(Household)
        .where(Household.id.in_(household_ids), sa.not_(Household.flags.contains(flag_json)))
        .values(flags=Household.flags.op("||")(flag_json))
        .execution_options(synchronize_session=False)
    ).rowcount


def _moving(loser_id: uuid.UUID, survivor_id: uuid.UUID, present_only: bool) -> sa.ColumnElement[bool]:
    """The loser's members that move in a merge: those the survivor lacks (by NIK); present ones only when
    asked (a settled duplicate's dead or gone members stay behind as its history)."""
    survivor_niks = sa.select(Member.nik).where(Member.household_id == survivor_id, Member.nik.is_not(None))
    condition = sa.and_(Member.household_id == loser_id, sa.or_(Member.nik.is_(None), Member.nik.not_in(survivor_niks)))
    if present_only:
        condition = sa.and_(condition, Member.presence_status == Presence.PRESENT.value)
    return condition


def _survivor_has_head(survivor_id: uuid.UUID) -> sa.ColumnElement[bool]:
    survivor_head = sa.orm.aliased(Member)
    return (
        sa.select(survivor_head.id)
        .where(
            survivor_head.household_id == survivor_id,
            survivor_head.relationship_code == 1,
            survivor_head.presence_status == Presence.PRESENT.value,
        )
        .exists()
    )


def members_moving(*, loser_id: uuid.UUID, survivor_id: uuid.UUID, present_only: bool = False) -> list[Member]:
    """The members `move_members_and_aid` would move (read before it, for the change history)."""
    return list(
        db.session.execute(
            sa.select(Member).where(_moving(loser_id, survivor_id, present_only)).order_by(Member.id)
        ).scalars()
    )


def move_members_and_aid(*, loser: Household, survivor: Household) -> dict[str, int]:
    """Members the survivor lacks (by NIK) move over; aid follows members and family; duplicates stay as history."""
    return {**move_members(loser=loser, survivor=survivor), **move_aid(loser=loser, survivor=survivor)}


def move_members(*, loser: Household, survivor: Household, present_only: bool = False) -> dict[str, int]:
    """Members the survivor lacks (by NIK), present ones only when asked, move over (see `_moving`)."""
    moving = _moving(loser.id, survivor.id, present_only)
    # One present head per household: a moving head becomes "other" (8) when the survivor has one already.
    demoted = db.session.execute(
        sa.update(Member)
        .where(
            moving,
            Member.relationship_code == 1,
            Member.presence_status == Presence.PRESENT.value,
            _survivor_has_head(survivor.id),
        )
        .values(relationship_code=8)
        .execution_options(synchronize_session=False)
    ).rowcount
    moved = db.session.execute(
        sa.update(Member)
        .where(moving)
        .values(household_id=survivor.id, updated_at=sa.func.now())
        .execution_options(synchronize_session=False)
    ).rowcount
    return {"members_moved": moved, "heads_demoted": demoted}


def move_aid(*, loser: Household, survivor: Household) -> dict[str, int]:
    """The loser's family receipts go to the survivor; member receipts of people the survivor already lists
    point at the survivor's record of them (run after `move_members`)."""
    survivor_member = sa.orm.aliased(Member)
    loser_member = sa.orm.aliased(Member)
    repointed = db.session.execute(
        sa.update(AidReceipt)
        .where(
            AidReceipt.member_id == loser_member.id,
            loser_member.household_id == loser.id,
            survivor_member.household_id == survivor.id,
            survivor_member.nik == loser_member.nik,
        )
        .values(member_id=survivor_member.id)
        .execution_options(synchronize_session=False)
    ).rowcount
    family = db.session.execute(
        sa.update(AidReceipt)
        .where(AidReceipt.household_id == loser.id)
        .values(household_id=survivor.id)
        .execution_options(synchronize_session=False)
    ).rowcount
    return {"member_receipts_repointed": repointed, "family_receipts_moved": family}


def add_tombstone(*, household_id: uuid.UUID, reason: TombstoneReason, merged_into_id: uuid.UUID | None) -> None:
    db.session.add(Tombstone(household_id=household_id, user_id=None, reason=reason, merged_into_id=merged_into_id))


# The registry import's columns (so an export re-imports as it is), then the registry's own states.
EXPORT_COLUMNS = (*REGISTRY_COLUMNS, "registry_status", "verification_status", "presence_status")


def export_rows(*, actor: Actor, region: str | None) -> Iterator[tuple]:
    """One row per member (households without members get one row), in the registry import's columns."""
    query = (
        sa.select(
            Household.registry_id,
            Household.kk_number,
            Household.head_name,
            Household.address,
            Household.rt,
            Household.rw,
            Household.region_code,
            Household.decile,
            sa.func.ST_Y(Household.location),
            sa.func.ST_X(Household.location),
            Member.nik,
            Member.name,
            Member.sex,
            Member.birth_date,
            Member.birth_place,
            Member.relationship_code,
            Household.registry_status,
            Household.verification_status,
            Member.presence_status,
        )
        .select_from(Household)
        .outerjoin(Member, Member.household_id == Household.id)
        .where(visible_condition(actor), Household.registry_status != RegistryStatus.MERGED.value)
        .order_by(Household.region_code, Household.registry_id, Household.id, Member.relationship_code, Member.name)
        .execution_options(yield_per=2000)
    )
    if region:
        query = query.where(in_region(Household.region_code, region))
    for row in db.session.execute(query):
        yield tuple(row)


def count_export(*, actor: Actor, region: str | None) -> int:
    query = (
        sa.select(sa.func.count())
        .select_from(Household)
        .outerjoin(Member, Member.household_id == Household.id)
        .where(visible_condition(actor), Household.registry_status != RegistryStatus.MERGED.value)
    )
    if region:
        query = query.where(in_region(Household.region_code, region))
    return db.session.execute(query).scalar_one()
