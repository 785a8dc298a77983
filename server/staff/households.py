"""Household pages (`/staff/rumah-tangga…`): search and filters, detail (members, aid, visits, registry
change history), edit under the version the clerk saw. They call the household API's services, so scope,
masking (viewers: masked NIK / No. KK, no coordinates) and audit are the API's."""

from __future__ import annotations

import uuid

from flask import g, render_template, request
from marshmallow import ValidationError

from server.errors import HOUSEHOLD_STALE, AppError
from server.households import service
from server.households.schemas import HouseholdListQuerySchema, HouseholdPatchSchema
from server.review.service import change_history
from server.staff import queries
from server.staff.access import is_htmx, staff_view
from server.staff.errors import problems_of
from server.staff.labels import region_codes_in
from server.staff.routes import bp
from server.types import Role

EDITORS = (Role.ADMIN, Role.SUPERVISOR, Role.REVIEWER)
FILTERS = ("q", "region", "verification_status", "registry_status", "decile", "program", "flag", "has_stacking",
           "has_no_aid", "assigned", "enumerator_id", "sort")  # fmt: skip
EDIT_FIELDS = ("head_name", "address", "rt", "rw", "decile", "registry_status")


@bp.get("/rumah-tangga")
@staff_view()
def households():
    """Search by name, NIK, No. KK or registry id, with the API's filters; pages by cursor."""
    args = {key: value for key, value in request.args.items() if value not in ("", None)}
    items, next_cursor, problems, assigned_to = [], None, [], None
    queries.without_jit()  # a filtered page of 50 is cheap; JIT compiling its plan was not (bench/README.md)
    try:
        params = HouseholdListQuerySchema().load(args)
        items, next_cursor = service.list_households(g.actor, params)
    except (ValidationError, AppError) as error:
        problems = problems_of(error)
    else:
        if params.get("enumerator_id"):  # Beranda's link to an enumerator's households says whose they are
            assigned_to = queries.enumerator_names(ids=[params["enumerator_id"]]).get(params["enumerator_id"])
    context = {
        "items": items,
        "next_cursor": next_cursor,
        "problems": problems,
        "args": args,
        "regions": list_regions_in_scope(),
        "masked": service.masked_for(g.actor),
        "assigned_to": assigned_to,
        "sort": args.get("sort") or ("" if _by_similarity(args.get("q")) else "region"),
    }
    if is_htmx() and request.headers.get("HX-Target") == "hasil":
        return render_template("staff/households/_results.html", **context)
    return render_template("staff/households/list.html", **context)


def _by_similarity(q: str | None) -> bool:
    """A name search without a chosen order lists the most similar names first (a number search does not)."""
    digits = (q or "").replace(" ", "")
    return bool(digits) and not (digits.isascii() and digits.isdigit())


def list_regions_in_scope() -> list[dict]:
    """Kecamatan and kelurahan the user may filter by."""
    return queries.regions_in_scope(actor=g.actor)


@bp.get("/rumah-tangga/<uuid:household_id>")
@staff_view()
def households_detail(household_id: uuid.UUID):
    return _detail(household_id)


def _detail(household_id: uuid.UUID, *, form=None, problems=None, stale=None, saved=False, status=200):
    queries.without_jit()
    household = service.household_detail(g.actor, household_id)
    history = change_history(g.actor, household_id)
    return render_template(
        "staff/households/detail.html",
        h=household,
        history=history,
        form=form or {field: household.get(field) for field in EDIT_FIELDS},
        problems=problems or [],
        stale=stale,
        saved=saved,
        can_edit=g.actor.role in EDITORS,
        masked=service.masked_for(g.actor),
        places=queries.region_names(codes=region_codes_in(history["changes"], "old_value", "new_value")),
    ), status


@bp.post("/rumah-tangga/<uuid:household_id>")
@staff_view(*EDITORS)
def households_edit(household_id: uuid.UUID):
    """Save an edit under the version the clerk saw (hidden field): someone else's save in between is a
    clear message with their values, never a silent overwrite."""
    form = {field: request.form.get(field, "").strip() for field in EDIT_FIELDS}
    try:
        version = int(request.form.get("version", ""))
    except ValueError:
        version = -1
    current = service.household_detail(g.actor, household_id, audit_read=False)
    raw = {field: (value or None) for field, value in form.items()}
    raw["head_name"] = form["head_name"]
    changes = {field: value for field, value in raw.items() if str(value or "") != str(current.get(field) or "")}
    if not changes:
        return _detail(household_id, saved=True)
    try:
        data = HouseholdPatchSchema().load(changes)
        service.update_household(g.actor, household_id, version, data)
    except ValidationError as error:
        return _detail(household_id, form=form, problems=problems_of(error), status=422)
    except AppError as error:
        if error.kind != HOUSEHOLD_STALE:
            raise
        return _detail(household_id, form=form, stale=current, status=409)
    return _detail(household_id, saved=True)
