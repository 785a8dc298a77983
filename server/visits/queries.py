"""SQL for visits: reading them within the caller's reach (staff: households in their area; an
enumerator: their own visits), and the set-based lookups and inserts of the sync push."""

from __future__ import annotations

import functools
import uuid
from collections import namedtuple
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

import msgspec
import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, insert

from server import prepared
from server.aid.models import AidProgram, AidReceipt
from server.audit.queries import ENTRIES_FROM_JSON
from server.auth.access import Actor, in_region, in_scope
from server.campaigns.models import Assignment, Campaign
from server.campaigns.queries import live_assignments
from server.extensions import db
from server.households.models import Household, Member
from server.musyawarah.queries import locked_regions_query
from server.photos.models import Photo, UploadSession
from server.photos.queries import DECLARED_FROM_JSON, missing_photos_query
from server.regions.queries import village_codes_query
from server.sql_lists import one_of, uuid_array
from server.types import Role
from server.visits.models import Visit


def visible_condition(actor: Actor) -> sa.ColumnElement[bool]:
    if actor.role == Role.ENUMERATOR:
        return Visit.enumerator_id == actor.user_id
    return in_scope(actor, Household.region_code)


def _columns() -> list:
    return [
        Visit,
        Household.region_code.label("region_code"),
        sa.func.ST_X(Visit.location).label("lon"),
        sa.func.ST_Y(Visit.location).label("lat"),
    ]


def _row(row) -> dict[str, Any]:
    visit = row.Visit
    values = {column.key: getattr(visit, column.key) for column in Visit.__table__.columns if column.key != "location"}
    values["region_code"] = row.region_code
    values["location"] = (
        None if row.lon is None else {"lon": row.lon, "lat": row.lat, "accuracy_m": visit.location_accuracy_m}
    )
    return values


def get_visit(*, actor: Actor, visit_id: uuid.UUID) -> dict[str, Any] | None:
    query = (
        sa.select(*_columns())
        .join(Household, Household.id == Visit.household_id)
        .where(Visit.id == visit_id, visible_condition(actor))
    )
    row = db.session.execute(query).first()
    return _row(row) if row else None


def list_visits(
    *,
    actor: Actor,
    after: tuple[datetime, uuid.UUID] | None,
    limit: int,
    review_status: str | None = None,
    region: str | None = None,
    household_id: uuid.UUID | None = None,
) -> list[dict[str, Any]]:
    """Newest received first, keyset on (received_at, id)."""
    query = (
        sa.select(*_columns())
        .join(Household, Household.id == Visit.household_id)
        .where(visible_condition(actor))
        .order_by(Visit.received_at.desc(), Visit.id.desc())
        .limit(limit)
    )
    if after is not None:
        query = query.where(sa.tuple_(Visit.received_at, Visit.id) < sa.tuple_(*after))
    if review_status:
        query = query.where(Visit.review_status == review_status)
    if region:
        query = query.where(in_region(Household.region_code, region))
    if household_id:
        query = query.where(Visit.household_id == household_id)
    return [_row(row) for row in db.session.execute(query)]


# --- the sync push ------------------------------------------------------------------------------------

StoredVisit = namedtuple("StoredVisit", "id household_id enumerator_id content_hash received_at flags")
PushHousehold = namedtuple("PushHousehold", "id version region_code source campaign_id lon lat aid")


@dataclass(frozen=True)
class PushFacts:
    """Everything the push looks up about a batch before it writes, read in one statement."""

    programs: set[str]  # every aid programme code
    stored: dict[uuid.UUID, StoredVisit]  # visits stored under the items' ids or named as superseded
    missing_photos: dict[uuid.UUID, list[uuid.UUID]]  # stored visit → its declared photos without bytes
    households: dict[uuid.UUID, PushHousehold]  # see households_for_push_query
    earlier: dict[uuid.UUID, list[uuid.UUID]]  # household → ids of the visits already stored for it
    campaign_settings: dict[int, dict]  # the user's live campaigns
    nik_elsewhere: set[tuple[uuid.UUID, str]]  # see niks_held_elsewhere_query
    photos_with_bytes: set[uuid.UUID]  # declared photos whose bytes are here (stored, or an upload waiting)
    villages: set[str]  # of the proposals' region codes, those of a kelurahan/desa
    locked: set[str]  # of the households' and proposals' kelurahan, those with a locked musyawarah round


def push_facts(
    *,
    user_id: int,
    visit_ids: list[uuid.UUID],
    supersedes_ids: list[uuid.UUID],
    household_ids: list[uuid.UUID],
    new_niks: list[tuple[uuid.UUID, str]],
    photo_ids: list[uuid.UUID],
    proposal_regions: list[str],
) -> PushFacts:
    """The batch's lookups as sections of one SELECT (each a JSON array of rows): one round trip to
    PostgreSQL instead of one per lookup, which is what a push waits for on a loaded machine. The statement
    is built once (`_push_facts_statement`); each list goes as one array parameter."""
    params = {
        "user_id": user_id,
        "visit_ids": uuid_array(visit_ids),
        "known_ids": uuid_array(visit_ids + supersedes_ids),
        "household_ids": uuid_array(household_ids),
        "nik_households": uuid_array([pair[0] for pair in new_niks]),
        "niks": [pair[1] for pair in new_niks],
        "photo_ids": uuid_array(photo_ids),
        "proposal_regions": proposal_regions,
    }
    row = prepared.execute("push_facts", _push_facts_sql(), [params[name] for name in _FACTS_PARAMS]).one()
    found = row._mapping
    stored = [
        StoredVisit(UUID(id_), UUID(household), enumerator, digest, datetime.fromisoformat(received), flags)
        for id_, household, enumerator, digest, received, flags in found["stored"]
    ]
    missing: dict[uuid.UUID, list[uuid.UUID]] = {visit.id: [] for visit in stored}
    for visit_id, photo_id in found["missing"]:
        missing.setdefault(UUID(visit_id), []).append(UUID(photo_id))
    earlier: dict[uuid.UUID, list[uuid.UUID]] = {}
    for household_id, visit_id in found["earlier"]:
        earlier.setdefault(UUID(household_id), []).append(UUID(visit_id))
    households = [PushHousehold(UUID(values[0]), *values[1:]) for values in found["households"]]
    return PushFacts(
        programs={code for (code,) in found["programs"]},
        stored={visit.id: visit for visit in stored},
        missing_photos=missing,
        households={household.id: household for household in households},
        earlier=earlier,
        campaign_settings=dict(found["campaigns"]),
        nik_elsewhere={(UUID(household), nik) for household, nik in found["niks"]},
        photos_with_bytes={UUID(photo_id) for (photo_id,) in found["with_bytes"]},
        villages={code for (code,) in found["villages"]},
        locked={code for (code,) in found["locked"] + found["locked_proposed"]},
    )


# push_facts' parameters, in the order of the prepared statement's $1, $2, …
_FACTS_PARAMS = (
    "user_id",
    "visit_ids",
    "known_ids",
    "household_ids",
    "nik_households",
    "niks",
    "photo_ids",
    "proposal_regions",
)


@functools.cache
def _push_facts_sql() -> str:
    """push_facts' SELECT, built from the owning modules' statements once per process and prepared once per
    connection (server/prepared.py): the batch's lists are array parameters, so the statement is the same
    whatever the batch holds, where a list bound item by item (`IN (…)`) made a new statement of hundreds of
    parameters for every push (~20 ms of Python per batch of 100 to build, render and quote, and PostgreSQL
    parsed and planned it every time)."""
    user_id, households = _param("user_id"), _param("household_ids")
    sections = {
        "programs": sa.select(AidProgram.code),
        "stored": sa.select(
            Visit.id, Visit.household_id, Visit.enumerator_id, Visit.content_hash, Visit.received_at, Visit.flags
        ).where(one_of(Visit.id, _param("known_ids"))),
        "missing": missing_photos_query(visit_ids=_param("visit_ids")),
        "households": households_for_push_query(ids=households, user_id=user_id),
        "earlier": sa.select(Visit.household_id, Visit.id).where(one_of(Visit.household_id, households)),
        "campaigns": sa.select(Campaign.id, Campaign.settings).where(
            Campaign.id.in_(live_assignments(enumerator_id=user_id).with_only_columns(Assignment.campaign_id))
        ),
        "locked": locked_regions_query(
            codes=sa.select(Household.region_code).where(one_of(Household.id, households)).distinct()
        ),
        "niks": niks_held_elsewhere_query(households=_param("nik_households"), niks=_param("niks", sa.Text)),
        "with_bytes": photos_with_bytes_query(ids=_param("photo_ids")),
        "villages": village_codes_query(among=_param("proposal_regions", sa.Text)),
        "locked_proposed": locked_regions_query(codes=_param("proposal_regions", sa.Text)),
    }
    return prepared.sql_of(sa.select(*(_json_rows(query).label(name) for name, query in sections.items())))


def _param(name: str, type_: Any = sa.Uuid) -> sa.ColumnElement:
    """push_facts' parameter `name`: the user's id, or an array (of uuids unless said otherwise)."""
    position = prepared.placeholder(_FACTS_PARAMS.index(name) + 1)
    return position if name == "user_id" else sa.cast(position, ARRAY(type_))


def _json_rows(query: sa.Select) -> sa.ScalarSelect:
    """A statement's rows as one JSON array of arrays (in the statement's order): a section of push_facts."""
    rows = query.subquery()
    return (
        sa.select(sa.func.coalesce(sa.func.json_agg(sa.func.json_build_array(*rows.c)), sa.text("'[]'::json")))
        .select_from(rows)
        .scalar_subquery()
    )


def stored_visits(*, ids: list[uuid.UUID]) -> dict[uuid.UUID, Any]:
    """Visits already stored under these client ids (a push that lost a race with its twin)."""
    if not ids:
        return {}
    rows = db.session.execute(
        sa.select(
            Visit.id, Visit.household_id, Visit.enumerator_id, Visit.content_hash, Visit.received_at, Visit.flags
        ).where(Visit.id.in_(ids))
    )
    return {row.id: row for row in rows}


def households_for_push_query(*, ids: list[uuid.UUID] | sa.ColumnElement, user_id: int | sa.ColumnElement) -> sa.Select:
    """Version, region, source, registered point (lon, lat) and aid on record (`aid`: [[code, start, end], ...],
    receipts listed or disbursed, of the family or any member) of each household, and the active campaign
    that assigns it to this user (if any)."""
    live = (
        live_assignments(enumerator_id=user_id)
        .with_only_columns(Assignment.campaign_id)
        .where(Assignment.household_id == Household.id)
        .order_by(Assignment.campaign_id.desc())
        .limit(1)
        .correlate(Household)
        .scalar_subquery()
    )
    on_record = AidReceipt.status.in_(["listed", "disbursed"])
    entry = sa.func.jsonb_build_array(AidProgram.code, AidReceipt.period_start, AidReceipt.period_end)
    family_aid = (
        sa.select(sa.func.jsonb_agg(entry))
        .select_from(AidReceipt)
        .join(AidProgram, AidProgram.id == AidReceipt.program_id)
        .where(AidReceipt.household_id == Household.id, on_record)
        .correlate(Household)
        .scalar_subquery()
    )
    member_aid = (
        sa.select(sa.func.jsonb_agg(entry))
        .select_from(Member)
        .join(AidReceipt, AidReceipt.member_id == Member.id)
        .join(AidProgram, AidProgram.id == AidReceipt.program_id)
        .where(Member.household_id == Household.id, on_record)
        .correlate(Household)
        .scalar_subquery()
    )
    empty = sa.cast(sa.literal("[]"), JSONB)
    return sa.select(
        Household.id,
        Household.version,
        Household.region_code,
        Household.source,
        live.label("campaign_id"),
        sa.func.ST_X(Household.location).label("lon"),
        sa.func.ST_Y(Household.location).label("lat"),
        (sa.func.coalesce(family_aid, empty).op("||")(sa.func.coalesce(member_aid, empty))).label("aid"),
    ).where(one_of(Household.id, ids))


def niks_held_elsewhere_query(*, households: sa.ColumnElement, niks: sa.ColumnElement) -> sa.Select:
    """Of (household, NIK) pairs reported as new members (two arrays side by side), those whose NIK another
    (not merged) household's member (not removed) holds."""
    reported = sa.func.unnest(households, niks).table_valued("household_id", "nik").render_derived(name="r")
    return (
        sa.select(reported.c.household_id, reported.c.nik)
        .distinct()
        .join(Member, sa.and_(Member.nik == reported.c.nik, Member.household_id != reported.c.household_id))
        .join(Household, Household.id == Member.household_id)
        .where(Member.presence_status != "removed", Household.registry_status != "merged")
    )


def photos_with_bytes_query(*, ids: list[uuid.UUID] | sa.ColumnElement) -> sa.CompoundSelect:
    """Of these photo ids, those whose bytes are already here (stored, or a finished upload waiting)."""
    stored = sa.select(Photo.id).where(one_of(Photo.id, ids), Photo.uploaded_at.is_not(None))
    waiting = sa.select(UploadSession.photo_id).where(
        one_of(UploadSession.photo_id, ids), UploadSession.completed_at.is_not(None)
    )
    return sa.union(stored, waiting)


@dataclass
class Written:
    """What one write of a push's visits did (`write_visits`)."""

    visits: set[uuid.UUID]  # the visits inserted (a twin request may have won the others)
    photos: dict[uuid.UUID, set[uuid.UUID]]  # visit → the photo rows inserted for it
    waiting: set[uuid.UUID]  # of those photos, the ones whose upload finished before the visit came
    revisits: list[uuid.UUID]  # visits of the same households sent back for a revisit (to supersede)

    def add(self, other: Written) -> None:
        self.visits |= other.visits
        self.photos.update(other.photos)
        self.waiting |= other.waiting
        self.revisits += other.revisits


_VISIT_COLUMNS = (
    "id, household_id, campaign_id, enumerator_id, device_id, supersedes_id, base_version, device_time,"
    " device_utc_offset_min, received_at, clock_skew_s, location, location_accuracy_m, location_fixed_at,"
    " no_fix_reason, outcome, consent, answers, notes, content_hash, flags, priority, review_status"
)
_WRITE_VISITS = sa.text(
    f"""
    WITH v AS (
        INSERT INTO visits ({_VISIT_COLUMNS})
        SELECT {_VISIT_COLUMNS} FROM json_populate_recordset(NULL::visits, CAST(:visits AS json))
        ON CONFLICT (id) DO NOTHING
        RETURNING id, household_id
    ), p AS (
        {DECLARED_FROM_JSON}
         WHERE d.visit_id IN (SELECT id FROM v)
        ON CONFLICT (id) DO NOTHING
        RETURNING id, visit_id
    ), h AS (
        UPDATE households SET verification_status = 'visited', updated_at = now()
         WHERE id IN (SELECT household_id FROM v) AND verification_status IN ('unverified', 'revisit')
    ), a AS (
        {ENTRIES_FROM_JSON}
         WHERE e.object_id IN (SELECT id::text FROM v)
    )
    SELECT (SELECT coalesce(json_agg(id), '[]') FROM v) AS visits,
           (SELECT coalesce(json_agg(json_build_array(visit_id, id)), '[]') FROM p) AS photos,
           (SELECT coalesce(json_agg(DISTINCT u.photo_id), '[]') FROM photo_uploads u
             WHERE u.photo_id IN (SELECT id FROM p) AND u.completed_at IS NOT NULL) AS waiting,
           (SELECT coalesce(json_agg(x.id), '[]') FROM visits x
             WHERE x.household_id IN (SELECT household_id FROM v) AND x.review_status = 'revisit') AS revisits
    """
)


def write_visits(*, visits: list[dict[str, Any]], photos: list[dict[str, Any]], audit: list[dict[str, Any]]) -> Written:
    """The push's writes in one statement: the visits (ON CONFLICT DO NOTHING: a twin request racing this one
    cannot make a duplicate), and for those inserted, their declared photos, their households marked visited
    (households awaiting a visit now have one; this also sends them, with their last visit, to the phones)
    and their audit rows. The rows go as JSON arrays (json_populate_recordset over the table's own row type):
    one cached statement whatever the batch's size. `json`, not `jsonb`: each row's fields are read once from
    the text, where jsonb first built the whole array (~1 ms of PostgreSQL's CPU more per batch of 100)."""
    row = db.session.execute(
        _WRITE_VISITS,
        {"visits": _json(visits), "photos": _json(photos), "audit": _json(audit)},
    ).one()
    photos_by_visit: dict[uuid.UUID, set[uuid.UUID]] = {}
    for visit_id, photo_id in row.photos:
        photos_by_visit.setdefault(UUID(visit_id), set()).add(UUID(photo_id))
    return Written(
        visits={UUID(visit_id) for visit_id in row.visits},
        photos=photos_by_visit,
        waiting={UUID(photo_id) for photo_id in row.waiting},
        revisits=[UUID(visit_id) for visit_id in row.revisits],
    )


def _json(rows: list[dict[str, Any]]) -> str:
    """The rows as JSON for PostgreSQL (UUIDs, ISO 8601 times and dates, EWKT points as text), by msgspec: ~15x
    faster than json.dumps(default=str). The stored answers come out the same (their only non-JSON values are
    dates and ids, written alike); the content hash is computed elsewhere, unchanged."""
    return msgspec.json.encode(rows).decode()


def add_proposed_households(*, rows: list[dict[str, Any]]) -> None:
    if rows:
        db.session.execute(insert(Household.__table__).on_conflict_do_nothing(index_elements=["id"]), rows)


# --- photo flags -----------------------------------------------------------------------------------------


def visits_for_photo_flags(*, ids: list[uuid.UUID]) -> list[Any]:
    """What the photo flags compare against: each visit's flags, day, fix, campaign settings and status."""
    if not ids:
        return []
    return list(
        db.session.execute(
            sa.select(
                Visit.id,
                Visit.flags,
                Visit.priority,
                Visit.device_time,
                Visit.device_utc_offset_min,
                Visit.review_status,
                Visit.campaign_id,
                sa.func.ST_X(Visit.location).label("lon"),
                sa.func.ST_Y(Visit.location).label("lat"),
                Campaign.settings,
            )
            .outerjoin(Campaign, Campaign.id == Visit.campaign_id)
            .where(Visit.id.in_(ids))
        )
    )


def photo_facts(*, visit_ids: list[uuid.UUID]) -> list[Any]:
    """Every photo the visits declared: whether its bytes came, and when and where it was taken (the app's
    record first, EXIF second)."""
    if not visit_ids:
        return []
    return list(
        db.session.execute(
            sa.select(
                Photo.visit_id,
                Photo.uploaded_at,
                sa.func.coalesce(Photo.captured_at, Photo.exif_taken_at).label("taken_at"),
                sa.func.ST_X(sa.func.coalesce(Photo.capture_location, Photo.exif_location)).label("lon"),
                sa.func.ST_Y(sa.func.coalesce(Photo.capture_location, Photo.exif_location)).label("lat"),
            ).where(Photo.visit_id.in_(visit_ids))
        )
    )


def set_flags(*, rows: list[dict[str, Any]]) -> None:
    """rows: {id, flags, priority}."""
    if rows:
        db.session.execute(
            sa.update(Visit.__table__)
            .where(Visit.__table__.c.id == sa.bindparam("visit_id"))
            .values(flags=sa.bindparam("new_flags", type_=JSONB), priority=sa.bindparam("new_priority")),
            [{"visit_id": r["id"], "new_flags": r["flags"], "new_priority": r["priority"]} for r in rows],
        )
