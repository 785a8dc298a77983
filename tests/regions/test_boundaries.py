"""Region boundaries: the bundled polygons loaded at start, `flask regions import-boundaries` through GDAL
(codes, validity, coordinate systems, change report, dry run) and the `outside_kelurahan` household flag."""

from __future__ import annotations

import json

import numpy as np
import pyogrio.raw
import pytest
import sqlalchemy as sa

from server.extensions import db
from server.regions import queries
from server.regions.service import load_regions
from tests.factories import make_household, make_user

KEL = "64.72.01.1001"
BOWTIE = (
    "SELECT ST_AsBinary(ST_Multi(ST_GeomFromText("
    "'POLYGON((117.1 -0.5, 117.2 -0.4, 117.2 -0.5, 117.1 -0.4, 117.1 -0.5))')))"
)


def _scalar(sql: str, **params):
    return db.session.execute(sa.text(sql), params).scalar()


def _point_outside(code: str, near_m: float, far_m: float) -> tuple[float, float]:
    """A point between near_m and far_m outside `code`'s boundary and inside no other kelurahan."""
    row = db.session.execute(
        sa.text(
            """
            WITH ring AS (
              SELECT ST_Difference(ST_Buffer(boundary::geography, :far)::geometry,
                                   ST_Buffer(boundary::geography, :near)::geometry) AS g
                FROM regions WHERE code = :code),
            free AS (
              SELECT ST_Difference(ring.g, (SELECT ST_Union(boundary) FROM regions
                                             WHERE level = 'kelurahan' AND code <> :code)) AS g FROM ring)
            SELECT ST_X(ST_PointOnSurface(g)), ST_Y(ST_PointOnSurface(g)) FROM free
            """
        ),
        {"code": code, "near": near_m, "far": far_m},
    ).one()
    return row[0], row[1]


def _inside(code: str) -> tuple[float, float]:
    row = db.session.execute(
        sa.text(
            "SELECT ST_X(ST_PointOnSurface(boundary)), ST_Y(ST_PointOnSurface(boundary)) FROM regions WHERE code = :c"
        ),
        {"c": code},
    ).one()
    return row[0], row[1]


def _set_point(household, lon, lat):
    db.session.execute(
        sa.text("UPDATE households SET location = ST_SetSRID(ST_MakePoint(:lon, :lat), 4326) WHERE id = :id"),
        {"lon": lon, "lat": lat, "id": household.id},
    )
    return _scalar("SELECT flags FROM households WHERE id = :id", id=household.id)


def test_the_bundled_boundaries_are_loaded_with_their_source(db_session):
    rows = db.session.execute(
        sa.text(
            "SELECT level, count(*), bool_and(ST_IsValid(boundary)) FROM regions"
            " WHERE boundary IS NOT NULL GROUP BY level"
        )
    ).all()
    assert {level: (count, valid) for level, count, valid in rows} == {"kecamatan": (10, True), "kelurahan": (59, True)}
    sources = set(
        db.session.execute(sa.text("SELECT boundary_source FROM regions WHERE boundary IS NOT NULL")).scalars()
    )
    assert all(source.startswith("bundled:") and "MIT" in source for source in sources)
    area = _scalar("SELECT sum(ST_Area(boundary::geography)) / 1e6 FROM regions WHERE level = 'kelurahan'")
    assert 716 < area < 718  # data/README.md: 716.74 km² geodesic


def test_loading_at_start_again_changes_nothing(db_session):
    def digest():
        return _scalar(
            "SELECT md5(string_agg(code || coalesce(ST_AsText(boundary), '') || coalesce(boundary_source, ''),"
            " ',' ORDER BY code)) FROM regions"
        )

    before = digest()
    load_regions()
    assert digest() == before


def test_a_point_outside_its_kelurahan_is_flagged_and_a_sliver_is_not(db_session):
    household = make_household(region_code=KEL)
    assert _set_point(household, *_inside(KEL)) == []
    assert _set_point(household, *_point_outside(KEL, 80, 150)) == ["outside_kelurahan"]
    # A point a few metres over the edge (the bundled polygons leave slivers under 7 m wide) is not flagged.
    assert _set_point(household, *_point_outside(KEL, 3, 12)) == []
    assert _set_point(household, *_point_outside(KEL, 80, 150)) == ["outside_kelurahan"]
    db.session.execute(sa.text("UPDATE households SET location = NULL WHERE id = :id"), {"id": household.id})
    assert _scalar("SELECT flags FROM households WHERE id = :id", id=household.id) == []


def test_the_flag_keeps_other_flags_and_staff_can_filter_by_it(client, db_session, auth_headers):
    lon, lat = _point_outside(KEL, 200, 400)
    outside = make_household(region_code=KEL, flags=["nik_duplicate"])
    inside = make_household(region_code=KEL)
    _set_point(outside, lon, lat)
    _set_point(inside, *_inside(KEL))
    assert _scalar("SELECT flags FROM households WHERE id = :id", id=outside.id) == [
        "nik_duplicate",
        "outside_kelurahan",
    ]
    supervisor = make_user("supervisor", ["64.72.01"])
    answer = client.get("/api/v1/households?flag=outside_kelurahan", headers=auth_headers(supervisor))
    assert answer.status_code == 200
    assert [item["id"] for item in answer.get_json()["data"]] == [str(outside.id)]


def test_kelurahan_at_falls_back_to_the_nearest_polygon_within_the_tolerance(db_session):
    assert queries.kelurahan_at(lon=_inside(KEL)[0], lat=_inside(KEL)[1]) == KEL
    lon, lat = _point_outside(KEL, 3, 12)  # in a sliver: inside no kelurahan at all
    params = {"lon": lon, "lat": lat}
    point = "ST_SetSRID(ST_MakePoint(:lon, :lat), 4326)"
    assert (
        _scalar(
            f"SELECT count(*) FROM regions WHERE level = 'kelurahan' AND ST_Intersects(boundary, {point})", **params
        )
        == 0
    )
    nearest = _scalar(
        f"SELECT code FROM regions WHERE level = 'kelurahan'"
        f" ORDER BY ST_Distance(boundary::geography, {point}::geography) LIMIT 1",
        **params,
    )
    assert queries.kelurahan_at(lon=lon, lat=lat) == nearest
    assert queries.kelurahan_at(lon=116.9, lat=-0.2) is None  # far outside the city


def _write(path, features, *, crs="EPSG:4326", driver="GPKG", code_field="KODE"):
    codes = np.array([code for code, _ in features], dtype=object)
    geometries = np.array([wkb for _, wkb in features], dtype=object)
    pyogrio.raw.write(
        str(path), geometries, [codes], fields=[code_field], crs=crs, driver=driver, geometry_type="MultiPolygon"
    )
    return path


def _wkb(sql: str, **params) -> bytes:
    return bytes(db.session.execute(sa.text(sql), params).scalar())


def _import(app, path, *extra):
    return app.test_cli_runner().invoke(args=["regions", "import-boundaries", str(path), "--json", *extra])


def test_an_official_file_in_another_crs_replaces_a_boundary_flags_households_and_is_audited(app, db_session, tmp_path):
    # The same kelurahan 300 m to the east, in UTM 50S, with plain-digit codes; its neighbour unchanged.
    moved = _wkb(
        "SELECT ST_AsBinary(ST_Translate(ST_Transform(boundary, 32750), 300, 0)) FROM regions WHERE code = :c", c=KEL
    )
    same = _wkb("SELECT ST_AsBinary(ST_Transform(boundary, 32750)) FROM regions WHERE code = '64.72.01.1002'")
    household = make_household(region_code=KEL)
    # A point inside the old boundary and well outside the moved one: flagged once the file is loaded.
    spot = db.session.execute(
        sa.text(
            """
            SELECT ST_X(p), ST_Y(p) FROM (
              SELECT ST_PointOnSurface(ST_Difference(boundary, ST_Buffer(ST_Transform(
                       ST_Translate(ST_Transform(boundary, 32750), 300, 0), 4326)::geography, 60)::geometry)) AS p
                FROM regions WHERE code = :c) q
            """
        ),
        {"c": KEL},
    ).one()
    assert _set_point(household, *spot) == []
    path = _write(tmp_path / "official.gpkg", [("6472011001", moved), ("6472011002", same)], crs="EPSG:32750")

    db.session.commit()  # the set-up survives the dry run's rollback (a savepoint of the test's transaction)
    dry = _import(app, path, "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert json.loads(dry.output)["dry_run"] is True
    assert _scalar("SELECT boundary_source FROM regions WHERE code = :c", c=KEL).startswith("bundled:")

    result = _import(app, path)
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert [item["code"] for item in report["changed"]] == [KEL] and report["unchanged"] == ["64.72.01.1002"]
    assert 290 <= report["changed"][0]["max_shift_m"] <= 310
    assert report["households_flagged"] >= 1
    assert _scalar("SELECT flags FROM households WHERE id = :id", id=household.id) == ["outside_kelurahan"]
    sources = dict(
        db.session.execute(
            sa.text("SELECT code, boundary_source FROM regions WHERE code IN (:a, '64.72.01.1002')"), {"a": KEL}
        ).all()
    )
    assert all(source.startswith("import: official.gpkg sha256:") for source in sources.values())
    audit = db.session.execute(
        sa.text("SELECT changes FROM audit_log WHERE action = 'regions.boundaries_imported'")
    ).scalar()
    assert audit["changed"] == 1 and audit["households_flagged"] >= 1
    # The next start-up load keeps the official boundary.
    load_regions()
    assert _scalar("SELECT boundary_source FROM regions WHERE code = :c", c=KEL).startswith("import:")


@pytest.mark.parametrize(
    "case, expected",
    [
        ("unknown", "unknown_code"),
        ("duplicate", "duplicate_code"),
        ("invalid", "invalid"),
        ("swapped", "outside_indonesia"),
        ("no_crs", "crs_missing"),
    ],
)
def test_a_bad_file_is_refused_whole(app, db_session, tmp_path, case, expected):
    good = _wkb("SELECT ST_AsBinary(boundary) FROM regions WHERE code = '64.72.01.1002'")
    bowtie = _wkb(BOWTIE)
    swapped = _wkb("SELECT ST_AsBinary(ST_FlipCoordinates(boundary)) FROM regions WHERE code = :c", c=KEL)
    features = {
        "unknown": [("64.72.01.9999", good)],
        "duplicate": [("64.72.01.1002", good), ("6472011002", good)],
        "invalid": [(KEL, bowtie)],
        "swapped": [(KEL, swapped)],
        "no_crs": [(KEL, good)],
    }[case]
    before = _scalar("SELECT md5(string_agg(ST_AsText(boundary), ',' ORDER BY code)) FROM regions")
    if case == "no_crs":
        path = _write(tmp_path / "b.shp", features, crs=None, driver="ESRI Shapefile")
    else:
        path = _write(tmp_path / "b.geojson", features, driver="GeoJSON")
    result = _import(app, path)
    assert result.exit_code == 1
    assert expected in result.output
    assert _scalar("SELECT md5(string_agg(ST_AsText(boundary), ',' ORDER BY code)) FROM regions") == before


def test_repair_makes_an_invalid_polygon_valid(app, db_session, tmp_path):
    bowtie = _wkb(BOWTIE)
    result = _import(app, _write(tmp_path / "b.geojson", [(KEL, bowtie)], driver="GeoJSON"), "--repair")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["repaired"][0]["code"] == KEL
    assert _scalar("SELECT ST_IsValid(boundary) FROM regions WHERE code = :c", c=KEL) is True
