"""Marshmallow schemas of the GIS API's JSON answers (the tile index); tiles themselves are binary MVT."""

from __future__ import annotations

from marshmallow import Schema, fields


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
