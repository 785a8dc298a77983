"""Marshmallow schemas of the GIS API's JSON answers (the tile index, the GeoJSON export) and the export's
query parameters; tiles themselves are binary MVT."""

from __future__ import annotations

from marshmallow import Schema, fields

from server.openapi.schemas import list_pattern
from server.types import RegistryStatus, VerificationStatus


class TileSourceSchema(Schema):
    region = fields.String(required=True, metadata={"description": "Kecamatan (or the caller's kelurahan) code"})
    version = fields.String(required=True, metadata={"description": "Data version of the region: part of the URL"})
    bounds = fields.List(fields.Float(), allow_none=True, metadata={"description": "minx, miny, maxx, maxy"})
    tiles = fields.List(fields.String(), required=True, metadata={"description": "URL template ({z}/{x}/{y})"})


class TileLayerSchema(Schema):
    id = fields.String(required=True)
    description = fields.String(required=True)
    minzoom = fields.Integer(required=True)
    maxzoom = fields.Integer(required=True)
    points_from_zoom = fields.Integer(allow_none=True)
    sources = fields.List(fields.Nested(TileSourceSchema), required=True)


class TileIndexSchema(Schema):
    layers = fields.List(fields.Nested(TileLayerSchema), required=True)


class TileIndexResponseSchema(Schema):
    data = fields.Nested(TileIndexSchema, required=True)


class FeatureSchema(Schema):
    type = fields.String(required=True, metadata={"enum": ["Feature"]})
    id = fields.String(required=True)
    geometry = fields.Dict(required=True, allow_none=True, metadata={"description": "A GeoJSON Point (CRS84)"})
    properties = fields.Dict(required=True)


class FeatureCollectionSchema(Schema):
    """RFC 7946 FeatureCollection of the households export (documentation only; written by gis.exports)."""

    type = fields.String(required=True, metadata={"enum": ["FeatureCollection"]})
    features = fields.List(fields.Nested(FeatureSchema), required=True)


_LON = r"-?(180(\.0+)?|(1[0-7][0-9]|[0-9]?[0-9])(\.[0-9]+)?)"
_LAT = r"-?(90(\.0+)?|[0-8]?[0-9](\.[0-9]+)?)"
# The households export's filters as ogc._value and ogc._bbox read them (anything else is a 400).
EXPORT_FILTERS = [
    {"in": "query", "name": name, "schema": schema, "description": description}
    for name, schema, description in (
        ("kelurahan", {"type": "string", "pattern": r"^[0-9.]*[0-9][0-9.]*$", "maxLength": 13}, "Region code"),
        (
            "verification_status",
            {"type": "string", "pattern": list_pattern([s.value for s in VerificationStatus]), "maxLength": 200},
            "Comma-separated list",
        ),
        (
            "registry_status",
            {"type": "string", "pattern": list_pattern([s.value for s in RegistryStatus]), "maxLength": 200},
            "Comma-separated list",
        ),
        (
            "decile",
            {"type": "string", "pattern": list_pattern([str(n) for n in range(10, 0, -1)]), "maxLength": 200},
            "e.g. 1,2,3,4",
        ),
        ("programme", {"type": "string", "maxLength": 200}, "Programme code"),
        ("stacking", {"type": "boolean"}, ""),
        ("no_aid", {"type": "boolean"}, ""),
        ("flag", {"type": "string", "maxLength": 200}, "Household flag"),
        (
            "bbox",
            {"type": "string", "pattern": f"^{_LON},{_LAT},{_LON},{_LAT}$"},
            "minx,miny,maxx,maxy (CRS84); miny must not exceed maxy",
        ),
    )
]
