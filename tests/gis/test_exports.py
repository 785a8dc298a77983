"""Spatial exports of a household filter: GeoJSON and GeoPackage (read back through GDAL), area-scoped,
audited, without personal data, for a login only (a personal access token is refused)."""

from __future__ import annotations

import json

import pyogrio.raw
import pytest
import sqlalchemy as sa
from flask_jwt_extended import create_access_token

from server.extensions import db
from tests.gis.conftest import K1, K2, NAME_MARK, bearer


def _login(gis_app, city, role):
    with gis_app.app_context():
        return {"Authorization": f"Bearer {create_access_token(identity=str(city.users[role]))}"}


def test_geojson_of_a_filter_in_the_callers_area(gis_client, gis_app, city):
    answer = gis_client.get(
        "/api/v1/gis/exports/households.geojson?verification_status=approved",
        headers=_login(gis_app, city, "supervisor"),
    )
    assert answer.status_code == 200 and answer.mimetype == "application/geo+json"
    assert "attachment" in answer.headers["Content-Disposition"] and answer.headers["Cache-Control"] == "no-store"
    body = json.loads(answer.get_data())
    ids = [feature["id"] for feature in body["features"]]
    assert len(ids) == len(set(ids)) and set(ids) == city.approved & city.ids(K1, K2)
    assert NAME_MARK not in answer.get_data(as_text=True)
    located = [f for f in body["features"] if f["geometry"]]
    assert located and all(-1 < f["geometry"]["coordinates"][1] < 0 for f in located)
    with gis_app.app_context():
        audit = db.session.execute(
            sa.text("SELECT changes FROM audit_log WHERE action = 'households.spatial_export' ORDER BY id DESC")
        ).scalar()
    assert audit["rows"] == len(ids)


def test_geopackage_reads_back_through_gdal(gis_client, gis_app, city, tmp_path):
    answer = gis_client.get(
        f"/api/v1/gis/exports/households.gpkg?kelurahan={K2}", headers=_login(gis_app, city, "admin")
    )
    assert answer.status_code == 200 and answer.mimetype == "application/geopackage+sqlite3"
    path = tmp_path / "export.gpkg"
    path.write_bytes(answer.get_data())
    meta, _fids, geometries, fields = pyogrio.raw.read(str(path), layer="households")[:4]
    assert meta["crs"] == "EPSG:4326" and meta["geometry_type"] == "Point"
    columns = dict(zip(meta["fields"], fields, strict=True))
    assert set(columns["id"]) == city.ids(K2) and len(geometries) == 30
    assert {"stacking", "no_aid", "programmes", "decile"} <= set(meta["fields"])
    assert not {"head_name", "nik", "kk_number", "name"} & set(meta["fields"])
    assert set(columns["id"][columns["stacking"].astype(bool)]) == city.stacking & city.ids(K2)


@pytest.mark.parametrize("role, status", [("reviewer", 403), ("viewer", 403)])
def test_other_roles_and_tokens_are_refused(gis_client, gis_app, city, role, status):
    url = "/api/v1/gis/exports/households.geojson"
    assert gis_client.get(url, headers=_login(gis_app, city, role)).status_code == status
    assert gis_client.get(url, headers=bearer(city, "supervisor")).status_code == 401  # a token reads maps only
    assert gis_client.get(f"{url}?colour=red", headers=_login(gis_app, city, "supervisor")).status_code == 400
