"""Review pages (`/staff/tinjauan…`) on the review API's services (server/review): the queue with filters and
facet counts, a visit side by side with the registry (changes highlighted), photos in a lightbox, decisions
with reason codes and keyboard shortcuts, and bulk approval of the filtered clean visits after showing how
many. Scope, claims, audit and what a decision does are the API's, whichever door a reviewer uses."""

from __future__ import annotations

import json
import uuid
from urllib.parse import urlencode

from flask import Blueprint, Response, g, redirect, render_template, request, session, url_for
from marshmallow import ValidationError

from server.errors import REVIEW_DECIDED, REVIEW_STALE, REVIEW_TARGET_REQUIRED, AppError
from server.households import queries as household_queries
from server.jobs.service import enqueue
from server.photos.service import readable_photo
from server.photos.storage import photo_storage
from server.review import catalog, service
from server.review.jobs import BULK
from server.review.schemas import QueueQuerySchema
from server.staff import queries
from server.staff.access import staff_view
from server.staff.cache import forget_all
from server.staff.errors import problems_of
from server.staff.i18n import localized
from server.staff.labels import region_codes_in
from server.staff.place import drawing, map_settings
from server.types import Role
from server.visits.flags import FLAGS

bp = Blueprint("staff_review", __name__, url_prefix="/staff/tinjauan", template_folder="templates")
REVIEWERS = (Role.ADMIN, Role.SUPERVISOR, Role.REVIEWER)
FILTERS = ("status", "region", "enumerator_id", "outcome", "flag", "sort")
# Bulk approval takes at most this many clean visits per confirmation (a job does the work above 200).
BULK_MAX = 2000


def _filters() -> dict[str, str]:
    return {key: request.args[key] for key in FILTERS if request.args.get(key)}


@bp.get("")
@staff_view(*REVIEWERS)
def queue():
    """The queue: filters with facet counts, a page of visits, bulk approval of the clean ones."""
    args = _filters()
    problems, rows, next_cursor, facets = [], [], None, {}
    try:
        params = QueueQuerySchema().load(
            {**args, **({"cursor": request.args["cursor"]} if request.args.get("cursor") else {})}
        )
        rows, next_cursor = service.queue(g.actor, params)
        # Exact and current: read from the counts the database keeps (review/queries.queue_facets).
        filters = {key: value for key, value in params.items() if key not in ("cursor", "limit", "sort")}
        facets = service.facets(g.actor, filters)
    except (ValidationError, AppError) as error:
        problems = problems_of(error)
    # Next / previous on the visit page walk this page of the queue.
    session["review_ids"] = [str(row["id"]) for row in rows]
    session["review_filters"] = urlencode(args)
    names = queries.enumerator_names(
        ids=[int(key) for key in facets.get("enumerator", {})] + [row["enumerator_id"] for row in rows]
    )
    regions = queries.region_names(codes=list(facets.get("region", {})) + [row["region_code"] for row in rows])
    return render_template(
        "staff/review/queue.html",
        rows=rows,
        next_cursor=next_cursor,
        facets=facets,
        args=args,
        problems=problems,
        names=names,
        regions=regions,
        flags=FLAGS,
        clean=sum(1 for row in rows if not row["flags"] and row["review_status"] == "pending"),
    )


def _clean_ids(args: dict[str, str]) -> list[uuid.UUID]:
    """Pending visits without any flag under the queue's filter (what bulk approval may approve)."""
    params = QueueQuerySchema().load({**args, "status": "pending", "limit": 200})
    ids, cursor = [], None
    while len(ids) < BULK_MAX:
        page, cursor = service.queue(g.actor, {**params, **({"cursor": cursor} if cursor else {})})
        ids += [row["id"] for row in page if not row["flags"]]
        if not cursor:
            break
    return ids[:BULK_MAX]


@bp.get("/setujui-massal")
@staff_view(*REVIEWERS)
def bulk_confirm():
    """How many clean visits the filter holds, before anything is approved."""
    args = _filters()
    ids = _clean_ids(args)
    return render_template("staff/review/bulk.html", args=args, count=len(ids), limit=BULK_MAX)


@bp.post("/setujui-massal")
@staff_view(*REVIEWERS)
def bulk_approve():
    args = {key: value for key, value in request.form.items() if key in FILTERS and value}
    ids = _clean_ids(args)
    expected = int(request.form.get("count", "-1"))
    if expected != len(ids):
        # The queue changed since the count was shown: show the new count instead of approving others.
        return render_template("staff/review/bulk.html", args=args, count=len(ids), limit=BULK_MAX, changed=True), 409
    if len(ids) > service.BULK_INLINE_MAX:
        job = enqueue(BULK, {"decision": "approve", "reason_code": None, "comment": None,
                             "ids": [str(i) for i in ids], "filter": None}, actor=g.actor)  # fmt: skip
        return redirect(url_for("staff.job", job_id=job.id))
    result = service.bulk_decide(g.actor, "approve", ids=ids, params=None, reason_code=None, comment=None)
    forget_all()
    return render_template("staff/review/bulk.html", args=args, count=len(ids), limit=BULK_MAX, result=result)


@bp.get("/kunjungan/<uuid:visit_id>")
@staff_view(*REVIEWERS)
def visit(visit_id: uuid.UUID, *, problems=None, status=200):
    detail = service.review_detail(g.actor, visit_id)
    place = queries.visit_place(visit_id=visit_id)
    household_id = detail["visit"]["household_id"]
    on_record = household_queries.aid_of(household_id=household_id)
    reported = set((detail["visit"]["answers"] or {}).get("aid_reported") or [])
    recorded = {row["program_code"] for row in on_record if row["status"] in ("listed", "disbursed")}
    ids = session.get("review_ids") or []
    here = ids.index(str(visit_id)) if str(visit_id) in ids else None
    return render_template(
        "staff/review/visit.html",
        decided=_decided_before(visit_id),
        d=detail,
        v=detail["visit"],
        place=place,
        drawing=drawing(place) if place else None,
        map_settings=json.dumps(map_settings(place)) if place else None,
        reported=sorted(reported),
        recorded=sorted(recorded),
        on_record=on_record,
        previous=ids[here - 1] if here else None,
        following=ids[here + 1] if here is not None and here + 1 < len(ids) else None,
        queue_url=url_for("staff_review.queue")
        + ("?" + session["review_filters"] if session.get("review_filters") else ""),
        reasons=catalog.REASONS,
        flags=FLAGS,
        problems=problems or [],
        names=queries.enumerator_names(ids=[detail["visit"]["enumerator_id"]]),
        places=queries.region_names(
            codes=region_codes_in(detail["comparison"], "now", "at_base", "found")
            + region_codes_in(detail["changes"], "old_value", "new_value")
        ),
    ), status


def _decided_before(visit_id: uuid.UUID) -> dict | None:
    """The visit decided just before this page was shown when it is another one (the queue moved on), with its
    household's head: the notice says whose decision was saved."""
    try:
        decided = uuid.UUID(request.args.get("diputuskan") or "")
    except ValueError:
        return None
    if decided == visit_id or not request.args.get("selesai"):
        return None
    head = service.visit_head_name(g.actor, decided)
    return None if head is None else {"id": decided, "head_name": head}


@bp.post("/kunjungan/<uuid:visit_id>/keputusan")
@staff_view(*REVIEWERS)
def decide(visit_id: uuid.UUID):
    """Approve, reject or send back, at the review version the reviewer saw."""
    decision = request.form.get("decision", "")
    reason = request.form.get("reason_code_" + decision) or None
    comment = (request.form.get("comment") or "").strip()[:2000] or None
    target = request.form.get("target_household_id") or None
    try:
        version = int(request.form.get("version", ""))
        service.decide(
            g.actor,
            visit_id,
            decision,
            expected_version=version,
            reason_code=reason,
            comment=comment,
            target_household_id=uuid.UUID(target) if target else None,
        )
    except ValueError:
        return visit(visit_id, problems=[localized("Isian tidak valid / Invalid entry")], status=422)
    except AppError as error:
        if error.kind in (REVIEW_STALE, REVIEW_DECIDED, REVIEW_TARGET_REQUIRED) or error.kind.status == 422:
            return visit(visit_id, problems=problems_of(error), status=error.kind.status)
        raise
    forget_all()  # the counts (facets, Beranda) have just changed
    # On to the next visit of the queue's page, if any; its notice names the decided visit (and links to it), so
    # the decision is never read as one about the household now on the screen.
    ids = session.get("review_ids") or []
    if str(visit_id) in ids and ids.index(str(visit_id)) + 1 < len(ids):
        following = ids[ids.index(str(visit_id)) + 1]
        return redirect(url_for("staff_review.visit", visit_id=following, selesai=decision, diputuskan=visit_id))
    return redirect(url_for("staff_review.visit", visit_id=visit_id, selesai=decision))


@bp.get("/foto/<uuid:photo_id>")
@staff_view(*REVIEWERS)
def photo(photo_id: uuid.UUID):
    """A visit's photo at full size (the API's rule and audit)."""
    from server.audit.service import record

    stored = readable_photo(g.actor, photo_id)
    small = request.args.get("kecil") == "1"
    record("photo.read", object_type="photo", object_id=photo_id, changes={"thumbnail": True} if small else None)
    key = stored.thumbnail_key if small else stored.storage_key
    return Response(
        photo_storage().read(key),
        mimetype="image/jpeg" if small else stored.media_type,
        headers={"Cache-Control": "private, no-store"},
    )
