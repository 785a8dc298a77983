"""HTTP routes of personal access tokens (`/api/v1/auth/tokens…`): create, list and revoke one's own."""

from __future__ import annotations

import uuid

from server.api import Blueprint
from server.auth.access import current_actor, require
from server.gis.access import GIS_ROLES
from server.http import ok
from server.tokens import service
from server.tokens.schemas import (
    AccessTokenCreatedResponseSchema,
    AccessTokenCreateSchema,
    AccessTokenListResponseSchema,
    AccessTokenResponseSchema,
    AccessTokenSchema,
    AccessTokenSecretSchema,
)

bp = Blueprint("tokens", __name__, description="Token akses pribadi / Personal access tokens")


def _dump(record, schema=AccessTokenSchema, secret: str | None = None) -> dict:
    values = {column: getattr(record, column) for column in schema().fields if hasattr(record, column)}
    values["status"] = service.status_of(record)
    if secret is not None:
        values["token"] = secret
    return schema().dump(values)


@bp.post("/auth/tokens")
@require(*GIS_ROLES)
@bp.arguments(AccessTokenCreateSchema)
@bp.response(201, AccessTokenCreatedResponseSchema, description="The token with its secret (shown once)")
@bp.alt_response(409, response="Conflict")
@bp.doc(summary="Create a personal access token (read-only, OGC API and tiles only)")
def create_token(body: dict):
    """Create a personal access token for a GIS client (QGIS, GDAL); the secret is in this answer only.

    The token reads `/ogc/…` and `/api/v1/tiles/…` as its user, with the user's role and area; every other
    endpoint refuses it. Send it as `Authorization: Bearer <token>`. At most 20 active tokens.
    """
    token, secret = service.create_token(current_actor(), name=body["name"], expires_in_days=body["expires_in_days"])
    return ok(_dump(token, AccessTokenSecretSchema, secret=secret), 201)


@bp.get("/auth/tokens")
@require(*GIS_ROLES)
@bp.response(200, AccessTokenListResponseSchema, description="Tokens, revoked and expired ones included")
@bp.doc(summary="List my personal access tokens")
def list_tokens():
    """The caller's personal access tokens, newest first (never their secrets)."""
    return ok([_dump(token) for token in service.list_tokens(current_actor())])


@bp.delete("/auth/tokens/<uuid:token_id>")
@require(*GIS_ROLES)
@bp.response(200, AccessTokenResponseSchema, description="The revoked token")
@bp.alt_response(404, response="NotFound")
@bp.doc(summary="Revoke a personal access token")
def revoke_token(token_id: uuid.UUID):
    """Revoke a personal access token: it stops working at once."""
    return ok(_dump(service.revoke_token(current_actor(), token_id)))
