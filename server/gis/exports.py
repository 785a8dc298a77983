"""Spatial exports of a household filter: GeoJSON (RFC 7946) and GeoPackage, with the OGC API's household
properties (facts, statuses; never a name, NIK, No. KK or address), area-scoped and audited."""

from __future__ import annotations

import json
import os
import tempfile
from typing import Any

import numpy as np

from server.audit.service import record
from server.auth.access import Actor
from server.gis import ogc, queries, versions

BOOLEAN_FIELDS = {"stacking", "no_aid", "outside_kelurahan"}
INTEGER_FIELDS = {"decile", "programme_count"}


def criteria_from(args, actor: Actor) -> dict[str, Any]:
    """The OGC households collection's filters and bbox; anything else is a 400."""
    return ogc.household_criteria(args, actor)


def _rows(actor: Actor, criteria: dict[str, Any]) -> list[tuple]:
    versions.fresh_facts(versions.kecamatan_for(actor, criteria.get("region")))
    rows = queries.export_rows(queries.household_filter(actor, criteria))
    record(
        "households.spatial_export",
        object_type="household",
        changes={"rows": len(rows), "filter": {key: str(value) for key, value in criteria.items()}},
    )
    return rows


def geojson(actor: Actor, criteria: dict[str, Any]) -> str:
    features = []
    for row in _rows(actor, criteria):
        point = _point(row[0])
        properties = dict(zip(queries.EXPORT_FIELDS, row[1:], strict=True))
        features.append({"type": "Feature", "id": properties["id"], "geometry": point, "properties": properties})
    return json.dumps({"type": "FeatureCollection", "features": features})


def _point(data) -> dict | None:
    """A WKB point (little or big endian) as GeoJSON, 6 decimals."""
    if data is None:
        return None
    raw = bytes(data)
    order = "<" if raw[0] == 1 else ">"
    x, y = np.frombuffer(raw[5:21], dtype=f"{order}f8")
    return {"type": "Point", "coordinates": [round(float(x), 6), round(float(y), 6)]}


def geopackage(actor: Actor, criteria: dict[str, Any]) -> str:
    """Writes a GeoPackage of the filter to a temporary file and returns its path (the caller deletes it)."""
    import pyogrio.raw

    rows = _rows(actor, criteria)
    geometry = np.array([bytes(row[0]) if row[0] is not None else None for row in rows], dtype=object)
    field_data, masks = [], []
    for index, name in enumerate(queries.EXPORT_FIELDS, start=1):
        values = [row[index] for row in rows]
        mask = np.array([value is None for value in values], dtype=bool)
        if name in BOOLEAN_FIELDS:
            field_data.append(np.array([bool(value) for value in values], dtype=bool))
        elif name in INTEGER_FIELDS:
            field_data.append(np.array([value or 0 for value in values], dtype=np.int32))
        else:
            field_data.append(np.array(values, dtype=object))
        masks.append(mask)
    handle, path = tempfile.mkstemp(suffix=".gpkg", prefix="verval-households-")
    os.close(handle)
    os.unlink(path)  # GDAL creates the file itself
    pyogrio.raw.write(
        path,
        geometry,
        field_data,
        list(queries.EXPORT_FIELDS),
        field_mask=masks,
        layer="households",
        driver="GPKG",
        geometry_type="Point",
        crs="EPSG:4326",
    )
    return path
