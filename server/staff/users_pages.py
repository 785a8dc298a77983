"""Admin pages (`/staff/pengguna…`, `/staff/audit`): create users with a role and an area, change them, reset a
password, revoke a lost phone; the audit trail with filters. Same services (and audit) as the admin API."""

from __future__ import annotations

import uuid

from flask import g, redirect, render_template, request, url_for
from marshmallow import ValidationError

from server.audit.schemas import AuditQuerySchema
from server.audit.service import read_entries
from server.errors import AppError
from server.staff import queries
from server.staff.access import staff_view
from server.staff.errors import problems_of
from server.staff.i18n import localized
from server.staff.routes import bp
from server.types import Role
from server.users import service
from server.users.schemas import UserCreateSchema, UserUpdateSchema

ROLES = [role.value for role in Role]


def _regions() -> list[dict]:
    return queries.regions_in_scope(actor=g.actor)


@bp.route("/pengguna", methods=["GET", "POST"])
@staff_view(Role.ADMIN)
def users():
    """Every account, a page at a time in the order of a column header; the form creates one (role, area,
    first password)."""
    problems, form, created = [], {}, None
    if request.method == "POST":
        form = {
            "username": request.form.get("username", "").strip(),
            "full_name": request.form.get("full_name", "").strip(),
            "role": request.form.get("role", ""),
            "region_codes": request.form.getlist("region_codes"),
            "password": request.form.get("password", ""),
        }
        try:
            created = service.create_user(UserCreateSchema().load(form), actor_id=g.actor.user_id)
        except (ValidationError, AppError) as error:
            problems = problems_of(error)
        else:
            form = {}
    args = {key: value for key, value in request.args.items() if value and key in ("sort", "cursor")}
    users, next_cursor, list_problems = [], None, []
    try:
        users, next_cursor = service.users_page(args.get("sort"), args.get("cursor"))
    except AppError as error:
        list_problems = problems_of(error)
    return render_template(
        "staff/users/list.html",
        users=users,
        places=queries.region_names(codes=sorted({code for user in users for code in user.region_codes})),
        next_cursor=next_cursor,
        args=args,
        sort=args.get("sort") or "username",
        list_problems=list_problems,
        roles=ROLES,
        regions=_regions(),
        form=form,
        problems=problems,
        created=created,
    ), (422 if problems else 200)


@bp.route("/pengguna/<int:user_id>", methods=["GET", "POST"])
@staff_view(Role.ADMIN)
def users_detail(user_id: int):
    """One account: role, area, active; password reset; the phones it logged in on, each revocable."""
    problems, notice = [], None
    if request.method == "POST":
        action = request.form.get("action")
        try:
            if action == "update":
                data = {
                    "full_name": request.form.get("full_name", "").strip(),
                    "role": request.form.get("role", ""),
                    "region_codes": request.form.getlist("region_codes"),
                    "active": request.form.get("active") == "on",
                }
                service.update_user(user_id, UserUpdateSchema().load(data), g.actor)
                notice = "saved"
            elif action == "password":
                service.reset_password(user_id, request.form.get("password", ""))
                notice = "password"
            elif action == "revoke":
                service.revoke_device(uuid.UUID(request.form.get("device_id", "")))
                notice = "revoked"
        except (ValidationError, AppError) as error:
            problems = problems_of(error)
        except ValueError:
            problems = [localized("Isian tidak valid / Invalid entry")]
        if notice and not problems:
            return redirect(url_for("staff.users_detail", user_id=user_id, selesai=notice))
    user = service.require_user(user_id)
    return render_template(
        "staff/users/detail.html",
        user=user,
        devices=service.devices_of(user_id),
        roles=ROLES,
        regions=_regions(),
        problems=problems,
    ), (422 if problems else 200)


@bp.get("/audit")
@staff_view(Role.ADMIN)
def audit():
    """The audit trail, newest first or in the order of a column header, filtered by actor, action, object and
    time."""
    args = {key: value for key, value in request.args.items() if value and key in AuditQuerySchema().fields}
    entries, next_cursor, problems = [], None, []
    try:
        entries, next_cursor = read_entries(AuditQuerySchema().load({**args, "limit": 100}))
    except (ValidationError, AppError) as error:
        problems = problems_of(error)
    return render_template(
        "staff/users/audit.html",
        entries=entries,
        next_cursor=next_cursor,
        args=args,
        sort=args.get("sort") or "time",
        problems=problems,
    )
