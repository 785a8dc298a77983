"""HTTP routes of the workspace's frame (`/staff/…`): login, logout, language, built assets, Beranda."""

from __future__ import annotations

import re

from flask import Blueprint, current_app, g, redirect, render_template, request, send_file, session, url_for
from flask_limiter.util import get_remote_address

from server.boundary import check_form
from server.errors import NOT_FOUND, AppError
from server.extensions import limiter
from server.staff import dashboard, service
from server.staff.access import safe_next, staff_actor, staff_view
from server.staff.assets import send_asset
from server.staff.i18n import LANGUAGES
from server.types import Role

bp = Blueprint("staff", __name__, url_prefix="/staff", template_folder="templates")


def _login_account_key() -> str:
    """As the API's login: failures per account *at this address* (server/auth/routes.py)."""
    username = request.form.get("username", "")
    return f"login-account:{username.strip().lower()[:64]}:{get_remote_address()}"


def _login_failures_key() -> str:
    return f"login-failures:{get_remote_address()}"


def _count_failures_only(response) -> bool:
    return response.status_code == 401


@bp.get("/")
def index():
    if staff_actor() is None:
        return redirect(url_for("staff.login"))
    return redirect(url_for("staff.beranda"))


@bp.route("/masuk", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["LOGIN_LIMIT_PER_ADDRESS"], methods=["POST"])
@limiter.limit(
    lambda: current_app.config["LOGIN_FAILURES_PER_ADDRESS"],
    key_func=_login_failures_key,
    deduct_when=_count_failures_only,
    methods=["POST"],
)
@limiter.limit(
    lambda: current_app.config["LOGIN_LIMIT_PER_ACCOUNT"],
    key_func=_login_account_key,
    deduct_when=_count_failures_only,
    methods=["POST"],
)
def login():
    """The login form (GET) and its submission (POST): same accounts, password rules and limits as the API."""
    target = safe_next(request.values.get("next"))
    if request.method == "GET":
        if staff_actor() is not None:
            return redirect(target or url_for("staff.beranda"))
        return render_template("staff/login.html", next=target, failed=False, username="")
    check_form()
    username = request.form.get("username", "").strip()[:64]
    password = request.form.get("password", "")[:1024]
    from server.errors import INVALID_CREDENTIALS

    try:
        user = service.login(username=username, password=password)
    except AppError as error:
        if error.kind != INVALID_CREDENTIALS:
            raise
        return render_template("staff/login.html", next=target, failed=True, username=username), 401
    if Role(user.role) == Role.ENUMERATOR:
        # Enumerators work in the phone app (the PWA at /), never in the office workspace.
        return redirect("/")
    return redirect(target or url_for("staff.beranda"))


@bp.post("/keluar")
def logout():
    service.logout()
    return redirect(url_for("staff.login"))


@bp.post("/bahasa")
def language():
    """Switch the workspace's language (kept in the session, also before login)."""
    chosen = request.form.get("lang")
    if chosen in LANGUAGES:
        session["lang"] = chosen
    return redirect(safe_next(request.form.get("next")) or url_for("staff.index"))


@bp.get("/assets/<path:path>")
def asset(path: str):
    return send_asset(path)


@bp.get("/beranda")
@staff_view()
def beranda():
    """Progress, phones, findings, visits per day and enumerator quality of the user's area."""
    kecamatan = request.args.get("kecamatan")
    if kecamatan and not re.fullmatch(r"\d{2}\.\d{2}\.\d{2}", kecamatan):
        kecamatan = None
    return render_template("staff/beranda.html", **dashboard.overview(g.actor, kecamatan))


@bp.route("/<path:rest>", methods=["GET", "POST"])
def unknown(rest: str):
    """Any other path under /staff/: the workspace's own 'not found' page (never the phone app's shell)."""
    raise AppError(NOT_FOUND)


@bp.get("/tugas/<uuid:job_id>")
@staff_view()
def job(job_id):
    """A background job (import, bulk decision, export) with its progress bar: the page polls itself while
    the job runs (htmx, every 2 s), survives being closed, and ends with the result or the reason it failed."""
    from server.jobs.service import job_view, require_visible

    view = job_view(require_visible(g.actor, job_id))
    running = view["state"] in ("queued", "running")
    template = "staff/_job.html" if request.headers.get("HX-Request") == "true" else "staff/job.html"
    return render_template(template, job=view, running=running)


@bp.get("/tugas/<uuid:job_id>/berkas")
@staff_view()
def job_file(job_id):
    """The file a finished job made (an export), for the user who started it only (audited)."""
    from server.jobs.service import result_file

    path, name, media_type = result_file(g.actor, job_id)
    return send_file(path, mimetype=media_type, as_attachment=True, download_name=name, max_age=0)


# The pages of other modules hang on this blueprint too.
from server.staff import households as _households  # noqa: E402, F401
from server.staff import imports_pages as _imports_pages  # noqa: E402, F401
from server.staff import users_pages as _users_pages  # noqa: E402, F401
