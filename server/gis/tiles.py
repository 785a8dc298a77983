"""Vector tiles of the map (`/api/v1/tiles/<layer>/<z>/<x>/<y>.mvt`): which layers a role gets, the zoom rules,
the data versions in tile URLs, and the in-process caches.

Layers: `kelurahan` (polygons with aggregate indicators, plus `kecamatan` outlines, at every zoom; the only
layer a viewer gets, with counts under 5 suppressed as in the OGC API), `households` (points with their facts
from zoom 13; below it a grid of counts, never a household's place), `visits` (captured fixes and their offset
to the registered point, from zoom 12; reviewers and above). No tile carries a name, NIK, No. KK or address.

Versions: one per kecamatan (households, visits, boundaries of that kecamatan; aid receipts share one
counter), so an approval in one kecamatan leaves every other kecamatan's tiles and cache entries valid. A
map asks `/api/v1/tiles` for one source per kecamatan of its area, each URL carrying `region` and `v`; a tile
asked with the current version is `private, immutable` for a year (the one exception to `no-store` on
personal data), any other answer `private, no-cache`. The server keeps hot tiles in a size-capped LRU keyed
by layer, z/x/y, region, version, the role's view (staff or viewer) and the part of the area the caller may
see, so two supervisors of one kecamatan share entries and nobody gets a tile of a wider scope.
"""

from __future__ import annotations

import hashlib
import re
import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from flask import current_app

from server.auth.access import Actor, region_in_scope, within
from server.errors import BAD_REQUEST, FORBIDDEN, NOT_FOUND, AppError
from server.gis import queries, versions
from server.gis.access import GIS_ROLES, STAFF_GIS_ROLES
from server.gis.ogc import household_criteria, kelurahan_aggregates, kelurahan_indicators
from server.types import Role

POINTS_FROM_ZOOM = 13
VISITS_FROM_ZOOM = 12
MAX_ZOOM = 22
MEDIA_TYPE = "application/vnd.mapbox-vector-tile"
IMMUTABLE = "private, max-age=31536000, immutable"
REVALIDATE = "private, no-cache"
REGION_CODE = re.compile(r"^\d{2}(\.\d{2}(\.\d{2}(\.\d{4})?)?)?$")


@dataclass(frozen=True)
class Layer:
    id: str
    roles: tuple[Role, ...]
    minzoom: int
    description: str


LAYERS = {
    layer.id: layer
    for layer in (
        Layer("kelurahan", GIS_ROLES, 0, "Kelurahan with aggregate indicators; kecamatan outlines"),
        Layer("households", STAFF_GIS_ROLES, 0, "Household points from zoom 13, a grid of counts below"),
        Layer("visits", STAFF_GIS_ROLES, VISITS_FROM_ZOOM, "Visit fixes and their offset to the registered point"),
    )
}


class LruBytes:
    """A thread-safe LRU of values whose total size stays under `max_bytes` (Martin's idea: cap by size)."""

    def __init__(self, max_bytes: int):
        self.max_bytes = max_bytes
        self.size = 0
        self.hits = 0
        self.misses = 0
        self._items: OrderedDict[tuple, tuple[Any, int]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple):
        with self._lock:
            found = self._items.get(key)
            if found is None:
                self.misses += 1
                return None
            self._items.move_to_end(key)
            self.hits += 1
            return found[0]

    def put(self, key: tuple, value: Any, size: int) -> None:
        if size > self.max_bytes:
            return
        with self._lock:
            if key in self._items:
                self.size -= self._items.pop(key)[1]
            self._items[key] = (value, size)
            self.size += size
            while self.size > self.max_bytes:
                _old, (_value, old_size) = self._items.popitem(last=False)
                self.size -= old_size

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self.size = self.hits = self.misses = 0


_caches: dict[str, LruBytes] = {}


def _cache(name: str, max_bytes: int) -> LruBytes:
    # One cache per database: a test process serves several apps, a server one.
    key = f"{name}:{current_app.config.get('SQLALCHEMY_DATABASE_URI')}"
    cache = _caches.get(key)
    if cache is None:
        cache = _caches.setdefault(key, LruBytes(max_bytes))
    return cache


def tile_cache() -> LruBytes:
    return _cache("tiles", int(current_app.config.get("TILE_CACHE_BYTES", 64 * 1024 * 1024)))


def aggregate_cache() -> LruBytes:
    return _cache("aggregates", 8 * 1024 * 1024)


def clear_caches() -> None:
    for cache in _caches.values():
        cache.clear()
    versions.forget()


@dataclass(frozen=True)
class View:
    """What part of the data a tile request covers: the region asked for and the caller's view of it."""

    region: str | None
    kecamatan: tuple[str, ...]  # whose versions make up this view's version
    role_view: str  # "viewer" (suppressed aggregates) or "staff"
    scope_key: tuple[str, ...]  # ("*",) when the caller sees the whole region, else their codes inside it


def view_for(actor: Actor, region: str | None) -> View:
    role_view = "viewer" if actor.role == Role.VIEWER else "staff"
    all_kecamatan = sorted(versions.kecamatan_versions())
    if region is not None and not REGION_CODE.match(region):
        raise AppError(BAD_REQUEST, details={"region": "a region code such as 64.72.01"})
    if region is None:
        scope = ("*",) if actor.is_admin else tuple(sorted(actor.region_codes))
        kecamatan = tuple(k for k in all_kecamatan if actor.is_admin or versions.overlaps(k, actor.region_codes))
        return View(None, kecamatan, role_view, scope)
    if region_in_scope(actor, region):
        scope = ("*",)
    else:
        inside = tuple(sorted(code for code in actor.region_codes if within(code, [region])))
        if not inside:
            raise AppError(NOT_FOUND)
        scope = inside
    kecamatan = tuple(k for k in all_kecamatan if within(k, [region]) or within(region, [k]))
    if not kecamatan:
        raise AppError(NOT_FOUND)
    return View(region, kecamatan, role_view, scope)


def version_of(view: View) -> str:
    current = versions.kecamatan_versions()
    if len(view.kecamatan) == 1:
        return current.get(view.kecamatan[0], "0")
    joined = "|".join(f"{code}:{current.get(code, '0')}" for code in view.kecamatan)
    return hashlib.sha1(joined.encode()).hexdigest()[:12]


def _check_layer(actor: Actor, layer_id: str) -> Layer:
    layer = LAYERS.get(layer_id)
    if layer is None:
        raise AppError(NOT_FOUND)
    if actor.role not in layer.roles:
        raise AppError(FORBIDDEN)
    return layer


def _check_tile(z: int, x: int, y: int) -> None:
    if not (0 <= z <= MAX_ZOOM and 0 <= x < 2**z and 0 <= y < 2**z):
        raise AppError(NOT_FOUND, details={"tile": "z 0-22, x and y 0 to 2^z - 1"})


@dataclass
class Tile:
    data: bytes
    version: str
    current: bool  # asked with the current version: immutable


def filter_criteria(actor: Actor, args) -> dict[str, Any]:
    """The household filters a tile URL may carry besides `region` and `v`: the OGC households collection's
    (kelurahan, verification_status, registry_status, decile, programme, stacking, no_aid, flag), so the map
    draws what the list and the exports select. Anything else is a 400."""
    criteria = household_criteria(args, actor, also=("region", "v"))
    criteria.pop("bbox", None)  # the tile is the extent
    return criteria


def _filter_key(criteria: dict[str, Any]) -> tuple:
    return tuple(sorted((name, tuple(v) if isinstance(v, list) else v) for name, v in criteria.items()))


def tile(
    actor: Actor,
    layer_id: str,
    z: int,
    x: int,
    y: int,
    *,
    region: str | None,
    asked: str | None,
    criteria: dict[str, Any] | None = None,
) -> Tile:
    layer = _check_layer(actor, layer_id)
    _check_tile(z, x, y)
    view = view_for(actor, region)
    version = version_of(view)
    criteria = criteria or {}
    key = (layer.id, z, x, y, view.region, version, view.role_view, view.scope_key, _filter_key(criteria))
    cache = tile_cache()
    data = cache.get(key)
    if data is None:
        data = _build(actor, layer, view, version, z, x, y, criteria)
        cache.put(key, data, len(data) + 200)
    return Tile(data=data, version=version, current=asked == version)


def _within_view(view: View, criteria: dict[str, Any]) -> dict[str, Any] | None:
    """The filter's criteria narrowed to the view's region (the more precise of the two region codes); None when
    the filter's region lies outside the view (nothing to draw)."""
    wanted = criteria.get("region")
    if view.region is None or wanted is None:
        return {**criteria, "region": wanted or view.region}
    if within(wanted, [view.region]):
        return criteria
    if within(view.region, [wanted]):
        return {**criteria, "region": view.region}
    return None


def _build(
    actor: Actor, layer: Layer, view: View, version: str, z: int, x: int, y: int, criteria: dict[str, Any]
) -> bytes:
    if z < layer.minzoom:
        return b""
    narrowed = _within_view(view, criteria)
    if layer.id == "kelurahan":  # the polygons of the view are drawn whatever the filter: only figures change
        return queries.kelurahan_tile(
            actor, region=view.region, z=z, x=x, y=y, indicators=_indicators(actor, view, version, narrowed)
        )
    if narrowed is None:
        return b""
    criteria = {name: value for name, value in narrowed.items() if value is not None}
    if layer.id == "households":
        flt = queries.household_filter(actor, criteria)
        if z >= POINTS_FROM_ZOOM:
            versions.fresh_facts(view.kecamatan)
            return queries.household_points_tile(flt, z=z, x=x, y=y)
        return queries.household_grid_tile(flt, z=z, x=x, y=y)
    # visits: the region only (the household filters describe households, not visits)
    return queries.visits_tile(queries.visit_filter(actor, {"region": criteria.get("region")}), z=z, x=x, y=y)


def _indicators(actor: Actor, view: View, version: str, criteria: dict[str, Any] | None) -> list[dict]:
    """Per-kelurahan indicators of the view's households matching the filter (masked for a viewer), cached by
    version, view and filter; none when the filter's region lies outside the view."""
    if criteria is None:
        return []
    key = ("kelurahan", view.region, version, view.role_view, view.scope_key, _filter_key(criteria))
    cache = aggregate_cache()
    found = cache.get(key)
    if found is None:
        criteria = {name: value for name, value in criteria.items() if value is not None}
        versions.fresh_facts(view.kecamatan)
        aggregates = kelurahan_aggregates(actor, criteria)
        codes = sorted(aggregates)
        found = [{"code": code, **kelurahan_indicators(actor, aggregates, code)} for code in codes]
        cache.put(key, found, 200 * (len(found) + 1))
    return found


def index(actor: Actor, base_url: str) -> dict[str, Any]:
    """The layers the caller may draw, one source per kecamatan of their area with its current version."""
    if actor.role not in GIS_ROLES:
        raise AppError(FORBIDDEN)
    current = versions.kecamatan_versions()
    if actor.is_admin:
        regions = sorted(current)
    else:
        regions = sorted(
            {
                code if len(code) >= 8 else k
                for code in actor.region_codes
                for k in current
                if versions.overlaps(k, [code])
            }
        )
    bounds = queries.kecamatan_bounds(sorted({code[:8] for code in regions}))
    layers = []
    for layer in LAYERS.values():
        if actor.role not in layer.roles:
            continue
        sources = []
        for code in regions:
            version = version_of(view_for(actor, code))
            sources.append(
                {
                    "region": code,
                    "version": version,
                    "bounds": bounds.get(code[:8]),
                    "tiles": [f"{base_url}/{layer.id}/{{z}}/{{x}}/{{y}}.mvt?region={code}&v={version}"],
                }
            )
        layers.append(
            {
                "id": layer.id,
                "description": layer.description,
                "minzoom": layer.minzoom,
                "maxzoom": MAX_ZOOM,
                "points_from_zoom": POINTS_FROM_ZOOM if layer.id == "households" else None,
                "sources": sources,
            }
        )
    return {"layers": layers}
