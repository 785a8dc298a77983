"""The workspace page of one's own personal access tokens (`/staff/token-akses`): create one for QGIS or GDAL
(its secret shown on the answer page only, never again), list them with their state and last use, revoke one.
Same service (limits, hashing, audit) as `/api/v1/auth/tokens`; a user sees and revokes only their own here."""

from __future__ import annotations

import uuid

from flask import Blueprint, g, redirect, render_template, request, url_for
from marshmallow import ValidationError

from server.errors import AppError
from server.gis.access import GIS_ROLES
from server.staff.access import staff_view
from server.staff.i18n import localized
from server.tokens import service
from server.tokens.schemas import AccessTokenCreateSchema

bp = Blueprint("staff_tokens", __name__, url_prefix="/staff/token-akses", template_folder="templates")

EXPIRY_DAYS = (30, 90, 180, 365)


def _problems(error: ValidationError | AppError) -> list[str]:
    if isinstance(error, AppError):
        return [localized(error.message)]
    return [localized(str(m)) for messages in error.messages.values() for m in messages]


def _page(*, created=None, secret: str | None = None, problems=(), form=None, status: int = 200):
    tokens = [(token, service.status_of(token)) for token in service.list_tokens(g.actor)]
    html = render_template(
        "tokens/index.html",
        tokens=tokens,
        created=created,
        secret=secret,
        problems=list(problems),
        form=form or {},
        expiry_days=EXPIRY_DAYS,
        ogc_url=url_for("ogc.landing", _external=True),
    )
    # The page that shows a secret must never be kept by a cache or restored from history.
    return html, status, {"Cache-Control": "no-store"}


@bp.get("/")
@staff_view(*GIS_ROLES)
def index():
    return _page()


@bp.post("/")
@staff_view(*GIS_ROLES)
def create():
    form = {"name": request.form.get("name", "").strip(), "expires_in_days": request.form.get("expires_in_days", "")}
    try:
        data = AccessTokenCreateSchema().load(form)
        token, secret = service.create_token(g.actor, name=data["name"], expires_in_days=data["expires_in_days"])
    except (ValidationError, AppError) as error:
        return _page(problems=_problems(error), form=form, status=422)
    return _page(created=token, secret=secret)


@bp.post("/<uuid:token_id>/cabut")
@staff_view(*GIS_ROLES)
def revoke(token_id: uuid.UUID):
    token = service.revoke_own(g.actor, token_id)
    return redirect(url_for("staff_tokens.index", dicabut=token.name))
