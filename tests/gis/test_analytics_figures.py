"""The map and the OGC `kelurahan` collection show the analytics page's per-kelurahan figures of the current
period (issue 18): the analytics summary (`by=kelurahan`), the OGC kelurahan items and the kelurahan tile
indicators agree, for an admin, a supervisor of one kecamatan and a viewer (cells under 5 suppressed), on the
GIS test city with planted findings: stacking (BPNT + SMD-SSN for every 6th household), a gap (an approved
visit finding a poor family without aid) and a recipient the registry does not hold (an agency list's row)."""

from __future__ import annotations

import math
from datetime import date

import mapbox_vector_tile
import pytest
import sqlalchemy as sa
from flask_jwt_extended import create_access_token

from server.analytics import service as analytics
from server.extensions import db
from server.gis import tiles
from tests.gis.conftest import K1, K2, bearer

PERIOD = (date(2026, 1, 1), date(2026, 12, 31))  # the test city's receipts are of 2026


def _tile_of(lon: float, lat: float, z: int) -> tuple[int, int]:
    n = 2**z
    return int((lon + 180) / 360 * n), int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)


@pytest.fixture
def planted(gis_app, city, monkeypatch):
    """This year is 2026; one approved 'found' visit of a poor household without aid (a gap) and one agency
    list row for K2 that matches nobody (not in the registry); both undone at the end."""
    monkeypatch.setattr(analytics, "current_period", lambda today=None: PERIOD)
    gis_app.config["TILE_VERSION_TTL_S"] = 0
    with gis_app.app_context():
        tiles.clear_caches()
        gap = db.session.execute(
            sa.text(
                "SELECT v.id, v.household_id FROM visits v JOIN households h ON h.id = v.household_id"
                " WHERE h.decile <= 5 AND h.id = ANY(CAST(:ids AS uuid[])) ORDER BY v.id LIMIT 1"
            ),
            {"ids": sorted(city.no_aid & set(city.households[K1]))},
        ).one()
        db.session.execute(
            sa.text("UPDATE visits SET review_status = 'approved', reviewed_at = now() WHERE id = :id"),
            {"id": gap.id},
        )
        receipt = db.session.execute(
            sa.text(
                "INSERT INTO aid_receipts (program_id, period_start, period_end, source, status, listed_nik,"
                " listed_nik_valid, listed_region_code, listed_match)"
                " SELECT id, '2026-01-01', '2026-03-31', 'agency_list', 'listed', '6472014101900001', TRUE, :k2,"
                " 'none' FROM aid_programs WHERE code = 'BPNT' RETURNING id"
            ),
            {"k2": K2},
        ).scalar_one()
        db.session.commit()
    yield {"gap": str(gap.household_id)}
    with gis_app.app_context():
        db.session.execute(
            sa.text("UPDATE visits SET review_status = 'pending', reviewed_at = NULL WHERE id = :id"), {"id": gap.id}
        )
        db.session.execute(sa.text("DELETE FROM aid_receipts WHERE id = :id"), {"id": receipt})
        db.session.execute(sa.text("DELETE FROM analytics_runs"))  # the reverted data's fingerprint is the old one
        db.session.commit()
        tiles.clear_caches()


def _summary(gis_client, gis_app, city, role: str) -> dict[str, dict]:
    """Per kelurahan, the page's table cells worked out from the API's figures: households (receipts for the
    agencies' lists) of all programmes, every side but `settled`; None where any part is suppressed."""
    answer = gis_client.get(
        f"/api/v1/analytics/summary?period_start={PERIOD[0]}&period_end={PERIOD[1]}&by=kelurahan",
        headers=_jwt(gis_app, city, role),
    )
    assert answer.status_code == 200, answer.get_json()
    found = {}
    for area in answer.get_json()["data"]["areas"]:
        cells: dict[str, int | None] = dict.fromkeys(analytics.AREA_KINDS, 0)
        for figure in area["figures"]:
            kind = figure["kind"]
            if figure["program"] is not None or kind not in cells or figure["side"] == "settled":
                continue
            if figure["suppressed"] or cells[kind] is None:
                cells[kind] = None
            else:
                cells[kind] += figure["receipts"] if kind == "not_in_registry" else figure["households"]
        found[area["code"]] = {f"analytics_{kind}": value for kind, value in cells.items()}
    return found


def _ogc(gis_client, city, role: str) -> dict[str, dict]:
    answer = gis_client.get("/ogc/collections/kelurahan/items?limit=1000", headers=bearer(city, role))
    assert answer.status_code == 200, answer.get_data(as_text=True)
    return {feature["id"]: feature["properties"] for feature in answer.get_json()["features"]}


def _tile(gis_client, gis_app, city, role: str) -> dict[str, dict]:
    with gis_app.app_context():
        lon, lat = db.session.execute(
            sa.text("SELECT ST_X(location), ST_Y(location) FROM households WHERE id = :id"),
            {"id": city.households[K1][5]},
        ).one()
    x, y = _tile_of(lon, lat, 9)
    answer = gis_client.get(f"/api/v1/tiles/kelurahan/9/{x}/{y}.mvt", headers=bearer(city, role))
    assert answer.status_code == 200, answer.get_data(as_text=True)
    features = mapbox_vector_tile.decode(answer.get_data())["kelurahan"]["features"]
    return {feature["properties"]["code"]: feature["properties"] for feature in features}


@pytest.mark.parametrize("role", ["admin", "supervisor", "viewer"])
def test_summary_ogc_items_and_tiles_show_the_same_kelurahan_figures(gis_client, gis_app, city, planted, role):
    summary = _summary(gis_client, gis_app, city, role)
    ogc = _ogc(gis_client, city, role)
    tile = _tile(gis_client, gis_app, city, role)
    names = analytics.MAP_FIGURES
    stacking = {code: len(city.stacking & city.ids(code)) for code in (K1, K2)}  # 20 and 5
    assert {code: summary[code]["analytics_stacking"] for code in stacking} == stacking
    if role == "viewer":  # 1 each: suppressed; and all counts of k3 (3 households) on the map
        assert summary[K1]["analytics_gap"] is None and summary[K2]["analytics_not_in_registry"] is None
        assert all(ogc[city.k3][name] is None for name in analytics.MAP_FIGURES)
    else:
        assert summary[K1]["analytics_gap"] == 1 and summary[K2]["analytics_not_in_registry"] == 1
    if role == "supervisor":  # kecamatan 64.72.01 only
        assert set(summary) == {K1, K2} and city.k3 not in ogc
    for code, figures in summary.items():
        if role == "viewer" and code == city.k3:  # the map's own rule, stricter than the page's
            figures = dict.fromkeys(names)
        for name in names:
            assert ogc[code][name] == figures[name], (code, name)
            assert tile[code].get(name) == figures[name], (code, name)
    for code, properties in ogc.items():  # kelurahan without findings: 0 (a tile leaves out what has no data)
        if code not in summary:
            assert {properties[name] for name in names} <= {0, None}
            assert {tile.get(code, {}).get(name) for name in names} <= {0, None}
    assert any(tile[code].get("analytics_above_desil") for code in (K1, K2) if code in tile) or role == "viewer"


def _jwt(gis_app, city, role: str) -> dict[str, str]:
    with gis_app.app_context():
        return {"Authorization": f"Bearer {create_access_token(identity=str(city.users[role]))}"}


def test_new_figures_reach_the_tiles_once_computed(gis_client, gis_app, city, planted):
    """The tiles' data version follows the figures: an admin switching off the food-aid stacking rule
    (BPNT + SMD-SSN) changes the figures of kecamatan 64.72.01 and so its version, no other, and the tile
    drawn at the new version shows no stacking there."""
    admin = _jwt(gis_app, city, "admin")
    rules = gis_client.get("/api/v1/analytics/rules", headers=admin).get_json()["data"]
    rule = next(r for r in rules if r["kind"] == "same_purpose" and set(r["programs"]) == {"BPNT", "SMD-SSN"})
    assert _tile(gis_client, gis_app, city, "admin")[K1]["analytics_stacking"] == len(city.stacking & city.ids(K1))
    layer = gis_client.get("/api/v1/tiles", headers=bearer(city, "admin")).get_json()["data"]["layers"][0]
    versions = {source["region"]: source["version"] for source in layer["sources"]}
    url = f"/api/v1/analytics/rules/{rule['id']}"
    assert gis_client.patch(url, json={"active": False}, headers=admin).status_code == 200
    try:
        layer = gis_client.get("/api/v1/tiles", headers=bearer(city, "admin")).get_json()["data"]["layers"][0]
        changed = {source["region"] for source in layer["sources"] if versions[source["region"]] != source["version"]}
        assert changed == {"64.72.01"}
        assert _tile(gis_client, gis_app, city, "admin")[K1]["analytics_stacking"] == 0
    finally:
        assert gis_client.patch(url, json={"active": True}, headers=admin).status_code == 200


def test_the_map_queues_a_periods_first_analysis_instead_of_computing_it(gis_client, gis_app, city, planted):
    """A period never analysed (the first map view of a new year): the kelurahan figures are unknown (null, not
    0) and one refresh job is queued, however many map requests ask; the request never computes the city's
    findings itself (minutes at province scale, with the period locked). Once the job ran, they are there."""
    with gis_app.app_context():
        db.session.execute(sa.text("DELETE FROM analytics_runs"))
        db.session.commit()
    gis_app.config["JOBS_INLINE"] = False  # a worker that has not taken the job yet
    try:
        waiting = [_ogc(gis_client, city, "admin"), _ogc(gis_client, city, "admin")]
        with gis_app.app_context():
            runs = db.session.execute(sa.text("SELECT count(*) FROM analytics_runs")).scalar_one()
            waiting_jobs = sa.text("SELECT count(*) FROM jobs WHERE kind = :kind AND state = 'queued'")
            queued = db.session.execute(waiting_jobs, {"kind": analytics.REFRESH}).scalar_one()
            analytics.refresh_stale()  # what the worker runs
            db.session.execute(sa.text("DELETE FROM jobs WHERE kind = :kind"), {"kind": analytics.REFRESH})
            db.session.commit()
    finally:
        gis_app.config["JOBS_INLINE"] = True
    assert runs == 0 and queued == 1
    for answer in waiting:
        assert {answer[K1][name] for name in analytics.MAP_FIGURES} == {None}
        assert answer[K1]["households"] == len(city.ids(K1))  # the map's own counts do not wait
    computed = _ogc(gis_client, city, "admin")
    assert computed[K1]["analytics_stacking"] == len(city.stacking & city.ids(K1))
