"""The staff map page in-process: the fallback table and SVG for the user's area, tiles through the workspace's
session (same service as /api/v1/tiles: scope, masking, versioned caching), roles."""

from __future__ import annotations

import json
import re
import uuid
from html import unescape

import mapbox_vector_tile
import sqlalchemy as sa

from server.extensions import db
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


# --- one filter state for the map, its table and the household list -----------------------------------------
K1, K2 = "64.72.01.1001", "64.72.01.1002"


def _point_in(code: str) -> str:
    x, y = db.session.execute(
        sa.text("SELECT ST_X(c), ST_Y(c) FROM (SELECT (ST_MaximumInscribedCircle(boundary)).center AS c"
                " FROM regions WHERE code = :code) q"),
        {"code": code},
    ).one()  # fmt: skip
    return f"SRID=4326;POINT({x} {y})"


def _settings(html: str) -> dict:
    raw = re.search(r'data-settings="([^"]*)"', html).group(1)
    return json.loads(unescape(raw))


def _table(html: str) -> dict[str, list[str]]:
    """{kelurahan code: [cells]} of the page's kelurahan table."""
    body = html[html.index("data-map-table") :]
    rows = re.findall(r'<tr data-code="([^"]+)">(.*?)</tr>', body, re.S)
    return {code: re.findall(r"<td>(.*?)</td>", cells) for code, cells in rows}


def _bbox_of(code: str, pad: float = 0.0) -> str:
    row = db.session.execute(
        sa.text("SELECT ST_XMin(b), ST_YMin(b), ST_XMax(b), ST_YMax(b) FROM (SELECT ST_Envelope(boundary) AS b"
                " FROM regions WHERE code = :code) q"),
        {"code": code},
    ).one()  # fmt: skip
    return ",".join(f"{value + (-pad if i < 2 else pad):.5f}" for i, value in enumerate(row))


def test_the_map_page_reads_the_household_lists_filters(client, db_session, app):
    with app.app_context():
        tiles.clear_caches()
    supervisor = make_user("supervisor", ["64.72.01"])
    for _ in range(4):
        make_household(region_code=K1, verification_status="approved", location=_point_in(K1))
    for _ in range(3):
        make_household(region_code=K2, verification_status="unverified", location=_point_in(K2))
    login(client, supervisor)
    html = client.get("/staff/peta/?verification_status=approved&metrik=stacking").text
    table = _table(html)
    assert table[K1][0] == "4" and table[K2][0] == "0"  # households under the filter
    settings = _settings(html)
    assert settings["filter"] == "verification_status=approved"  # appended to every tile URL
    assert settings["listFilter"] == {"verification_status": "approved"}
    assert 'href="/staff/rumah-tangga?verification_status=approved"' in html  # the list with the same filter
    assert f'href="/staff/rumah-tangga?verification_status=approved&amp;region={K1}"' in html
    assert '<option value="approved" selected>' in html

    # the same query string on the list links back to the map
    listed = client.get("/staff/rumah-tangga?verification_status=approved&q=Kepala").text
    assert 'href="/staff/peta/?verification_status=approved" data-map-link' in listed

    # a kelurahan as the region: only its row in the table
    only = _table(client.get(f"/staff/peta/?region={K2}").text)
    assert list(only) == [K2] and only[K2][0] == "3"
    bad = client.get("/staff/peta/?decile=11").text
    assert "Saringan tidak valid" in bad and _settings(bad)["filter"] == ""


def test_the_table_follows_the_visible_extent_when_asked(client, db_session, app):
    supervisor = make_user("supervisor", ["64.72.01"])
    login(client, supervisor)
    everything = _table(client.get("/staff/peta/").text)
    box = _bbox_of(K1, pad=-0.0005)  # well inside K1: K1 and perhaps a neighbour, not the whole kecamatan
    seen = _table(client.get(f"/staff/peta/?terlihat=1&bbox={box}").text)
    assert K1 in seen and len(seen) < len(everything)
    fragment = client.get(f"/staff/peta/tabel?terlihat=1&bbox={box}")
    assert fragment.status_code == 200 and set(_table(fragment.text)) == set(seen)
    assert "Kelurahan yang terlihat di peta" in fragment.text
    assert set(_table(client.get(f"/staff/peta/tabel?bbox={box}").text)) == set(everything)  # not asked
    assert "Batas peta tidak valid" in client.get("/staff/peta/?terlihat=1&bbox=1,2,x").text


def ids(answer) -> set[str]:
    return {f["properties"]["id"] for f in mapbox_vector_tile.decode(answer.data)["households"]["features"]}


def test_tiles_through_the_session_follow_the_filter(client, db_session, app):
    with app.app_context():
        tiles.clear_caches()
    supervisor = make_user("supervisor", ["64.72.01"])
    approved = make_household(region_code=K1, verification_status="approved", location=_point_in(K1))
    other = make_household(region_code=K1, verification_status="unverified", location=_point_in(K1))
    login(client, supervisor)
    x, y = (int(v) for v in db.session.execute(
        sa.text("SELECT floor((ST_X(location) + 180) / 360 * 2^16), floor((1 - ln(tan(radians(ST_Y(location)))"
                " + 1 / cos(radians(ST_Y(location)))) / pi()) / 2 * 2^16) FROM households WHERE id = :id"),
        {"id": approved.id},
    ).one())  # fmt: skip
    url = f"/staff/peta/tiles/households/16/{x}/{y}.mvt?region=64.72.01"
    assert {str(approved.id), str(other.id)} <= ids(client.get(url))
    filtered = ids(client.get(f"{url}&verification_status=approved"))
    assert str(approved.id) in filtered and str(other.id) not in filtered
    kelurahan = mapbox_vector_tile.decode(
        client.get(url.replace("households", "kelurahan") + "&verification_status=unverified").data
    )
    figures = {f["properties"]["code"]: f["properties"] for f in kelurahan["kelurahan"]["features"]}
    assert figures[K1]["households"] >= 1 and figures[K1]["approved"] == 0
    outside = mapbox_vector_tile.decode(client.get(f"{url}&kelurahan=64.72.02.1001").data)
    assert not outside.get("households")  # the filter's kelurahan lies outside this source's kecamatan
    assert client.get(f"{url}&warna=merah").status_code == 400


def test_inclusion_errors_count_aided_households_an_approved_visit_found_gone(client, db_session, app):
    with app.app_context():
        tiles.clear_caches()
    supervisor = make_user("supervisor", ["64.72.01"])
    enumerator = make_user("enumerator", ["64.72.01"])
    for outcome, aided in (("deceased", True), ("moved_outside", True), ("found", True), ("deceased", False)):
        household = make_household(region_code=K1, verification_status="approved", location=_point_in(K1))
        if aided:
            db.session.execute(
                sa.text("INSERT INTO aid_receipts (program_id, household_id, period_start, period_end, source, status)"
                        " SELECT id, :h, '2026-01-01', '2026-03-31', 'agency_list', 'listed' FROM aid_programs"
                        " WHERE code = 'PKH'"),
                {"h": household.id},
            )  # fmt: skip
        db.session.execute(
            sa.text("INSERT INTO visits (id, household_id, enumerator_id, device_time, outcome, consent, answers,"
                    " content_hash, review_status, location, location_accuracy_m) SELECT :id, h.id, :e, now(), :o,"
                    " true, '{}'::jsonb, :hash, 'approved', h.location, 8 FROM households h WHERE h.id = :h"),
            {"id": uuid.uuid4(), "h": household.id, "e": enumerator.id, "o": outcome, "hash": "0" * 64},
        )  # fmt: skip
    login(client, supervisor)
    html = client.get("/staff/peta/?metrik=inclusion_error").text
    assert '<option value="inclusion_error" selected>' in html
    assert _table(html)[K1][-1] == "2"  # the last column: deceased + moved, with aid; not found, not unaided


def test_a_configured_basemap_pmtiles_file_is_served_in_ranges(client, db_session, app, tmp_path):
    supervisor = make_user("supervisor", ["64.72.01"])
    login(client, supervisor)
    assert _settings(client.get("/staff/peta/").text)["basemap"] is None  # none by default
    assert client.get("/staff/peta/latar.pmtiles").status_code == 404
    archive = tmp_path / "latar.pmtiles"
    archive.write_bytes(b"PMTiles\x03" + bytes(range(256)) * 8)
    app.config["MAP_BASEMAP_PMTILES"] = str(archive)
    try:
        assert _settings(client.get("/staff/peta/").text)["basemap"] == {
            "kind": "pmtiles",
            "url": "/staff/peta/latar.pmtiles",
        }
        part = client.get("/staff/peta/latar.pmtiles", headers={"Range": "bytes=0-126"})
        assert part.status_code == 206 and part.data == archive.read_bytes()[:127]
        assert "private" in part.headers["Cache-Control"]
    finally:
        app.config.pop("MAP_BASEMAP_PMTILES")
    app.config["MAP_BASEMAP_STYLE"] = "https://peta.kantor.example/style.json"
    try:
        page = client.get("/staff/peta/")
        assert _settings(page.text)["basemap"] == {"kind": "style", "url": "https://peta.kantor.example/style.json"}
        assert "connect-src 'self' https://peta.kantor.example;" in page.headers["Content-Security-Policy"]
        other = client.get("/staff/rumah-tangga")
        assert "peta.kantor.example" not in other.headers["Content-Security-Policy"]  # that page only
    finally:
        app.config.pop("MAP_BASEMAP_STYLE")
