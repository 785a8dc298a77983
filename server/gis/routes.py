"""HTTP routes of the GIS doors: the OGC API - Features at /ogc/ (blueprint `ogc`) and the vector tiles at
/api/v1/tiles (blueprint `tiles`). Thin: parse, call server/gis/ogc.py or tiles.py, answer JSON, GeoJSON text
built by PostgreSQL, or MVT bytes."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from flask import Blueprint, Response, request, url_for

from server.api import Blueprint as ApiBlueprint
from server.auth.access import current_actor, require
from server.gis import exports, ogc, tiles
from server.gis.access import GIS_ROLES, require_gis
from server.gis.schemas import EXPORT_FILTERS, FeatureCollectionSchema, TileIndexResponseSchema
from server.http import ok
from server.types import Role

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


# --- vector tiles (/api/v1/tiles…) --------------------------------------------------------------------------
tiles_bp = ApiBlueprint("tiles", __name__, description="Peta: ubin vektor dan ekspor / Map tiles and exports")


@tiles_bp.get("/tiles")
@require_gis(*GIS_ROLES)
@tiles_bp.response(200, TileIndexResponseSchema, description="Layers and their sources")
@tiles_bp.doc(summary="Vector tile layers and sources (TileJSON-like)")
def tile_index():
    """The map layers the caller may draw, one tile source per kecamatan of their area with its data version.

    Each source's URL carries `region` and `v` (the region's data version): a tile asked with the current
    version may be cached for a year (`private, immutable`). Accepts a personal access token.
    """
    base = url_for("tiles.tile_index", _external=False)
    return ok(tiles.index(current_actor(), base))


@tiles_bp.get("/tiles/<layer>/<int:z>/<int:x>/<int:y>.mvt")
@require_gis(*GIS_ROLES)
@tiles_bp.response(200, content_type=tiles.MEDIA_TYPE, description="The tile (an empty tile is an empty body)")
@tiles_bp.alt_response(400, response="BadRequest")
@tiles_bp.alt_response(404, response="NotFound")
@tiles_bp.doc(
    summary="Vector tile (kelurahan, households, visits)",
    parameters=[
        {"in": "query", "name": "region", "schema": {"type": "string"}, "description": "Region code (kecamatan)"},
        {"in": "query", "name": "v", "schema": {"type": "string"}, "description": "Data version from /tiles"},
    ],
)
def vector_tile(layer: str, z: int, x: int, y: int):
    """One Mapbox Vector Tile of a layer, built by PostGIS (ST_AsMVT).

    `kelurahan`: polygons with aggregate indicators and `kecamatan` outlines, at every zoom (viewers: counts
    under 5 suppressed). `households` (staff): points from zoom 13 with verification and registry status,
    programme count and codes, stacking, no aid, decile, last outcome; a grid of counts below zoom 13.
    `visits` (staff): captured fixes and `visit_offsets` lines to the registered point, from zoom 12. Never a
    name, NIK or No. KK.
    """
    found = tiles.tile(current_actor(), layer, z, x, y, region=request.args.get("region"), asked=request.args.get("v"))
    return Response(
        found.data,
        mimetype=tiles.MEDIA_TYPE,
        headers={
            "Cache-Control": tiles.IMMUTABLE if found.current else tiles.REVALIDATE,
            "Vary": "Authorization, Cookie",
            "X-Data-Version": found.version,
        },
    )


# --- spatial exports (/api/v1/gis/exports…; a login, never a personal access token) ---------------------------


def _download(data: bytes | str, media: str, suffix: str) -> Response:
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    return Response(
        data,
        mimetype=media,
        headers={
            "Content-Disposition": f'attachment; filename="households-{stamp}.{suffix}"',
            "Cache-Control": "no-store",
        },
    )


@tiles_bp.get("/gis/exports/households.geojson")
@require(Role.ADMIN, Role.SUPERVISOR)
@tiles_bp.response(200, FeatureCollectionSchema, content_type=ogc.GEOJSON, description="RFC 7946 FeatureCollection")
@tiles_bp.alt_response(400, response="BadRequest")
@tiles_bp.doc(
    summary="Export households as GeoJSON (points with facts, no names or identity numbers)", parameters=EXPORT_FILTERS
)
def export_geojson():
    """GeoJSON of the households of a filter (audited)."""
    actor = current_actor()
    return _download(exports.geojson(actor, exports.criteria_from(request.args, actor)), ogc.GEOJSON, "geojson")


@tiles_bp.get("/gis/exports/households.gpkg")
@require(Role.ADMIN, Role.SUPERVISOR)
@tiles_bp.response(200, content_type="application/geopackage+sqlite3", description="OGC GeoPackage")
@tiles_bp.alt_response(400, response="BadRequest")
@tiles_bp.doc(summary="Export households as a GeoPackage (layer households, EPSG:4326)", parameters=EXPORT_FILTERS)
def export_geopackage():
    """GeoPackage of the households of a filter (audited)."""
    actor = current_actor()
    path = exports.geopackage(actor, exports.criteria_from(request.args, actor))
    try:
        data = Path(path).read_bytes()
    finally:
        Path(path).unlink(missing_ok=True)
    return _download(data, "application/geopackage+sqlite3", "gpkg")
