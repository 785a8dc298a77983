"""The map page of the staff workspace (`/staff/peta`): MapLibre GL over our own vector tiles (the island
pwa/staff/map.js), a choropleth whose metric the user picks, layer toggles and a legend; without WebGL (or
JavaScript) the server-drawn SVG choropleth and the table of kelurahan stay instead. Tiles for the page are
served under /staff/peta/tiles with the workspace's session, through the same service as /api/v1/tiles.
"""

from __future__ import annotations

import json
import os

from flask import Blueprint, Response, current_app, g, render_template, request, url_for
from flask_babel import lazy_gettext as _l

from server.gis import queries, tiles, versions
from server.gis.access import GIS_ROLES
from server.gis.ogc import kelurahan_aggregates, kelurahan_indicators
from server.staff.access import staff_view
from server.types import Role

bp = Blueprint("staff_maps", __name__, url_prefix="/staff/peta", template_folder="templates")

METRICS = {
    "visited_pct": _l("Kemajuan verifikasi (%)"),
    "poor_without_aid": _l("Desil 1-4 tanpa bantuan"),
    "stacking": _l("Bantuan menumpuk"),
    "no_aid": _l("Tanpa bantuan"),
    "outside_kelurahan": _l("Titik di luar kelurahan"),
}
# Five classes, light to dark (ColorBrewer PuBu), shared by the map and the SVG fallback.
PALETTE = ("#f1eef6", "#bdc9e1", "#74a9cf", "#2b8cbe", "#045a8d")
NO_DATA = "#d9d9d9"


def _breaks(values: list[float]) -> list[float]:
    """Four class limits (equal intervals from 0 to the largest value)."""
    top = max(values, default=0) or 1
    return [round(top * step / 5, 1) for step in range(1, 5)]


def _colour(value, breaks: list[float]) -> str:
    if value is None:
        return NO_DATA
    return PALETTE[sum(1 for limit in breaks if value > limit)]


def households_url() -> str:
    endpoint = "staff.households"
    return url_for(endpoint) if endpoint in current_app.view_functions else "/staff/rumah-tangga"


@bp.get("/")
@staff_view(*GIS_ROLES)
def index():
    actor = g.actor
    metric = request.args.get("metrik", "visited_pct")
    if metric not in METRICS:
        metric = "visited_pct"
    versions.fresh_facts(versions.kecamatan_for(actor, None))
    aggregates = kelurahan_aggregates(actor, None)
    view_box, shapes = queries.kelurahan_svg(actor)
    rows = [{**shape, **kelurahan_indicators(actor, aggregates, shape["code"])} for shape in shapes]
    breaks = {name: _breaks([row[name] for row in rows if row[name] is not None]) for name in METRICS}
    breaks["visited_pct"] = [20.0, 40.0, 60.0, 80.0]  # a share: the same classes everywhere
    for row in rows:
        row["colour"] = _colour(row[metric], breaks[metric])
    settings = {
        "index": url_for("staff_maps.tile_index"),
        "households": households_url(),
        "metrics": {name: {"label": str(label), "breaks": breaks[name]} for name, label in METRICS.items()},
        "palette": list(PALETTE),
        "noData": NO_DATA,
        "staff": actor.role != Role.VIEWER,
        # A raster tile URL template ({z}/{x}/{y}) of a basemap the office can reach; none by default.
        "basemap": current_app.config.get("MAP_BASEMAP_STYLE") or os.environ.get("MAP_BASEMAP_STYLE") or None,
    }
    return render_template(
        "gis/map.html",
        metric=metric,
        metrics=METRICS,
        rows=rows,
        view_box=view_box,
        breaks=breaks[metric],
        palette=PALETTE,
        settings=json.dumps(settings),
        households_url=households_url(),
        staff=actor.role != Role.VIEWER,
    )


@bp.get("/tiles.json")
@staff_view(*GIS_ROLES)
def tile_index():
    return {"data": tiles.index(g.actor, url_for("staff_maps.tile_index").rsplit(".json", 1)[0])}


@bp.get("/tiles/<layer>/<int:z>/<int:x>/<int:y>.mvt")
@staff_view(*GIS_ROLES)
def tile(layer: str, z: int, x: int, y: int):
    found = tiles.tile(g.actor, layer, z, x, y, region=request.args.get("region"), asked=request.args.get("v"))
    response = Response(found.data, mimetype=tiles.MEDIA_TYPE)
    response.headers["X-Data-Version"] = found.version
    response.headers["Vary"] = "Cookie"
    response.headers["Cache-Control"] = tiles.IMMUTABLE if found.current else tiles.REVALIDATE
    return response
