"""SQL of review: the queue (filters, keyset pages, facets), the locked visit a decision works on, the
household's other visits, target candidates for duplicates, and the writes of a decision."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB

from server.auth.access import Actor, in_region, in_scope, in_scope_sql
from server.auth.models import User
from server.campaigns.models import Campaign
from server.extensions import db
from server.history.models import RegistryChange
from server.households.models import Household, Member
from server.pagination import Keyset, natural_orders
from server.photos.models import Photo
from server.visits.models import Visit, VisitReview, VisitTally

# The queue's orders (`sort`): priority and date run highest / newest first, name and region A to Z; the
# `_asc` / `_desc` variant runs the other way. Nothing else is ever put into ORDER BY.
ORDERS = natural_orders(
    priority=Keyset((Visit.priority, Visit.received_at, Visit.id), (int, datetime.fromisoformat, uuid.UUID), True),
    date=Keyset((Visit.received_at, Visit.id), (datetime.fromisoformat, uuid.UUID), True),
    name=Keyset((Household.head_name, Visit.id), (str, uuid.UUID)),
    region=Keyset((Household.region_code, Household.head_name, Visit.id), (str, str, uuid.UUID)),
)
SORTS = tuple(ORDERS)


def _key_filters(actor: Actor | None, params: dict[str, Any], keys: Any, region_code: Any) -> list[sa.ColumnElement]:
    """The filters on the queue's keys (area, campaign, region, enumerator, outcome, flags), over `keys` (Visit
    or VisitTally: both name campaign_id, enumerator_id, outcome and flags) and its kelurahan column: the queue
    and the facets it counts filter alike."""
    conditions: list[sa.ColumnElement] = []
    if actor is not None:
        conditions.append(in_scope(actor, region_code))
    if params.get("campaign_id") is not None:
        conditions.append(keys.campaign_id == params["campaign_id"])
    if params.get("region"):
        conditions.append(in_region(region_code, params["region"]))
    if params.get("enumerator_id") is not None:
        conditions.append(keys.enumerator_id == params["enumerator_id"])
    if params.get("outcome"):
        conditions.append(keys.outcome.in_(params["outcome"]))
    for flag in params.get("flag") or ():
        conditions.append(keys.flags.contains([flag]))
    return conditions


def _filters(actor: Actor | None, params: dict[str, Any], *, with_status: bool = True) -> list[sa.ColumnElement]:
    """The queue's WHERE: the actor's area and the caller's filters (visits joined with their household)."""
    conditions = _key_filters(actor, params, Visit, Household.region_code)
    if with_status and params.get("status"):
        conditions.append(Visit.review_status.in_(params["status"]))
    if params.get("received_from") is not None:
        conditions.append(Visit.received_at >= params["received_from"])
    if params.get("received_to") is not None:
        conditions.append(Visit.received_at < params["received_to"])
    if params.get("household_id") is not None:
        conditions.append(Visit.household_id == params["household_id"])
    if params.get("field_proposals"):
        conditions.append(Household.source == "field")
    if params.get("unclaimed") and actor is not None:
        conditions.append(
            sa.or_(
                Visit.claimed_until.is_(None),
                Visit.claimed_until < sa.func.now(),
                Visit.claimed_by_id == actor.user_id,
            )
        )
    if params.get("group_by_household"):
        # One row per household: its top visit under the same filters (the others are counted on the row).
        other = sa.orm.aliased(Visit)
        conditions.append(
            ~sa.exists().where(
                other.household_id == Visit.household_id,
                other.review_status == Visit.review_status,
                sa.tuple_(other.priority, other.received_at, other.id)
                > sa.tuple_(Visit.priority, Visit.received_at, Visit.id),
            )
        )
    return conditions


def queue_page(*, actor: Actor | None, params: dict[str, Any], after: list | None, limit: int) -> list[dict[str, Any]]:
    """A page of the queue in the order `params["sort"]` names (ORDERS; priority by default), its sort key
    selected as `sort_0`…; `after` is the previous page's last key."""
    keyset = ORDERS[params.get("sort") or "priority"]
    same_household = (
        sa.select(sa.func.count())
        .select_from(sa.orm.aliased(Visit, name="sibling"))
        .where(sa.text("sibling.household_id = visits.household_id AND sibling.review_status = 'pending'"))
        .scalar_subquery()
    )
    query = (
        sa.select(
            Visit.id,
            Visit.household_id,
            Visit.campaign_id,
            Visit.enumerator_id,
            User.username.label("enumerator_username"),
            Visit.outcome,
            Visit.flags,
            Visit.priority,
            Visit.received_at,
            Visit.device_time,
            Visit.device_utc_offset_min,
            Visit.review_status,
            Visit.review_version,
            Visit.review_reason_code,
            Visit.claimed_by_id,
            Visit.claimed_until,
            Household.head_name,
            Household.region_code,
            Household.source.label("household_source"),
            same_household.label("household_pending_visits"),
            *keyset.labelled(),
        )
        .join(Household, Household.id == Visit.household_id)
        .join(User, User.id == Visit.enumerator_id)
        .where(*_filters(actor, params))
        .limit(limit)
    )
    return [dict(row) for row in db.session.execute(keyset.apply(query, after)).mappings()]


# The filters the facet counts kept by the database (`visit_tally`, migration 0027) can answer; any other
# (dates, a household, claims, field proposals, one row per household) counts the visits themselves.
TALLY_FILTERS = frozenset({"status", "campaign_id", "region", "enumerator_id", "outcome", "flag"})
# The tally is folded into one row per key once a reader finds more rows written since the last fold than
# folded ones (and at least this many).
TALLY_SLACK = 2000
FACETS = ("status", "outcome", "region", "enumerator", "flag")


def queue_facets(*, actor: Actor | None, params: dict[str, Any]) -> dict[str, dict[str, int]]:
    """Counts for the current filter: per status (ignoring the status filter), outcome, kelurahan,
    enumerator and flag (under every filter). Read from `visit_tally` when the filter allows (sums over a few
    thousand rows instead of a scan of every visit in the area joined with its household); otherwise one
    scan: the visits grouped by all five at once, summed up here."""
    given = {key for key, value in params.items() if value is not None and value is not False and value not in ([], "")}
    # The tally keeps "no campaign" as 0: a campaign_id of 0 or less (which no visit has) is counted from visits.
    if given <= TALLY_FILTERS and (params.get("campaign_id") is None or params["campaign_id"] > 0):
        return _tally_facets(actor, params)
    grouped = (
        sa.select(
            Visit.review_status,
            Visit.outcome,
            Household.region_code,
            Visit.enumerator_id,
            Visit.flags,
            sa.func.count().label("n"),
        )
        .join(Household, Household.id == Visit.household_id)
        .where(*_filters(actor, params, with_status=False))
        .group_by(Visit.review_status, Visit.outcome, Household.region_code, Visit.enumerator_id, Visit.flags)
    )
    statuses = set(params.get("status") or ())
    facets: dict[str, dict[str, int]] = {facet: {} for facet in FACETS}

    def add(facet: str, key: Any, count: int) -> None:
        facets[facet][str(key)] = facets[facet].get(str(key), 0) + count

    for status, outcome, region, enumerator, flags, count in db.session.execute(grouped):
        add("status", status, count)
        if statuses and status not in statuses:
            continue
        add("outcome", outcome, count)
        add("region", region, count)
        add("enumerator", enumerator, count)
        for flag in flags or ():
            add("flag", flag, count)
    return facets


def _tally_facets(actor: Actor | None, params: dict[str, Any]) -> dict[str, dict[str, int]]:
    """`queue_facets` summed in the database from `visit_tally`: each facet is one small GROUP BY over the
    area's tally rows (the rows are read once). Folds the tally afterwards when it has grown."""
    tally = VisitTally
    conditions = _key_filters(actor, params, tally, tally.region_code)
    rows = sa.select(tally.review_status, tally.outcome, tally.region_code, tally.enumerator_id, tally.flags,
                     tally.n, tally.folded).where(*conditions).cte("rows")  # fmt: skip
    counted = rows.c.review_status.in_(params["status"]) if params.get("status") else sa.true()
    total = sa.func.sum(rows.c.n)
    flag = sa.func.jsonb_array_elements_text(rows.c.flags).table_valued("value").render_derived("flag")
    parts = [
        sa.select(sa.literal("status"), rows.c.review_status, total).group_by(rows.c.review_status),
        sa.select(sa.literal("outcome"), rows.c.outcome, total).where(counted).group_by(rows.c.outcome),
        sa.select(sa.literal("region"), rows.c.region_code, total).where(counted).group_by(rows.c.region_code),
        sa.select(sa.literal("enumerator"), sa.cast(rows.c.enumerator_id, sa.String), total)
        .where(counted)
        .group_by(rows.c.enumerator_id),
        sa.select(sa.literal("flag"), flag.c.value, total)
        .select_from(rows.join(flag, sa.true()))
        .where(counted, rows.c.flags != sa.cast(sa.literal("[]"), JSONB))
        .group_by(flag.c.value),
    ]
    parts = [part.having(total > 0) for part in parts]
    # How many rows were read that a fold would merge: written since the last fold / folded ones.
    state = sa.case((rows.c.folded, "~folded"), else_="~written")
    parts.append(sa.select(state, sa.literal(""), sa.func.count()).group_by(state))
    facets: dict[str, dict[str, int]] = {facet: {} for facet in FACETS}
    read = {"~folded": 0, "~written": 0}
    for facet, key, count in db.session.execute(sa.union_all(*parts)):
        if facet in read:
            read[facet] = count
        else:
            facets[facet][key] = count
    if read["~written"] > max(TALLY_SLACK, read["~folded"]):
        compact_tally()
    return facets


def compact_tally() -> bool:
    """Fold `visit_tally` into one row per key, unless another transaction is doing so (then False)."""
    if not db.session.execute(sa.select(sa.func.pg_try_advisory_xact_lock(sa.func.hashtext("visit_tally")))).scalar():
        return False
    db.session.execute(sa.select(sa.func.compact_visit_tally()))
    return True


def visit_ids_matching(*, actor: Actor | None, params: dict[str, Any], limit: int) -> list[uuid.UUID]:
    """Ids of the visits under a filter (a bulk decision by filter), oldest first."""
    query = (
        sa.select(Visit.id)
        .join(Household, Household.id == Visit.household_id)
        .where(*_filters(actor, params))
        .order_by(Visit.received_at, Visit.id)
        .limit(limit)
    )
    return list(db.session.execute(query).scalars())


def count_matching(*, actor: Actor | None, params: dict[str, Any]) -> int:
    query = (
        sa.select(sa.func.count())
        .select_from(Visit)
        .join(Household, Household.id == Visit.household_id)
        .where(*_filters(actor, params))
    )
    return db.session.execute(query).scalar_one()


def lock_visit(*, actor: Actor | None, visit_id: uuid.UUID) -> Visit | None:
    """The visit within the actor's area (any, for a policy), row-locked for the decision."""
    query = (
        sa.select(Visit)
        .join(Household, Household.id == Visit.household_id)
        .where(Visit.id == visit_id)
        .with_for_update(of=Visit)
        .execution_options(populate_existing=True)
    )
    if actor is not None:
        query = query.where(in_scope(actor, Household.region_code))
    return db.session.execute(query).scalar_one_or_none()


def get_visit_in_scope(*, actor: Actor, visit_id: uuid.UUID) -> Visit | None:
    query = (
        sa.select(Visit)
        .join(Household, Household.id == Visit.household_id)
        .where(Visit.id == visit_id, in_scope(actor, Household.region_code))
    )
    return db.session.execute(query).scalar_one_or_none()


def visit_head_name(*, actor: Actor, visit_id: uuid.UUID) -> str | None:
    query = (
        sa.select(Household.head_name)
        .join(Visit, Visit.household_id == Household.id)
        .where(Visit.id == visit_id, in_scope(actor, Household.region_code))
    )
    return db.session.execute(query).scalar_one_or_none()


def lock_household(*, household_id: uuid.UUID) -> Household | None:
    return db.session.execute(
        sa.select(Household)
        .where(Household.id == household_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).scalar_one_or_none()


def household_in_scope(*, actor: Actor | None, household_id: uuid.UUID) -> Household | None:
    query = sa.select(Household).where(Household.id == household_id)
    if actor is not None:
        query = query.where(in_scope(actor, Household.region_code))
    return db.session.execute(query).scalar_one_or_none()


def members_of(*, household_id: uuid.UUID) -> dict[uuid.UUID, Member]:
    rows = db.session.execute(sa.select(Member).where(Member.household_id == household_id)).scalars()
    return {member.id: member for member in rows}


def other_pending_visits(*, household_id: uuid.UUID, excluding: uuid.UUID) -> list[Visit]:
    return list(
        db.session.execute(
            sa.select(Visit)
            .where(
                Visit.household_id == household_id,
                Visit.id != excluding,
                Visit.review_status == "pending",
            )
            .with_for_update()
        ).scalars()
    )


def supersede_visits(
    *, household_ids: list[uuid.UUID], status: str, excluding: list[uuid.UUID] | None = None, at: datetime
) -> list[tuple[uuid.UUID, uuid.UUID, int]]:
    """The households' visits in `status` (but `excluding`) become `superseded` in one statement, locked in id
    order first (as every decision locks); who decided them and why is kept. Returns (id, household id, new
    review version) of each."""
    if not household_ids:
        return []
    rows = db.session.execute(
        sa.text(
            """
            UPDATE visits v
               SET review_status = 'superseded', review_version = v.review_version + 1, reviewed_at = :at,
                   claimed_by_id = NULL, claimed_until = NULL
              FROM (SELECT id FROM visits
                     WHERE household_id = ANY(CAST(:households AS uuid[])) AND review_status = :status
                       AND id <> ALL(CAST(:excluding AS uuid[]))
                     ORDER BY id FOR UPDATE) AS locked
             WHERE v.id = locked.id
         RETURNING v.id, v.household_id, v.review_version
            """
        ),
        {
            "households": [str(h) for h in household_ids],
            "status": status,
            "excluding": [str(v) for v in excluding or ()],
            "at": at,
        },
    )
    return sorted(((row.id, row.household_id, row.review_version) for row in rows), key=lambda row: str(row[0]))


def add_reviews(*, rows: list[dict[str, Any]]) -> None:
    if rows:
        db.session.execute(sa.insert(VisitReview.__table__), rows)


def reviews_of(*, visit_id: uuid.UUID) -> list[dict[str, Any]]:
    query = (
        sa.select(
            VisitReview.id,
            VisitReview.decision,
            VisitReview.reason_code,
            VisitReview.comment,
            VisitReview.via,
            VisitReview.reviewer_id,
            User.username.label("reviewer_username"),
            VisitReview.created_at,
        )
        .outerjoin(User, User.id == VisitReview.reviewer_id)
        .where(VisitReview.visit_id == visit_id)
        .order_by(VisitReview.id)
    )
    return [dict(row) for row in db.session.execute(query).mappings()]


def photos_of(*, visit_id: uuid.UUID) -> list[dict[str, Any]]:
    query = (
        sa.select(
            Photo.id,
            Photo.kind,
            Photo.sha256,
            Photo.uploaded_at,
            Photo.media_type,
            Photo.width,
            Photo.height,
            Photo.captured_at,
            Photo.exif_taken_at,
            sa.func.ST_X(Photo.capture_location).label("capture_lon"),
            sa.func.ST_Y(Photo.capture_location).label("capture_lat"),
        )
        .where(Photo.visit_id == visit_id)
        .order_by(Photo.kind, Photo.id)
    )
    return [dict(row) for row in db.session.execute(query).mappings()]


def earlier_visits(*, household_id: uuid.UUID, excluding: uuid.UUID) -> list[dict[str, Any]]:
    query = (
        sa.select(
            Visit.id,
            Visit.outcome,
            Visit.device_time,
            Visit.received_at,
            Visit.enumerator_id,
            User.username.label("enumerator_username"),
            Visit.review_status,
            Visit.review_reason_code,
            Visit.review_comment,
            Visit.flags,
        )
        .join(User, User.id == Visit.enumerator_id)
        .where(Visit.household_id == household_id, Visit.id != excluding)
        .order_by(Visit.received_at.desc())
    )
    return [dict(row) for row in db.session.execute(query).mappings()]


def visit_point(*, visit_id: uuid.UUID) -> tuple[float, float] | None:
    row = db.session.execute(
        sa.select(sa.func.ST_X(Visit.location), sa.func.ST_Y(Visit.location)).where(Visit.id == visit_id)
    ).first()
    return None if row is None or row[0] is None else (row[0], row[1])


def target_candidates(
    *, actor: Actor | None, household_id: uuid.UUID, visit_id: uuid.UUID, limit: int = 10
) -> list[dict[str, Any]]:
    """Households the visited one may duplicate: same NIK or No. KK first, then similar head name (pg_trgm)
    ranked with the distance from the visit's fix; within the actor's area, never merged ones."""
    scope_sql, scope_params = in_scope_sql(actor, "c.region_code")
    rows = db.session.execute(
        sa.text(
            f"""
            WITH me AS (SELECT id, kk_number, head_name FROM households WHERE id = :household_id),
                 fix AS (SELECT location FROM visits WHERE id = :visit_id),
                 exact AS (
                    SELECT c.id, 'nik' AS matched_by FROM members m
                      JOIN members o ON o.nik = m.nik AND o.household_id <> m.household_id
                      JOIN households c ON c.id = o.household_id
                     WHERE m.household_id = :household_id AND m.nik IS NOT NULL
                    UNION
                    SELECT c.id, 'kk_number' FROM households c, me
                     WHERE c.kk_number = me.kk_number AND c.id <> me.id
                 ),
                 by_name AS (
                    SELECT c.id, 'name' AS matched_by FROM households c, me
                     WHERE c.id <> me.id AND c.head_name % me.head_name
                     ORDER BY similarity(c.head_name, me.head_name) DESC LIMIT 50
                 ),
                 pool AS (SELECT id, min(matched_by) AS matched_by, bool_or(matched_by <> 'name') AS exact
                            FROM (SELECT * FROM exact UNION ALL SELECT * FROM by_name) p GROUP BY id)
            SELECT c.id, c.head_name, c.region_code, c.rt, c.rw, c.registry_status, p.matched_by,
                   round(similarity(c.head_name, me.head_name)::numeric, 3)::float8 AS name_similarity,
                   CASE WHEN c.location IS NULL OR fix.location IS NULL THEN NULL
                        ELSE round(ST_Distance(c.location::geography, fix.location::geography)::numeric, 1)::float8
                   END AS distance_m
              FROM pool p JOIN households c ON c.id = p.id CROSS JOIN me LEFT JOIN fix ON TRUE
             WHERE c.registry_status <> 'merged' AND ({scope_sql})
             ORDER BY p.exact DESC, similarity(c.head_name, me.head_name) DESC, distance_m NULLS LAST
             LIMIT :limit
            """
        ),
        {"household_id": household_id, "visit_id": visit_id, "limit": limit, **scope_params},
    ).mappings()
    return [dict(row) for row in rows]


def set_location_from_visit(*, household_id: uuid.UUID, visit_id: uuid.UUID) -> None:
    db.session.execute(
        sa.text(
            "UPDATE households h SET location = v.location, location_accuracy_m = v.location_accuracy_m "
            "FROM visits v WHERE h.id = :household_id AND v.id = :visit_id"
        ),
        {"household_id": household_id, "visit_id": visit_id},
    )


def now() -> datetime:
    return db.session.execute(sa.select(sa.func.now())).scalar_one()


# --- decisions on many visits at once ------------------------------------------------------------------------


def lock_visits(*, actor: Actor | None, ids: list[uuid.UUID]) -> dict[uuid.UUID, Visit]:
    """The visits among `ids` within the actor's area (any, for a policy), row-locked, in id order."""
    if not ids:
        return {}
    query = (
        sa.select(Visit)
        .join(Household, Household.id == Visit.household_id)
        .where(Visit.id.in_(ids))
        .order_by(Visit.id)
        .with_for_update(of=Visit)
        .execution_options(populate_existing=True)
    )
    if actor is not None:
        query = query.where(in_scope(actor, Household.region_code))
    return {visit.id: visit for visit in db.session.execute(query).scalars()}


def lock_households(*, ids: list[uuid.UUID]) -> dict[uuid.UUID, Household]:
    if not ids:
        return {}
    query = (
        sa.select(Household)
        .where(Household.id.in_(ids))
        .order_by(Household.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return {household.id: household for household in db.session.execute(query).scalars()}


def members_by_household(*, ids: list[uuid.UUID]) -> dict[uuid.UUID, dict[uuid.UUID, Member]]:
    found: dict[uuid.UUID, dict[uuid.UUID, Member]] = {household_id: {} for household_id in ids}
    if ids:
        for member in db.session.execute(sa.select(Member).where(Member.household_id.in_(ids))).scalars():
            found[member.household_id][member.id] = member
    return found


def latest_house_conditions(*, ids: list[uuid.UUID]) -> dict[uuid.UUID, Any]:
    """The house condition the registry holds for each household (its latest settled change), if any."""
    if not ids:
        return {}
    rows = db.session.execute(
        sa.select(RegistryChange.household_id, RegistryChange.new_value)
        .where(
            RegistryChange.household_id.in_(ids),
            RegistryChange.field == "house_condition",
            RegistryChange.state.in_(["applied", "accepted"]),
        )
        .order_by(RegistryChange.household_id, RegistryChange.id.desc())
        .distinct(RegistryChange.household_id)
    )
    return {household_id: value for household_id, value in rows}


def set_locations_from_visits(*, pairs: list[tuple[uuid.UUID, uuid.UUID]]) -> None:
    """Households (household id, visit id) take the visit's fix as their registered point."""
    if pairs:
        db.session.execute(
            sa.text(
                """
                UPDATE households h SET location = v.location, location_accuracy_m = v.location_accuracy_m
                  FROM unnest(CAST(:households AS uuid[]), CAST(:visits AS uuid[])) AS p(household_id, visit_id)
                  JOIN visits v ON v.id = p.visit_id
                 WHERE h.id = p.household_id
                """
            ),
            {"households": [str(h) for h, _ in pairs], "visits": [str(v) for _, v in pairs]},
        )


def visit_points(*, ids: list[uuid.UUID]) -> dict[uuid.UUID, tuple[float, float]]:
    if not ids:
        return {}
    rows = db.session.execute(
        sa.select(Visit.id, sa.func.ST_X(Visit.location), sa.func.ST_Y(Visit.location)).where(
            Visit.id.in_(ids), Visit.location.is_not(None)
        )
    )
    return {visit_id: (lon, lat) for visit_id, lon, lat in rows}


def update_households_after_review(*, rows: list[tuple[str, str | None, int, str | None]], at: datetime) -> None:
    """Each (household id, verification status, version, head's name) in one statement; None keeps a value."""
    if rows:
        db.session.execute(
            sa.text(
                """
                UPDATE households h
                   SET verification_status = coalesce(r.status, h.verification_status), version = r.version,
                       head_name = coalesce(r.head_name, h.head_name), updated_at = :at
                  FROM unnest(CAST(:ids AS uuid[]), CAST(:statuses AS text[]), CAST(:versions AS integer[]),
                              CAST(:head_names AS text[])) AS r(id, status, version, head_name)
                 WHERE h.id = r.id
                """
            ),
            {
                "ids": [row[0] for row in rows],
                "statuses": [row[1] for row in rows],
                "versions": [row[2] for row in rows],
                "head_names": [row[3] for row in rows],
                "at": at,
            },
        )


def update_decided_visits(
    *,
    ids: list[uuid.UUID],
    status: str,
    reviewer_id: int | None,
    comment: str | None,
    reason_code: str | None,
    at: datetime,
) -> None:
    """The decision on these visits in one statement (review version bumped, claims released)."""
    if not ids:
        return
    values: dict[str, Any] = {
        "review_status": status,
        "review_version": Visit.review_version + 1,
        "reviewed_at": at,
        "claimed_by_id": None,
        "claimed_until": None,
        "reviewed_by_id": reviewer_id,
        "review_comment": comment,
        "review_reason_code": reason_code,
    }
    db.session.execute(
        sa.update(Visit).where(Visit.id.in_(ids)).values(**values).execution_options(synchronize_session=False)
    )


def campaign_settings(*, ids: list[int]) -> dict[int, dict[str, Any]]:
    if not ids:
        return {}
    rows = db.session.execute(sa.select(Campaign.id, Campaign.settings).where(Campaign.id.in_(ids)))
    return {campaign_id: settings or {} for campaign_id, settings in rows}
