"""OGC API - Features at /ogc/: documents, paging (every household exactly once), filters, 400 on unknown
parameters, area scope and per-role collections, a viewer's suppressed aggregates, no personal data; read
by GDAL's ogrinfo/ogr2ogr (Debian's gdal-bin) and OWSLib with a personal access token in a header."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from openapi_spec_validator import validate

from server.extensions import db
from tests.gis.conftest import K1, K2, NAME_MARK, bearer


def _get(client, city, url, role="supervisor"):
    return client.get(url, headers=bearer(city, role))


def _all_pages(client, city, url, role="supervisor"):
    ids, pages = [], 0
    while url:
        answer = _get(client, city, url, role)
        assert answer.status_code == 200, answer.get_data(as_text=True)
        body = answer.get_json()
        ids += [feature["id"] for feature in body["features"]]
        nexts = [link["href"] for link in body["links"] if link["rel"] == "next"]
        url = nexts[0].replace("http://localhost", "") if nexts else None
        pages += 1
    return ids, pages


def test_landing_conformance_and_the_api_document(gis_client, city):
    landing = _get(gis_client, city, "/ogc/")
    assert landing.status_code == 200 and landing.mimetype == "application/json"
    rels = {link["rel"]: link for link in landing.get_json()["links"]}
    assert {"self", "service-desc", "conformance", "data"} <= set(rels)
    conformance = _get(gis_client, city, "/ogc/conformance").get_json()["conformsTo"]
    assert {c.rsplit("/", 1)[-1] for c in conformance} == {"core", "geojson", "oas30"}
    api = _get(gis_client, city, "/ogc/api")
    assert api.mimetype == "application/vnd.oai.openapi+json"
    document = json.loads(api.get_data())
    validate(document)
    parameters = {p["name"]: p for p in document["paths"]["/collections/households/items"]["get"]["parameters"]}
    assert parameters["resultType"]["schema"]["enum"] == ["hits", "results"]
    assert parameters["limit"]["schema"] == {"type": "integer", "minimum": 1, "maximum": 10000, "default": 10}
    assert answer_headers_are_private(landing)


def answer_headers_are_private(answer) -> bool:
    return answer.headers["Cache-Control"] == "no-store"


@pytest.mark.parametrize(
    "role, expected",
    [("admin", {"kelurahan", "households", "visits"}), ("reviewer", {"kelurahan", "households", "visits"}),
     ("viewer", {"kelurahan"})],
)  # fmt: skip
def test_collections_per_role(gis_client, city, role, expected):
    body = _get(gis_client, city, "/ogc/collections", role).get_json()
    assert {collection["id"] for collection in body["collections"]} == expected
    households = _get(gis_client, city, "/ogc/collections/households/items", role)
    assert households.status_code == (403 if role == "viewer" else 200)


def test_items_default_page_counts_and_media_type(gis_client, city):
    answer = _get(gis_client, city, "/ogc/collections/households/items")
    assert answer.status_code == 200 and answer.mimetype == "application/geo+json"
    body = answer.get_json()
    assert body["type"] == "FeatureCollection" and body["numberReturned"] == 10 == len(body["features"])
    assert body["numberMatched"] == len(city.ids(K1, K2))  # the supervisor's kecamatan only
    assert any(link["rel"] == "next" for link in body["links"])
    feature = body["features"][0]
    assert feature["geometry"] is None or feature["geometry"]["type"] == "Point"
    assert {"verification_status", "programmes", "stacking", "no_aid", "decile", "kelurahan"} <= set(
        feature["properties"]
    )


def test_following_next_links_returns_every_household_exactly_once(gis_client, city):
    ids, pages = _all_pages(gis_client, city, "/ogc/collections/households/items?limit=7")
    assert len(ids) == len(set(ids)) and set(ids) == city.ids(K1, K2)
    assert pages == -(-len(ids) // 7)
    admin_ids, _ = _all_pages(gis_client, city, "/ogc/collections/households/items?limit=10000", "admin")
    assert set(admin_ids) >= city.ids(K1, K2, city.k3)


@pytest.mark.parametrize(
    "query, expected",
    [
        ("verification_status=approved", lambda c: c.approved & c.ids(K1, K2)),
        ("programme=PKH", lambda c: c.pkh & c.ids(K1, K2)),
        ("stacking=true", lambda c: c.stacking & c.ids(K1, K2)),
        ("no_aid=true", lambda c: c.no_aid & c.ids(K1, K2)),
        (f"kelurahan={K2}", lambda c: c.ids(K2)),
        (f"kelurahan={K2}&programme=PKH&limit=3", lambda c: c.ids(K2) & c.pkh),
    ],
)
def test_property_filters(gis_client, city, query, expected):
    ids, _ = _all_pages(gis_client, city, f"/ogc/collections/households/items?{query}")
    assert set(ids) == expected(city) and len(ids) == len(set(ids))
    hits = _get(gis_client, city, f"/ogc/collections/households/items?{query}&resultType=hits").get_json()
    assert hits["numberMatched"] == len(expected(city)) and hits["features"] == []


def test_bbox_selects_by_point(gis_client, city):
    extent = db_extent(gis_client, city, K2)
    ids, _ = _all_pages(gis_client, city, f"/ogc/collections/households/items?bbox={extent}&limit=100")
    assert city.ids(K2) <= set(ids) and not (set(ids) & (city.ids(K1) - city.located))


def db_extent(client, city, code):
    feature = _get(client, city, f"/ogc/collections/kelurahan/items/{code}").get_json()
    xs = [point[0] for ring in feature["geometry"]["coordinates"] for part in ring for point in part]
    ys = [point[1] for ring in feature["geometry"]["coordinates"] for part in ring for point in part]
    return f"{min(xs)},{min(ys)},{max(xs)},{max(ys)}"


@pytest.mark.parametrize(
    "query",
    ["limit=0", "limit=10001", "limit=abc", "colour=red", "bbox=1,2,3", "bbox=a,b,c,d", "resultType=all",
     "verification_status=lost", "stacking=maybe", "datetime=yesterday", "f=html", "bbox-crs=EPSG:4326",
     "limit=%C2%B2", "limit=%D9%A1%D9%A2", "region=%D9%A6%D9%A4.%D9%A7%D9%A2"],
)  # fmt: skip
def test_bad_or_unknown_parameters_are_400(gis_client, city, query):
    answer = _get(gis_client, city, f"/ogc/collections/households/items?{query}")
    assert answer.status_code == 400, query
    assert _get(gis_client, city, "/ogc/collections?colour=red").status_code == 400


def test_one_feature_and_the_area_scope(gis_client, city):
    mine, theirs = city.households[K1][5], city.households[city.k3][0]
    answer = _get(gis_client, city, f"/ogc/collections/households/items/{mine}")
    assert answer.status_code == 200 and answer.mimetype == "application/geo+json"
    assert answer.get_json()["id"] == mine
    assert _get(gis_client, city, f"/ogc/collections/households/items/{theirs}").status_code == 404
    assert _get(gis_client, city, f"/ogc/collections/households/items/{theirs}", "admin").status_code == 200
    assert _get(gis_client, city, "/ogc/collections/households/items/not-a-uuid").status_code == 404
    assert _get(gis_client, city, "/ogc/collections/nothing/items").status_code == 404


def test_visits_carry_the_distance_to_the_registered_point(gis_client, city):
    body = _get(gis_client, city, "/ogc/collections/visits/items?limit=100", "reviewer").get_json()
    assert {feature["id"] for feature in body["features"]} == set(city.visits)
    distances = [feature["properties"]["distance_m"] for feature in body["features"]]
    assert all(45 <= distance <= 55 for distance in distances)  # 0.00045° of longitude at the equator


def test_kelurahan_aggregates_and_a_viewers_suppression(gis_client, city):
    staff = _get(gis_client, city, f"/ogc/collections/kelurahan/items?kelurahan={city.k3}", "admin").get_json()
    assert staff["features"][0]["properties"]["households"] == 3
    viewer = {
        feature["id"]: feature["properties"]
        for feature in _get(gis_client, city, "/ogc/collections/kelurahan/items?limit=100", "viewer").get_json()[
            "features"
        ]
    }
    assert len(viewer) == 59  # the viewer's area is the city
    assert viewer[city.k3]["households"] is None and viewer[city.k3]["visited_pct"] is None
    k2 = viewer[K2]
    assert k2["households"] == 30
    counts = [value for name, value in k2.items() if isinstance(value, int)]
    assert all(value == 0 or value >= 5 for value in counts)
    expected_stacking = len(city.stacking & city.ids(K2))
    assert k2["stacking"] == (expected_stacking if expected_stacking >= 5 else None)
    assert viewer[K1]["approved"] == len(city.approved & city.ids(K1))


def test_no_name_or_identity_number_in_any_answer(gis_client, city):
    texts = [
        _get(gis_client, city, url, "admin").get_data(as_text=True)
        for url in (
            "/ogc/collections/households/items?limit=10000",
            "/ogc/collections/visits/items?limit=10000",
            "/ogc/collections/kelurahan/items?limit=10000",
        )
    ]
    for text in texts:
        assert NAME_MARK not in text
        assert not any(kk in text for kk in city.kk_numbers) and not any(nik in text for nik in city.niks)


def test_enumerators_and_anonymous_callers_are_refused(gis_client, city, gis_app):
    assert gis_client.get("/ogc/collections").status_code == 401
    with gis_app.app_context():
        from flask_jwt_extended import create_access_token

        token = create_access_token(identity=str(city.users["enumerator"]))
    answer = gis_client.get("/ogc/collections", headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 403


# --- real GIS clients over HTTP -------------------------------------------------------------------------
def _gdal(city, role, *args, token: str | None = None):
    env = {**os.environ, "GDAL_HTTP_HEADERS": f"Authorization: Bearer {token or city.tokens[role]}", "CPL_DEBUG": "OFF"}
    return subprocess.run(args, capture_output=True, text=True, env=env, timeout=120)


needs_gdal = pytest.mark.skipif(
    shutil.which("ogrinfo") is None and not os.environ.get("CI"), reason="make test-tools installs gdal-bin"
)


@needs_gdal
def test_ogrinfo_lists_the_collections_and_counts_features(live_url, city):
    listing = _gdal(city, "supervisor", "ogrinfo", "-ro", "-q", f"OAPIF:{live_url}/ogc/")
    assert listing.returncode == 0, listing.stderr
    assert {"kelurahan", "households", "visits"} <= {
        line.split(":", 1)[1].split("(")[0].strip() for line in listing.stdout.splitlines() if ":" in line
    }
    summary = _gdal(city, "supervisor", "ogrinfo", "-ro", "-so", f"OAPIF:{live_url}/ogc/", "households")
    assert summary.returncode == 0, summary.stderr
    assert f"Feature Count: {len(city.ids(K1, K2))}" in summary.stdout


@needs_gdal
def test_ogr2ogr_pages_through_every_household_of_a_filter_exactly_once(live_url, city, tmp_path):
    out = tmp_path / "households.geojson"
    copy = _gdal(
        city, "supervisor", "ogr2ogr", "-f", "GeoJSON", str(out), f"OAPIF:{live_url}/ogc/", "households",
        "-oo", "PAGE_SIZE=9", "-where", "verification_status = 'approved'",
    )  # fmt: skip
    assert copy.returncode == 0, copy.stderr
    features = json.loads(out.read_text())["features"]
    ids = [feature["properties"].get("id") for feature in features]
    assert len(ids) == len(set(ids)) and set(ids) == city.approved & city.ids(K1, K2)


@needs_gdal
def test_a_revoked_or_expired_token_is_refused_by_gdal(live_url, city, gis_app):
    from server.tokens.models import AccessToken

    with gis_app.app_context():
        rows = db.session.execute(sa.select(AccessToken).where(AccessToken.name == "GIS reviewer")).scalars().all()
    refused = _gdal(city, "reviewer", "ogrinfo", "-ro", "-q", f"OAPIF:{live_url}/ogc/", token="vrv_pat_not-a-token")
    assert refused.returncode != 0
    assert rows  # the reviewer's token works until revoked (see above); expire it and GDAL is refused
    with gis_app.app_context():
        db.session.execute(
            sa.update(AccessToken)
            .where(AccessToken.id == rows[0].id)
            .values(expires_at=datetime.now(UTC) - timedelta(minutes=1))
        )
        db.session.commit()
    try:
        expired = _gdal(city, "reviewer", "ogrinfo", "-ro", "-q", f"OAPIF:{live_url}/ogc/")
        assert expired.returncode != 0
    finally:
        with gis_app.app_context():
            db.session.execute(
                sa.update(AccessToken).where(AccessToken.id == rows[0].id).values(expires_at=rows[0].expires_at)
            )
            db.session.commit()


def test_owslib_reads_the_collections_and_items(live_url, city):
    from owslib.ogcapi.features import Features

    api = Features(f"{live_url}/ogc/", headers=bearer(city, "reviewer"))
    assert {collection["id"] for collection in api.collections()["collections"]} == {
        "kelurahan",
        "households",
        "visits",
    }
    page = api.collection_items("households", limit=50, kelurahan=K2)
    assert page["numberMatched"] == 30 and len(page["features"]) == 30
    assert "core" in " ".join(api.conformance()["conformsTo"])
