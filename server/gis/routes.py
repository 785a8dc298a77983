"""HTTP routes of the GIS doors: the OGC API - Features at /ogc/ (blueprint `ogc`). Thin: parse, call
server/gis/ogc.py, answer JSON or GeoJSON text built by PostgreSQL."""

from __future__ import annotations

import json

from flask import Blueprint, Response, request

from server.auth.access import current_actor
from server.gis import ogc
from server.gis.access import GIS_ROLES, require_gis

ogc_bp = Blueprint("ogc", __name__)


def _answer(body: str | dict, media: str = "application/json") -> Response:
    text = body if isinstance(body, str) else json.dumps(body)
    return Response(text, mimetype=media, headers={"Cache-Control": "no-store"})


@ogc_bp.get("/", strict_slashes=False)
@require_gis(*GIS_ROLES)
def landing():
    ogc.check_only(request.args, ("f",))
    return _answer(ogc.landing())


@ogc_bp.get("/api")
@require_gis(*GIS_ROLES)
def api():
    ogc.check_only(request.args, ("f",))
    return _answer(ogc.openapi_document(current_actor()), ogc.OPENAPI_JSON)


@ogc_bp.get("/conformance")
@require_gis(*GIS_ROLES)
def conformance():
    ogc.check_only(request.args, ("f",))
    return _answer(ogc.conformance())


@ogc_bp.get("/collections")
@require_gis(*GIS_ROLES)
def collections():
    ogc.check_only(request.args, ("f",))
    return _answer(ogc.collections_document(current_actor()))


@ogc_bp.get("/collections/<collection_id>")
@require_gis(*GIS_ROLES)
def collection(collection_id: str):
    ogc.check_only(request.args, ("f",))
    actor = current_actor()
    return _answer(ogc.collection_document(ogc.require_collection(actor, collection_id), actor))


@ogc_bp.get("/collections/<collection_id>/items")
@require_gis(*GIS_ROLES)
def items(collection_id: str):
    actor = current_actor()
    found = ogc.require_collection(actor, collection_id)
    return _answer(ogc.items(found, request.args, actor), ogc.GEOJSON)


@ogc_bp.get("/collections/<collection_id>/items/<feature_id>")
@require_gis(*GIS_ROLES)
def item(collection_id: str, feature_id: str):
    ogc.check_only(request.args, ("f",))
    actor = current_actor()
    return _answer(ogc.item(ogc.require_collection(actor, collection_id), feature_id, actor), ogc.GEOJSON)
