"""OGC API - Features (Part 1: core, GeoJSON, OpenAPI 3.0) over the caller's area: the use cases behind the
thin routes of `server/gis/routes.py`.

Collections: `kelurahan` (boundaries with aggregate indicators; the only one a viewer gets, and for a viewer
any count of 1-4 households is suppressed, as is every count of a kelurahan with fewer than 5 households),
`households` (registered points with verification, registry and aid facts; never a name, NIK, No. KK or
address) and `visits` (captured fixes with their distance to the registered point; reviewers and above).
Pages are keyset pages in id order (`after`), so a client following `next` links reads every feature
exactly once. Any query parameter the collection does not declare is answered 400, as the standard asks.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from flask import url_for

from server.analytics.service import MAP_FIGURES
from server.analytics.service import kelurahan_figures as analytics_figures
from server.auth.access import Actor, region_in_scope
from server.errors import BAD_REQUEST, FORBIDDEN, NOT_FOUND, AppError
from server.gis import queries, versions
from server.gis.access import GIS_ROLES, STAFF_GIS_ROLES
from server.types import Outcome, RegistryStatus, ReviewStatus, Role, VerificationStatus

CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
CONFORMANCE = [
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
]
GEOJSON = "application/geo+json"
OPENAPI_JSON = "application/vnd.oai.openapi+json;version=3.0"
DEFAULT_LIMIT, MAX_LIMIT = 10, 10_000
SUPPRESS_BELOW = 5
COMMON_PARAMETERS = ("f", "limit", "bbox", "datetime", "resultType", "after")
FORMATS = ("json", "geojson")


@dataclass(frozen=True)
class Parameter:
    name: str
    description: str
    values: tuple[str, ...] = ()  # allowed values (comma-separated lists allowed when `many`)
    many: bool = False
    kind: str = "string"  # string | boolean | integer-list | region


@dataclass(frozen=True)
class Collection:
    id: str
    title: str
    description: str
    roles: tuple[Role, ...]
    parameters: tuple[Parameter, ...]
    properties: dict[str, str] = field(default_factory=dict)  # name -> JSON type, for the OpenAPI document
    temporal: bool = True


REGION = Parameter("kelurahan", "Kode kelurahan, atau kecamatan untuk semua kelurahannya / region code", kind="region")
COLLECTIONS = {
    collection.id: collection
    for collection in (
        Collection(
            "kelurahan",
            "Kelurahan",
            "Batas kelurahan dengan indikator agregat / kelurahan boundaries with aggregate indicators"
            " (for viewers, counts of fewer than 5 households are suppressed)",
            GIS_ROLES,
            (REGION,),
            {
                "code": "string",
                "name": "string",
                "kecamatan": "string",
                "kecamatan_name": "string",
                **{name: "integer" for name in queries.INDICATOR_COLUMNS},
                "visited_pct": "number",
            },
            temporal=False,
        ),
        Collection(
            "households",
            "Rumah tangga / Households",
            "Titik terdaftar rumah tangga dengan status dan fakta bantuan, tanpa identitas / registered points"
            " with verification, registry and aid facts; no names or identity numbers",
            STAFF_GIS_ROLES,
            (
                REGION,
                Parameter("verification_status", "Status verifikasi", tuple(s.value for s in VerificationStatus), True),
                Parameter("registry_status", "Status registri", tuple(s.value for s in RegistryStatus), True),
                Parameter("decile", "Desil 1-10, e.g. 1,2,3,4", tuple(str(n) for n in range(1, 11)), True),
                Parameter("programme", "Kode program yang diterima / programme code received"),
                Parameter("stacking", "Bantuan menumpuk / stacking", kind="boolean"),
                Parameter("no_aid", "Tanpa bantuan / receiving no aid", kind="boolean"),
                Parameter("flag", "Bendera / flag, e.g. outside_kelurahan, nik_duplicate"),
            ),
            {
                "kelurahan": "string",
                "kelurahan_name": "string",
                "kecamatan": "string",
                "decile": "integer",
                "registry_status": "string",
                "verification_status": "string",
                "programmes": "string",
                "programme_count": "integer",
                "stacking": "boolean",
                "no_aid": "boolean",
                "last_outcome": "string",
                "outside_kelurahan": "boolean",
                "updated_at": "string",
            },
        ),
        Collection(
            "visits",
            "Kunjungan / Visits",
            "Titik GPS kunjungan dengan jaraknya ke titik terdaftar / captured fixes and their distance to the"
            " registered point",
            STAFF_GIS_ROLES,
            (
                REGION,
                Parameter("outcome", "Hasil kunjungan / outcome", tuple(o.value for o in Outcome), True),
                Parameter("review_status", "Status tinjauan", tuple(s.value for s in ReviewStatus), True),
            ),
            {
                "household_id": "string",
                "kelurahan": "string",
                "outcome": "string",
                "review_status": "string",
                "visited_at": "string",
                "accuracy_m": "number",
                "distance_m": "number",
                "flags": "string",
            },
        ),
    )
}


def _bad(message: str, **details) -> AppError:
    return AppError(BAD_REQUEST, f"Parameter tidak valid / Invalid parameter: {message}", details=details)


def collections_for(actor: Actor) -> list[Collection]:
    return [collection for collection in COLLECTIONS.values() if actor.role in collection.roles]


def require_collection(actor: Actor, collection_id: str) -> Collection:
    collection = COLLECTIONS.get(collection_id)
    if collection is None:
        raise AppError(NOT_FOUND)
    if actor.role not in collection.roles:
        raise AppError(FORBIDDEN)
    return collection


def check_only(args, allowed: tuple[str, ...]) -> None:
    """400 for any parameter not in `allowed`; `f` must be JSON."""
    unknown = sorted(set(args) - set(allowed))
    if unknown:
        raise _bad("tidak dikenal / unknown", unknown=unknown)
    if "f" in args and args["f"] not in FORMATS:
        raise _bad("f", allowed=list(FORMATS))


# --- query parameters --------------------------------------------------------------------------------------
def parse_items_query(collection: Collection, args, actor: Actor) -> dict[str, Any]:
    allowed = COMMON_PARAMETERS + tuple(parameter.name for parameter in collection.parameters)
    check_only(args, allowed)
    query: dict[str, Any] = {"limit": _limit(args.get("limit")), "hits": _result_type(args.get("resultType"))}
    if "bbox" in args:
        query["bbox"] = _bbox(args["bbox"])
    if "datetime" in args:
        if not collection.temporal:
            raise _bad("datetime: koleksi ini tanpa waktu / this collection has no time")
        query["datetime"] = _interval(args["datetime"])
    if "after" in args:
        query["after"] = _after(collection, args["after"])
    for parameter in collection.parameters:
        if parameter.name in args:
            query[_criterion(parameter)] = _value(parameter, args[parameter.name], actor)
    return query


def household_criteria(args, actor: Actor, *, also: tuple[str, ...] = ()) -> dict[str, Any]:
    """The households collection's filters (kelurahan, statuses, decile, programme, stacking, no_aid, flag) and
    `bbox` as query criteria, read the same way by the exports, the tiles and the map page; a parameter
    outside these and `also` (the caller's own, read by the caller) is a 400."""
    collection = COLLECTIONS["households"]
    check_only(args, ("bbox", *also, *(parameter.name for parameter in collection.parameters)))
    criteria: dict[str, Any] = {}
    if "bbox" in args:
        criteria["bbox"] = _bbox(args["bbox"])
    for parameter in collection.parameters:
        if parameter.name in args:
            criteria[_criterion(parameter)] = _value(parameter, args[parameter.name], actor)
    return criteria


def _criterion(parameter: Parameter) -> str:
    return "region" if parameter.kind == "region" else parameter.name


def _digits(raw: str) -> bool:
    """ASCII digits only: str.isdigit() also says yes to '²' or '٦٤' (int() then fails, or no code matches)."""
    return raw.isascii() and raw.isdigit()


def _limit(raw: str | None) -> int:
    if raw is None:
        return DEFAULT_LIMIT
    if not _digits(raw) or not 1 <= int(raw) <= MAX_LIMIT:
        raise _bad("limit", minimum=1, maximum=MAX_LIMIT)
    return int(raw)


def _result_type(raw: str | None) -> bool:
    if raw in (None, "results"):
        return False
    if raw == "hits":
        return True
    raise _bad("resultType", allowed=["results", "hits"])


def _bbox(raw: str) -> tuple[float, float, float, float]:
    try:
        values = [float(part) for part in raw.split(",")]
    except ValueError:
        raise _bad("bbox: four numbers minx,miny,maxx,maxy (CRS84)") from None
    if len(values) != 4 or not (-180 <= values[0] <= 180 and -180 <= values[2] <= 180):
        raise _bad("bbox: four numbers minx,miny,maxx,maxy (CRS84)")
    if not (-90 <= values[1] <= values[3] <= 90):
        raise _bad("bbox: miny <= maxy within -90..90")
    return tuple(values)  # type: ignore[return-value]


def _instant(raw: str) -> datetime | None:
    if raw in ("", ".."):
        return None
    try:
        value = datetime.fromisoformat(raw)
    except ValueError:
        raise _bad("datetime: RFC 3339, or an interval start/end with '..' for an open end") from None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _interval(raw: str) -> tuple[datetime | None, datetime | None]:
    if "/" in raw:
        start, _, end = raw.partition("/")
        return _instant(start), _instant(end)
    instant = _instant(raw)
    return instant, instant


def _after(collection: Collection, raw: str):
    if collection.id == "kelurahan":
        return raw[:13]
    try:
        return uuid.UUID(raw)
    except ValueError:
        raise _bad("after") from None


def _value(parameter: Parameter, raw: str, actor: Actor):
    if parameter.kind == "boolean":
        if raw not in ("true", "false"):
            raise _bad(parameter.name, allowed=["true", "false"])
        return raw == "true"
    if parameter.kind == "region":
        if not _digits(raw.replace(".", "")) or len(raw) > 13:
            raise _bad(parameter.name)
        return raw
    values = [part for part in raw.split(",") if part] if parameter.many else [raw]
    if not values or len(raw) > 200:
        raise _bad(parameter.name)
    if parameter.values and any(value not in parameter.values for value in values):
        raise _bad(parameter.name, allowed=list(parameter.values))
    if parameter.name == "decile":
        return [int(value) for value in values]
    return values if parameter.many else values[0]


# --- documents ---------------------------------------------------------------------------------------------
def _link(href: str, rel: str, media: str, title: str | None = None) -> dict[str, str]:
    link = {"href": href, "rel": rel, "type": media}
    if title:
        link["title"] = title
    return link


def landing() -> dict[str, Any]:
    return {
        "title": "Verval - OGC API Features",
        "description": "Peta bantuan sosial Samarinda / Maps of social assistance (read-only; area-scoped)",
        "links": [
            _link(url_for("ogc.landing", _external=True), "self", "application/json", "Halaman ini / This document"),
            _link(url_for("ogc.api", _external=True), "service-desc", OPENAPI_JSON, "OpenAPI 3.0"),
            _link(url_for("ogc.conformance", _external=True), "conformance", "application/json", "Conformance"),
            _link(url_for("ogc.collections", _external=True), "data", "application/json", "Koleksi / Collections"),
        ],
    }


def conformance() -> dict[str, Any]:
    return {"conformsTo": CONFORMANCE}


def collection_document(collection: Collection, actor: Actor) -> dict[str, Any]:
    extent = queries.spatial_extent(actor)
    document = {
        "id": collection.id,
        "title": collection.title,
        "description": collection.description,
        "itemType": "feature",
        "crs": [CRS84],
        "links": [
            _link(url_for("ogc.collection", collection_id=collection.id, _external=True), "self", "application/json"),
            _link(url_for("ogc.items", collection_id=collection.id, _external=True), "items", GEOJSON, "Items"),
        ],
    }
    if extent:
        document["extent"] = {"spatial": {"bbox": [extent], "crs": CRS84}}
    return document


def collections_document(actor: Actor) -> dict[str, Any]:
    return {
        "links": [_link(url_for("ogc.collections", _external=True), "self", "application/json")],
        "collections": [collection_document(collection, actor) for collection in collections_for(actor)],
    }


@dataclass
class ItemsAnswer:
    body: str


def _items_body(features: str, matched: int, returned: int, links: list[dict]) -> str:
    stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return (
        f'{{"type":"FeatureCollection","numberMatched":{matched},"numberReturned":{returned},'
        f'"timeStamp":"{stamp}","links":{json.dumps(links)},"features":{features}}}'
    )


def _page_links(collection: Collection, args, last_key: str | None, more: bool) -> list[dict]:
    params = {key: value for key, value in args.items() if key != "after"}
    links = [_link(url_for("ogc.items", collection_id=collection.id, _external=True, **args), "self", GEOJSON)]
    if more and last_key is not None:
        href = url_for("ogc.items", collection_id=collection.id, _external=True, **params, after=last_key)
        links.append(_link(href, "next", GEOJSON, "Halaman berikut / Next page"))
    links.append(
        _link(url_for("ogc.collection", collection_id=collection.id, _external=True), "collection", "application/json")
    )
    return links


def items(collection: Collection, args, actor: Actor) -> str:
    """The FeatureCollection text of one page (or only the counts, for resultType=hits)."""
    query = parse_items_query(collection, args, actor)
    if collection.id == "kelurahan":
        return _kelurahan_items(collection, args, actor, query)
    if collection.id == "households":
        versions.fresh_facts(versions.kecamatan_for(actor, query.get("region")))
        flt = queries.household_filter(actor, query)
        count, page_of = queries.household_count, queries.household_page
    else:
        flt = queries.visit_filter(actor, query)
        count, page_of = queries.visit_count, queries.visit_page
    matched = count(flt)
    if query["hits"]:
        return _items_body("[]", matched, 0, _page_links(collection, args, None, False))
    page = page_of(flt, after=query.get("after"), limit=query["limit"])
    return _items_body(page.features, matched, page.returned, _page_links(collection, args, page.last_key, page.more))


def item(collection: Collection, feature_id: str, actor: Actor) -> str:
    if collection.id == "kelurahan":
        features = _kelurahan_features(actor, region=None, bbox=None, after=None, limit=None, code=feature_id)
        if not features:
            raise AppError(NOT_FOUND)
        feature = features[0]
    else:
        try:
            key = uuid.UUID(feature_id)
        except ValueError:
            raise AppError(NOT_FOUND) from None
        if collection.id == "households":
            versions.fresh_facts(versions.kecamatan_for(actor, None))
            text = queries.household_feature(queries.household_filter(actor, {}), household_id=key)
        else:
            text = queries.visit_feature(queries.visit_filter(actor, {}), visit_id=key)
        if text is None:
            raise AppError(NOT_FOUND)
        feature = json.loads(text)
    feature["links"] = [
        _link(url_for("ogc.item", collection_id=collection.id, feature_id=feature_id, _external=True), "self", GEOJSON),
        _link(url_for("ogc.collection", collection_id=collection.id, _external=True), "collection", "application/json"),
    ]
    return json.dumps(feature)


# --- kelurahan with aggregates -----------------------------------------------------------------------------
def suppressed(values: dict[str, int | None]) -> dict[str, int | None]:
    """A viewer's copy: every count of a kelurahan with fewer than 5 households, and any count of 1-4, is null."""
    if (values.get("households") or 0) < SUPPRESS_BELOW:
        return {name: None for name in values}
    return {
        name: (None if value is not None and 0 < value < SUPPRESS_BELOW else value) for name, value in values.items()
    }


def kelurahan_aggregates(actor: Actor, criteria: dict[str, Any]) -> dict[str, dict[str, int | None]]:
    """{kelurahan code: indicators}: the map's counts over the caller's households matching `criteria` (the
    household filters; region among them) and the analytics page's figures of the current period for the same
    kelurahan (those follow the region only: they are the period's figures, not a household filter's)."""
    aggregates = queries.kelurahan_aggregates(queries.household_filter(actor, criteria))
    figures = analytics_figures(actor, criteria.get("region"))
    if figures is None:  # the period's first analysis is still running: unknown, not zero
        for values in aggregates.values():
            values.update(dict.fromkeys(MAP_FIGURES, None))
        return aggregates
    for code, values in figures.items():
        aggregates.setdefault(code, dict.fromkeys(queries.AGGREGATE_COLUMNS, 0)).update(values)
    return aggregates


def kelurahan_indicators(actor: Actor, aggregates: dict[str, dict[str, int]], code: str) -> dict[str, Any]:
    values: dict[str, int | None] = dict.fromkeys(queries.INDICATOR_COLUMNS, 0)
    values.update(aggregates.get(code) or {})
    if actor.role == Role.VIEWER:
        values = suppressed(values)
    households, visited = values.get("households"), values.get("visited")
    pct = round(100 * visited / households, 1) if households and visited is not None else None
    return {**values, "visited_pct": pct}


def _kelurahan_features(actor, *, region, bbox, after, limit, code: str | None = None) -> list[dict]:
    if code is not None:
        if not region_in_scope(actor, code):
            return []
        region = code
    shapes = queries.kelurahan_shapes(actor, region=region, bbox=bbox, after=after, limit=limit)
    if code is not None:
        shapes = [shape for shape in shapes if shape["code"] == code]
    if not shapes:
        return []
    versions.fresh_facts(versions.kecamatan_for(actor, region))
    aggregates = kelurahan_aggregates(actor, {"region": region} if region else {})
    return [
        {
            "type": "Feature",
            "id": shape["code"],
            "geometry": json.loads(shape["geometry"]) if shape["geometry"] else None,
            "properties": {
                "code": shape["code"],
                "name": shape["name"],
                "kecamatan": shape["kecamatan"],
                "kecamatan_name": shape["kecamatan_name"],
                **kelurahan_indicators(actor, aggregates, shape["code"]),
            },
        }
        for shape in shapes
    ]


def _kelurahan_items(collection: Collection, args, actor: Actor, query: dict) -> str:
    region, bbox = query.get("region"), query.get("bbox")
    matched = queries.kelurahan_count(actor, region=region, bbox=bbox)
    if query["hits"]:
        return _items_body("[]", matched, 0, _page_links(collection, args, None, False))
    features = _kelurahan_features(actor, region=region, bbox=bbox, after=query.get("after"), limit=query["limit"] + 1)
    more = len(features) > query["limit"]
    features = features[: query["limit"]]
    last = features[-1]["id"] if features else None
    return _items_body(json.dumps(features), matched, len(features), _page_links(collection, args, last, more))


# --- the OpenAPI document of /ogc/ ---------------------------------------------------------------------------
def openapi_document(actor: Actor) -> dict[str, Any]:
    """OpenAPI 3.0 of the OGC API as this caller sees it (its collections), declaring limit's range and
    resultType, which GDAL reads to size its pages and count features."""
    common = {
        "limit": {
            "name": "limit",
            "in": "query",
            "required": False,
            "style": "form",
            "explode": False,
            "schema": {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT, "default": DEFAULT_LIMIT},
        },
        "bbox": {
            "name": "bbox",
            "in": "query",
            "required": False,
            "style": "form",
            "explode": False,
            "schema": {"type": "array", "minItems": 4, "maxItems": 4, "items": {"type": "number"}},
        },
        "datetime": {"name": "datetime", "in": "query", "required": False, "schema": {"type": "string"}},
        "resultType": {
            "name": "resultType",
            "in": "query",
            "required": False,
            "schema": {"type": "string", "enum": ["hits", "results"], "default": "results"},
        },
        "after": {
            "name": "after",
            "in": "query",
            "required": False,
            "description": "Kunci halaman (dari tautan next) / page key, from the next link",
            "schema": {"type": "string"},
        },
        "f": {"name": "f", "in": "query", "required": False, "schema": {"type": "string", "enum": list(FORMATS)}},
    }
    json_ok = {"description": "OK", "content": {"application/json": {"schema": {"type": "object"}}}}
    geo_ok = {"description": "OK", "content": {GEOJSON: {"schema": {"type": "object"}}}}
    errors = {
        "400": {"description": "Parameter tidak valid / Invalid or unknown parameter"},
        "401": {"description": "Perlu token / Authentication required"},
        "403": {"description": "Tidak diizinkan / Not allowed for the role"},
        "404": {"description": "Tidak ditemukan / Not found"},
    }
    paths: dict[str, Any] = {
        "/": {"get": {"operationId": "getLandingPage", "summary": "Landing page", "responses": {"200": json_ok}}},
        "/conformance": {
            "get": {"operationId": "getConformance", "summary": "Conformance classes", "responses": {"200": json_ok}}
        },
        "/collections": {
            "get": {"operationId": "getCollections", "summary": "Collections", "responses": {"200": json_ok}}
        },
    }
    for collection in collections_for(actor):
        base = f"/collections/{collection.id}"
        filters = []
        for parameter in collection.parameters:
            schema: dict[str, Any] = {"type": "boolean"} if parameter.kind == "boolean" else {"type": "string"}
            if parameter.values and not parameter.many:
                schema["enum"] = list(parameter.values)
            filters.append(
                {
                    "name": parameter.name,
                    "in": "query",
                    "required": False,
                    "description": parameter.description,
                    "schema": schema,
                }
            )
        names = ["limit", "bbox", "resultType", "after", "f"] + (["datetime"] if collection.temporal else [])
        paths[base] = {
            "get": {
                "operationId": f"describe_{collection.id}",
                "summary": collection.title,
                "responses": {"200": json_ok, **errors},
            }
        }
        paths[f"{base}/items"] = {
            "get": {
                "operationId": f"get_{collection.id}_features",
                "summary": f"{collection.title}: features",
                "description": collection.description,
                "parameters": [common[name] for name in names] + filters,
                "responses": {"200": geo_ok, **errors},
            }
        }
        paths[f"{base}/items/{{featureId}}"] = {
            "get": {
                "operationId": f"get_{collection.id}_feature",
                "summary": f"{collection.title}: one feature",
                "parameters": [{"name": "featureId", "in": "path", "required": True, "schema": {"type": "string"}}],
                "responses": {"200": geo_ok, **errors},
            }
        }
    # The generic form GDAL's OAPIF driver reads to size its pages from limit's maximum.
    paths["/collections/{collectionId}/items"] = {
        "get": {
            "operationId": "getFeatures",
            "summary": "Features of a collection",
            "parameters": [
                {"name": "collectionId", "in": "path", "required": True, "schema": {"type": "string"}},
                common["limit"],
                common["bbox"],
                common["datetime"],
                common["resultType"],
                common["after"],
                common["f"],
            ],
            "responses": {"200": geo_ok, **errors},
        }
    }
    return {
        "openapi": "3.0.3",
        "info": {"title": "Verval OGC API - Features", "version": "1.0.0"},
        "servers": [{"url": url_for("ogc.landing", _external=True).rstrip("/")}],
        "components": {
            "securitySchemes": {
                "accessToken": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "Token akses pribadi (vrv_pat_…) / personal access token",
                }
            }
        },
        "security": [{"accessToken": []}],
        "paths": paths,
    }
