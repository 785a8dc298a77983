"""The map page of the staff workspace (`/staff/peta`): MapLibre GL over our own vector tiles (the island
pwa/staff/map.js), a choropleth whose metric the user picks, layer toggles and a legend; without WebGL (or
JavaScript) the server-drawn SVG choropleth and the table of kelurahan stay instead. Tiles for the page are
served under /staff/peta/tiles with the workspace's session, through the same service as /api/v1/tiles.

One filter state: the page reads the household list's filters from its query string (the list's names; the map
and the list link to each other with the same query), its tiles carry them as the OGC households parameters,
and its kelurahan table follows them and, with `terlihat=1&bbox=…` ("Hanya yang terlihat di peta"), the map's
visible extent (/staff/peta/tabel answers the table alone for the map to swap in). The basemap, none by
default, is server/gis/basemap.py's.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from flask import Blueprint, Response, abort, current_app, g, render_template, request, send_file, url_for
from flask_babel import lazy_gettext as _l

from server.auth.access import within
from server.errors import AppError
from server.gis import queries, tiles, versions
from server.gis.access import GIS_ROLES
from server.gis.basemap import basemap_origins, basemap_style, pmtiles_file
from server.gis.ogc import household_criteria, kelurahan_aggregates, kelurahan_indicators
from server.security.headers import csp_connecting
from server.staff.access import staff_view
from server.staff.queries import regions_in_scope
from server.types import Role

bp = Blueprint("staff_maps", __name__, url_prefix="/staff/peta", template_folder="templates")

METRICS = {
    "visited_pct": _l("Kemajuan verifikasi (%)"),
    "poor_without_aid": _l("Desil 1-4 tanpa bantuan"),
    "stacking": _l("Bantuan menumpuk"),
    "no_aid": _l("Tanpa bantuan"),
    "outside_kelurahan": _l("Titik di luar kelurahan"),
    "inclusion_error": _l("Salah sasaran: penerima bantuan yang tidak layak lagi"),
}
# The household list's filters (server/staff/households.py) and their names in the OGC API and tile URLs.
LIST_TO_OGC = {
    "region": "kelurahan",
    "verification_status": "verification_status",
    "registry_status": "registry_status",
    "decile": "decile",
    "program": "programme",
    "flag": "flag",
    "has_stacking": "stacking",
    "has_no_aid": "no_aid",
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


@dataclass
class MapFilter:
    """The page's share of the query string: the household list's filters (its names, so the map and the list
    read one query string; the name search `q` does not apply to a map), the same filters in the OGC API's
    names (for tile URLs), the query criteria, what was wrong with them, and the visible extent if the table
    should follow it."""

    listed: dict[str, str]
    ogc: dict[str, str]
    criteria: dict[str, Any]
    problems: list[str]
    extent: tuple[float, float, float, float] | None


def read_filter(actor, args) -> MapFilter:
    listed = {name: args[name] for name in LIST_TO_OGC if args.get(name)}
    ogc_args = {LIST_TO_OGC[name]: value for name, value in listed.items()}
    problems: list[str] = []
    try:
        criteria = household_criteria(ogc_args, actor)
    except AppError as error:
        problems.append(str(_l("Saringan tidak valid; peta menampilkan semua rumah tangga.")))
        problems += [f"{name}: {value}" for name, value in error.details.items() if name != "allowed"]
        listed, ogc_args, criteria = {}, {}, {}
    extent = None
    if args.get("terlihat") and args.get("bbox"):
        try:
            extent = household_criteria({"bbox": args["bbox"]}, actor)["bbox"]
        except AppError:
            problems.append(str(_l("Batas peta tidak valid; tabel menampilkan semua kelurahan.")))
    return MapFilter(listed, ogc_args, criteria, problems, extent)


def _rows(actor, flt: MapFilter) -> tuple[str | None, list[dict[str, Any]], list[dict[str, Any]]]:
    """(SVG viewBox, every kelurahan of the area with its figures under the filter for the SVG, the table's rows:
    those inside the filter's region and, when asked, the visible extent)."""
    region = flt.criteria.get("region")
    versions.fresh_facts(versions.kecamatan_for(actor, region))
    aggregates = kelurahan_aggregates(actor, flt.criteria)
    view_box, shapes = queries.kelurahan_svg(actor)
    rows = [{**shape, **kelurahan_indicators(actor, aggregates, shape["code"])} for shape in shapes]
    visible = queries.kelurahan_in_extent(actor, flt.extent) if flt.extent else None
    table = [
        row
        for row in rows
        if (region is None or within(row["code"], [region])) and (visible is None or row["code"] in visible)
    ]
    return view_box, rows, table


def _list_link(flt: MapFilter, code: str | None = None) -> str:
    """The household list of the same filters (of one kelurahan when `code` is given)."""
    query = dict(flt.listed)
    if code:
        query["region"] = code
    return f"{households_url()}?{urlencode(query)}" if query else households_url()


@bp.get("/")
@staff_view(*GIS_ROLES)
def index():
    actor = g.actor
    metric = request.args.get("metrik", "visited_pct")
    if metric not in METRICS:
        metric = "visited_pct"
    flt = read_filter(actor, request.args)
    view_box, rows, table = _rows(actor, flt)
    breaks = {name: _breaks([row[name] for row in rows if row[name] is not None]) for name in METRICS}
    breaks["visited_pct"] = [20.0, 40.0, 60.0, 80.0]  # a share: the same classes everywhere
    for row in rows:
        row["colour"] = _colour(row[metric], breaks[metric])
    settings = {
        "index": url_for("staff_maps.tile_index"),
        "table": url_for("staff_maps.table"),
        "households": households_url(),
        "filter": urlencode(flt.ogc),  # appended to every tile URL
        "listFilter": {name: value for name, value in flt.listed.items() if name != "region"},
        "region": flt.criteria.get("region"),
        "metrics": {name: {"label": str(label), "breaks": breaks[name]} for name, label in METRICS.items()},
        "palette": list(PALETTE),
        "noData": NO_DATA,
        "staff": actor.role != Role.VIEWER,
        "basemap": basemap_style(),
    }
    html = render_template(
        "gis/map.html",
        metric=metric,
        metrics=METRICS,
        rows=rows,
        table=table,
        view_box=view_box,
        breaks=breaks[metric],
        palette=PALETTE,
        settings=json.dumps(settings),
        flt=flt,
        args=flt.listed,
        regions=regions_in_scope(actor=actor),
        list_link=_list_link(flt),
        row_link=lambda code: _list_link(flt, code),
        visible_only=flt.extent is not None,
        staff=actor.role != Role.VIEWER,
    )
    origins = basemap_origins()
    return (html, {"Content-Security-Policy": csp_connecting(origins)}) if origins else html


@bp.get("/tabel")
@staff_view(*GIS_ROLES)
def table():
    """The page's kelurahan table alone, for the map to swap in when the filter's extent moves."""
    flt = read_filter(g.actor, request.args)
    _view_box, _rows_all, rows = _rows(g.actor, flt)
    return render_template(
        "gis/_table.html", table=rows, metrics=METRICS, flt=flt, row_link=lambda code: _list_link(flt, code)
    )


@bp.get("/tiles.json")
@staff_view(*GIS_ROLES)
def tile_index():
    return {"data": tiles.index(g.actor, url_for("staff_maps.tile_index").rsplit(".json", 1)[0])}


@bp.get("/tiles/<layer>/<int:z>/<int:x>/<int:y>.mvt")
@staff_view(*GIS_ROLES)
def tile(layer: str, z: int, x: int, y: int):
    actor = g.actor
    found = tiles.tile(
        actor,
        layer,
        z,
        x,
        y,
        region=request.args.get("region"),
        asked=request.args.get("v"),
        criteria=tiles.filter_criteria(actor, request.args),
    )
    response = Response(found.data, mimetype=tiles.MEDIA_TYPE)
    response.headers["X-Data-Version"] = found.version
    response.headers["Vary"] = "Cookie"
    response.headers["Cache-Control"] = tiles.IMMUTABLE if found.current else tiles.REVALIDATE
    return response


@bp.get("/latar.pmtiles")
@staff_view(*GIS_ROLES)
def basemap_file():
    """The configured basemap PMTiles file (server/gis/basemap.py), read by the map in HTTP ranges."""
    path = pmtiles_file()
    if path is None:
        abort(404)
    response = send_file(path, mimetype="application/vnd.pmtiles", conditional=True, max_age=3600)
    response.headers["Cache-Control"] = "private, max-age=3600"
    return response
