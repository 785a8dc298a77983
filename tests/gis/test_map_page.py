"""The staff map page in-process: the fallback table and SVG for the user's area, tiles through the workspace's
session (same service as /api/v1/tiles: scope, masking, versioned caching), roles."""

from __future__ import annotations

from server.gis import tiles
from tests.factories import make_household, make_user
from tests.staff.conftest import login


def test_the_page_lists_the_areas_kelurahan_with_svg_and_metrics(client, db_session):
    supervisor = make_user("supervisor", ["64.72.01"])
    for _ in range(6):
        make_household(region_code="64.72.01.1001", verification_status="approved")
    assert login(client, supervisor).status_code == 302
    page = client.get("/staff/peta/?metrik=stacking")
    assert page.status_code == 200
    html = page.text
    assert 'data-map data-settings="' in html and '<svg class="choropleth"' in html
    assert html.count("<path d=") == html.count("/staff/rumah-tangga?region=64.72.01.") // 2 > 0
    assert "64.72.02." not in html  # another kecamatan's kelurahan: not in this user's area
    assert 'value="stacking" selected' in html


def test_tiles_through_the_session_are_scoped_and_versioned(client, db_session, app):
    with app.app_context():
        tiles.clear_caches()
    viewer = make_user("viewer", ["64.72.01"])
    assert login(client, viewer).status_code == 302
    index = client.get("/staff/peta/tiles.json").get_json()["data"]["layers"]
    assert [layer["id"] for layer in index] == ["kelurahan"]
    source = index[0]["sources"][0]
    url = source["tiles"][0].replace("{z}", "12").replace("{x}", "3381").replace("{y}", "2049")
    assert url.startswith("/staff/peta/tiles/kelurahan/12/")
    answer = client.get(url)
    assert answer.status_code == 200 and answer.mimetype == "application/vnd.mapbox-vector-tile"
    assert answer.headers["Cache-Control"] == "private, max-age=31536000, immutable"
    assert client.get("/staff/peta/tiles/households/14/1/1.mvt").status_code == 403


def test_enumerators_have_no_map(client, db_session):
    enumerator = make_user("enumerator", ["64.72.01"])
    login(client, enumerator)
    assert client.get("/staff/peta/").status_code in (302, 403)
