"""Vector tiles decoded with mapbox-vector-tile: layers, attributes, zoom rules, area scope, a viewer's
suppressed aggregates, no personal data, versions per kecamatan in URLs, caching headers and the server cache."""

from __future__ import annotations

import math

import mapbox_vector_tile
import pytest
import sqlalchemy as sa

from server.extensions import db
from server.gis import tiles
from tests.gis.conftest import K1, K2, NAME_MARK, bearer

KEC1 = "64.72.01"
POINT_KEYS = {
    "id", "verification_status", "registry_status", "decile", "programme_count", "programmes", "stacking",
    "no_aid", "last_outcome", "outside_kelurahan",
}  # fmt: skip
FORBIDDEN_KEYS = {"name", "head_name", "nik", "kk_number", "address", "full_name"}


def _tile_of(lon: float, lat: float, z: int) -> tuple[int, int]:
    n = 2**z
    return int((lon + 180) / 360 * n), int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)


def _household_point(gis_app, household_id: str) -> tuple[float, float]:
    with gis_app.app_context():
        return db.session.execute(
            sa.text("SELECT ST_X(location), ST_Y(location) FROM households WHERE id = :id"), {"id": household_id}
        ).one()


def _get(client, city, url, role="supervisor"):
    return client.get(url, headers=bearer(city, role))


def _decode(answer) -> dict:
    assert answer.status_code == 200, answer.get_data(as_text=True)
    assert answer.mimetype == "application/vnd.mapbox-vector-tile"
    return mapbox_vector_tile.decode(answer.get_data())


@pytest.fixture(autouse=True)
def _fresh(gis_app):
    gis_app.config["TILE_VERSION_TTL_S"] = 0
    with gis_app.app_context():
        tiles.clear_caches()


def test_the_index_lists_layers_and_one_versioned_source_per_kecamatan(gis_client, city):
    supervisor = _get(gis_client, city, "/api/v1/tiles").get_json()["data"]["layers"]
    assert [layer["id"] for layer in supervisor] == ["kelurahan", "households", "visits"]
    sources = supervisor[0]["sources"]
    assert [source["region"] for source in sources] == [KEC1]
    assert f"region={KEC1}&v={sources[0]['version']}" in sources[0]["tiles"][0]
    viewer = _get(gis_client, city, "/api/v1/tiles", "viewer").get_json()["data"]["layers"]
    assert [layer["id"] for layer in viewer] == ["kelurahan"] and len(viewer[0]["sources"]) == 10


def test_household_points_from_zoom_13_with_facts_and_no_personal_data(gis_client, city, gis_app):
    lon, lat = _household_point(gis_app, city.households[K1][10])
    x, y = _tile_of(lon, lat, 15)
    answer = _get(gis_client, city, f"/api/v1/tiles/households/15/{x}/{y}.mvt?region={KEC1}")
    layers = _decode(answer)
    features = layers["households"]["features"]
    assert city.households[K1][10] in {feature["properties"]["id"] for feature in features}
    for feature in features:
        assert feature["geometry"]["type"] == "Point"
        assert set(feature["properties"]) <= POINT_KEYS and "verification_status" in feature["properties"]
    raw = answer.get_data()
    assert NAME_MARK.encode() not in raw
    assert not any(number.encode() in raw for number in city.kk_numbers + city.niks)
    assert not (FORBIDDEN_KEYS & {key for feature in features for key in feature["properties"]})
    stacked = [f for f in features if f["properties"]["id"] in city.stacking]
    assert all(f["properties"]["stacking"] is True for f in stacked)


def test_below_zoom_13_households_are_counted_in_a_grid(gis_client, city, gis_app):
    lon, lat = _household_point(gis_app, city.households[K2][0])
    x, y = _tile_of(lon, lat, 11)
    features = _decode(_get(gis_client, city, f"/api/v1/tiles/households/11/{x}/{y}.mvt?region={KEC1}"))
    cells = features["households"]["features"]
    assert cells and all(cell["properties"]["cluster"] is True and "id" not in cell["properties"] for cell in cells)
    assert sum(cell["properties"]["households"] for cell in cells) <= len(city.located & city.ids(K1, K2))
    assert sum(cell["properties"]["households"] for cell in cells) > 0


def test_area_scope_and_roles(gis_client, city, gis_app):
    lon, lat = _household_point(gis_app, city.households[city.k3][0])
    x, y = _tile_of(lon, lat, 15)
    assert _get(gis_client, city, f"/api/v1/tiles/households/15/{x}/{y}.mvt?region=64.72.02").status_code == 404
    outside = _decode(_get(gis_client, city, f"/api/v1/tiles/households/15/{x}/{y}.mvt"))
    ids = {f["properties"]["id"] for f in outside.get("households", {}).get("features", [])}
    assert not ids & city.ids(city.k3)
    admin = _decode(_get(gis_client, city, f"/api/v1/tiles/households/15/{x}/{y}.mvt", "admin"))
    assert city.households[city.k3][0] in {f["properties"]["id"] for f in admin["households"]["features"]}
    assert _get(gis_client, city, f"/api/v1/tiles/households/15/{x}/{y}.mvt", "viewer").status_code == 403
    assert _get(gis_client, city, f"/api/v1/tiles/visits/15/{x}/{y}.mvt", "viewer").status_code == 403
    assert _get(gis_client, city, "/api/v1/tiles/roads/15/1/1.mvt").status_code == 404
    assert _get(gis_client, city, "/api/v1/tiles/kelurahan/3/9/1.mvt").status_code == 404
    assert gis_client.get("/api/v1/tiles/kelurahan/3/1/1.mvt").status_code == 401


def test_kelurahan_aggregates_at_every_zoom_and_a_viewers_suppression(gis_client, city, gis_app):
    lon, lat = _household_point(gis_app, city.households[city.k3][0])
    for z in (9, 12, 16):
        x, y = _tile_of(lon, lat, z)
        admin = _decode(_get(gis_client, city, f"/api/v1/tiles/kelurahan/{z}/{x}/{y}.mvt", "admin"))
        kelurahan = {f["properties"]["code"]: f["properties"] for f in admin["kelurahan"]["features"]}
        assert kelurahan[city.k3]["households"] == 3
        assert "kecamatan" in admin
        viewer = _decode(_get(gis_client, city, f"/api/v1/tiles/kelurahan/{z}/{x}/{y}.mvt", "viewer"))
        seen = {f["properties"]["code"]: f["properties"] for f in viewer["kelurahan"]["features"]}
        assert "households" not in seen[city.k3] and "visited_pct" not in seen[city.k3]
        for properties in seen.values():
            for key in ("households", "visited", "approved", "stacking", "no_aid", "poor_without_aid"):
                assert properties.get(key) is None or properties[key] == 0 or properties[key] >= 5


def test_visits_show_the_fix_and_its_offset_from_zoom_12(gis_client, city, gis_app):
    lon, lat = _household_point(gis_app, city.households[K1][5])
    x, y = _tile_of(lon, lat, 16)
    layers = _decode(_get(gis_client, city, f"/api/v1/tiles/visits/16/{x}/{y}.mvt", "reviewer"))
    visit = next(f for f in layers["visits"]["features"] if f["properties"]["id"] in city.visits)
    assert 45 <= visit["properties"]["distance_m"] <= 55
    assert layers["visit_offsets"]["features"][0]["geometry"]["type"] == "LineString"
    x, y = _tile_of(lon, lat, 11)
    assert _get(gis_client, city, f"/api/v1/tiles/visits/11/{x}/{y}.mvt", "reviewer").get_data() == b""


def test_versioned_tiles_are_immutable_and_cached_and_versions_are_per_kecamatan(gis_client, city, gis_app):
    index = _get(gis_client, city, "/api/v1/tiles", "admin").get_json()["data"]["layers"][0]["sources"]
    versions = {source["region"]: source["version"] for source in index}
    lon, lat = _household_point(gis_app, city.households[K1][10])
    x, y = _tile_of(lon, lat, 14)
    url = f"/api/v1/tiles/households/14/{x}/{y}.mvt?region={KEC1}"
    current = _get(gis_client, city, f"{url}&v={versions[KEC1]}", "admin")
    assert current.headers["Cache-Control"] == "private, max-age=31536000, immutable"
    assert current.headers["X-Data-Version"] == versions[KEC1]
    with gis_app.app_context():
        hits = tiles.tile_cache().hits
    again = _get(gis_client, city, f"{url}&v={versions[KEC1]}", "reviewer")  # same view of the region: shared
    with gis_app.app_context():
        assert tiles.tile_cache().hits == hits + 1
    assert again.get_data() == current.get_data()
    assert _get(gis_client, city, url, "admin").headers["Cache-Control"] == "private, no-cache"

    household = city.households[K1][11]
    with gis_app.app_context():  # an approval in kecamatan 01 changes its version only
        before = db.session.execute(
            sa.text("SELECT verification_status FROM households WHERE id = :id"), {"id": household}
        ).scalar()
        db.session.execute(
            sa.text("UPDATE households SET verification_status = 'rejected' WHERE id = :id"), {"id": household}
        )
        db.session.commit()
    try:
        after = _get(gis_client, city, "/api/v1/tiles", "admin").get_json()["data"]["layers"][0]["sources"]
        changed = {source["region"] for source in after if versions[source["region"]] != source["version"]}
        assert changed == {KEC1}
        stale = _get(gis_client, city, f"{url}&v={versions[KEC1]}", "admin")
        assert stale.headers["Cache-Control"] == "private, no-cache"
        assert stale.headers["X-Data-Version"] != versions[KEC1]
    finally:
        with gis_app.app_context():
            db.session.execute(
                sa.text("UPDATE households SET verification_status = :s WHERE id = :id"), {"s": before, "id": household}
            )
            db.session.commit()


def test_the_cache_stays_under_its_size_cap():
    cache = tiles.LruBytes(1000)
    for number in range(20):
        cache.put(("t", number), b"x" * 300, 300)
    assert cache.size <= 1000 and cache.get(("t", 19)) is not None and cache.get(("t", 0)) is None


def test_a_new_aid_receipt_reaches_the_tiles_and_the_ogc_api(gis_client, city, gis_app):
    household = sorted(city.no_aid & city.located & city.ids(K1))[0]
    lon, lat = _household_point(gis_app, household)
    x, y = _tile_of(lon, lat, 16)
    url = f"/api/v1/tiles/households/16/{x}/{y}.mvt?region={KEC1}"

    def properties():
        features = _decode(_get(gis_client, city, url))["households"]["features"]
        return next(f["properties"] for f in features if f["properties"]["id"] == household)

    assert properties()["no_aid"] is True
    with gis_app.app_context():
        db.session.execute(
            sa.text(
                "INSERT INTO aid_receipts (program_id, household_id, period_start, period_end, source, status)"
                " SELECT id, :h, '2026-01-01', '2026-03-31', 'agency_list', 'listed' FROM aid_programs"
                " WHERE code = 'PIP'"
            ),
            {"h": household},
        )
        db.session.commit()
    try:
        assert properties()["programmes"] == "PIP" and properties()["no_aid"] is False
        item = _get(gis_client, city, f"/ogc/collections/households/items/{household}").get_json()
        assert item["properties"]["programmes"] == "PIP"
    finally:
        with gis_app.app_context():
            db.session.execute(sa.text("DELETE FROM aid_receipts WHERE household_id = :h"), {"h": household})
            db.session.commit()
