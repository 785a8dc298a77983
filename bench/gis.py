"""Benchmark of the map and the OGC API on the demo city: vector tiles through gunicorn (uncached and cached,
server time from the access log) beside the tile's own SQL, and ogr2ogr of every household from the OGC API.

    DATABASE_URL=... .venv/bin/python bench/gis.py [--households 42124,200000] [--tiles 120] [--workers 1]
                                                   [--gdal-default-pages]

For each size (one run, so the sizes are compared at the same load): creates a scratch database
`verval_bench_gis` (dropped after it) holding a generated city of that many households, starts gunicorn and
reads as the demo admin with a personal access token (as QGIS would). Measured:
- household tiles at zoom 14 (one request per tile and kecamatan with households, as the map's per-kecamatan
  sources ask): first request = uncached (tile cache miss; the kecamatan's facts cache already warm), second =
  cached; p50/p95 of gunicorn's server time, and p50/p95 of the same tiles' SQL alone (server/gis/queries.py);
- kelurahan tiles at zooms 10-14 over the city (uncached, aggregates warm) and the cold cost of a kecamatan's
  facts and aggregates;
- `ogr2ogr -f GPKG` of all households from `OAPIF:<url>/ogc/` with PAGE_SIZE=10000 (and, with
  --gdal-default-pages, GDAL 3.6's default page of 10: ~8 minutes for the demo city, ~40 for 200,000).
Targets (issue 17): household tile p95 < 50 ms uncached, < 5 ms cached; kelurahan tiles < 60 ms; ogr2ogr < 30 s.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

import requests
import sqlalchemy as sa
from harness import access_log, gunicorn, load_demo, scratch_database

NAME = "verval_bench_gis"
PASSWORD = "demo-verval"


def p(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def household_tiles(url: str, z: int, count: int) -> list[tuple[int, int, int, str]]:
    engine = sa.create_engine(url)
    with engine.connect() as connection:
        rows = connection.execute(
            sa.text(
                """
                SELECT DISTINCT floor((ST_X(location) + 180) / 360 * 2 ^ :z)::int AS x,
                       floor((1 - ln(tan(radians(ST_Y(location))) + 1 / cos(radians(ST_Y(location)))) / pi()) / 2
                             * 2 ^ :z)::int AS y,
                       substr(region_code, 1, 8) AS kec
                  FROM households WHERE location IS NOT NULL
                """
            ),
            {"z": z},
        ).all()
    engine.dispose()
    random.Random(1).shuffle(rows)
    return [(z, x, y, kec) for x, y, kec in rows[:count]]


def sql_times(url: str, tiles: list[tuple[int, int, int, str]]) -> list[float]:
    """The households tile SQL alone for the same tiles (admin view, facts cache warm)."""
    from server import create_app
    from server.gis import queries

    app = create_app({"PROFILE": "development", "SQLALCHEMY_DATABASE_URI": url})
    times = []
    with app.app_context():
        from server.extensions import db

        for z, x, y, kec in tiles:
            started = time.perf_counter()
            queries.household_points_tile(queries.household_filter(None, {"region": kec}), z=z, x=x, y=y)
            times.append((time.perf_counter() - started) * 1000)
            db.session.rollback()
        db.session.remove()
        db.engine.dispose()
    return times


def analytics_run(url: str) -> float:
    """The analytics run of the current period, computed as the refresh job does after an import (the map's
    kelurahan figures read it; without it the first tile request would compute it for the whole city)."""
    from server import create_app
    from server.analytics.service import current_period, period_run
    from server.unit_of_work import unit_of_work

    app = create_app({"PROFILE": "development", "SQLALCHEMY_DATABASE_URI": url})
    started = time.perf_counter()
    with app.app_context():
        from server.extensions import db

        with unit_of_work():
            period_run(None, *current_period())
        db.session.remove()
        db.engine.dispose()
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--households", default="42124", help="comma-separated sizes, e.g. 42124,200000")
    parser.add_argument("--tiles", type=int, default=120)
    parser.add_argument("--workers", type=int, default=1)  # the tile cache is per process
    parser.add_argument("--gdal-default-pages", action="store_true", help="also ogr2ogr with pages of 10")
    args = parser.parse_args()
    for size in (int(value) for value in args.households.split(",")):
        print(f"== {size} households (load {os.getloadavg()[0]:.1f})", flush=True)
        measure(size, args)


def measure(households: int, args) -> None:
    with scratch_database(NAME) as url:
        print(f"demo city of {households} households: {load_demo(url, households):.1f} s", flush=True)
        print(f"analytics run of the current period (the refresh job's work): {analytics_run(url):.1f} s", flush=True)
        with gunicorn(url, workers=args.workers) as (base, log):
            session = requests.Session()
            login = session.post(
                f"{base}/api/v1/auth/login",
                json={"username": "admin", "password": PASSWORD, "device_name": "bench"},
                timeout=30,
            )
            login.raise_for_status()
            session.headers["Authorization"] = f"Bearer {login.json()['data']['access_token']}"
            token = session.post(f"{base}/api/v1/auth/tokens", json={"name": "bench"}, timeout=30).json()["data"]
            gis = requests.Session()
            gis.headers["Authorization"] = f"Bearer {token['token']}"

            index = gis.get(f"{base}/api/v1/tiles", timeout=60).json()["data"]["layers"]
            versions = {source["region"]: source["version"] for source in index[0]["sources"]}
            started = time.perf_counter()
            for kec in sorted(versions):  # cold: facts and aggregates of each kecamatan
                gis.get(f"{base}/api/v1/tiles/kelurahan/10/843/511.mvt?region={kec}&v={versions[kec]}", timeout=900)
            cold = (time.perf_counter() - started) / len(versions) * 1000
            print(f"cold kecamatan (facts + aggregates + first kelurahan tile): {cold:.0f} ms per kecamatan (client)")

            tiles = household_tiles(url, 14, args.tiles)
            before = len(access_log(log, "/api/v1/tiles/households"))
            for rounds in range(2):
                for z, x, y, kec in tiles:
                    answer = gis.get(
                        f"{base}/api/v1/tiles/households/{z}/{x}/{y}.mvt?region={kec}&v={versions[kec]}", timeout=60
                    )
                    assert answer.status_code == 200, answer.text[:200]
                del rounds
            logged = access_log(log, "/api/v1/tiles/households")[before:]
            uncached = [micros / 1000 for _status, _size, micros in logged[: len(tiles)]]
            cached = [micros / 1000 for _status, _size, micros in logged[len(tiles) :]]
            sizes = [size for _status, size, _micros in logged[: len(tiles)]]
            print(
                f"household tiles z14 ({len(tiles)} tile x kecamatan, median {statistics.median(sizes) / 1024:.1f} KiB,"
                f" max {max(sizes) / 1024:.0f} KiB): uncached p50 {p(uncached, 0.5):.1f} ms p95 {p(uncached, 0.95):.1f}"
                f" ms; cached p50 {p(cached, 0.5):.2f} ms p95 {p(cached, 0.95):.2f} ms (server time)"
            )
            own = sql_times(url, tiles)
            print(f"  the tile SQL alone: p50 {p(own, 0.5):.1f} ms p95 {p(own, 0.95):.1f} ms")

            kelurahan = []
            for z in (10, 11, 12, 13, 14):
                for z_, x, y, kec in household_tiles(url, z, 40):
                    kelurahan.append((z_, x, y, kec))
            before = len(access_log(log, "/api/v1/tiles/kelurahan"))
            for z, x, y, kec in kelurahan:
                gis.get(f"{base}/api/v1/tiles/kelurahan/{z}/{x}/{y}.mvt?region={kec}&v={versions[kec]}", timeout=60)
            times = [micros / 1000 for _s, _b, micros in access_log(log, "/api/v1/tiles/kelurahan")[before:]]
            print(
                f"kelurahan tiles z10-14 ({len(times)}): uncached p50 {p(times, 0.5):.1f} ms"
                f" p95 {p(times, 0.95):.1f} ms"
            )

            with tempfile.TemporaryDirectory() as folder:
                env = {**os.environ, "GDAL_HTTP_HEADERS": f"Authorization: Bearer {token['token']}"}
                runs = ([[]] if args.gdal_default_pages else []) + [["-oo", "PAGE_SIZE=10000"]]
                for options in runs:
                    out = Path(folder) / f"households{len(options)}.gpkg"
                    started = time.perf_counter()
                    done = subprocess.run(
                        ["ogr2ogr", "-f", "GPKG", str(out), f"OAPIF:{base}/ogc/", "households", *options],
                        env=env,
                        capture_output=True,
                        text=True,
                        check=False,
                    )
                    elapsed = time.perf_counter() - started
                    count = subprocess.run(
                        ["ogrinfo", "-ro", "-so", str(out), "households"], capture_output=True, text=True, check=False
                    ).stdout
                    features = next((line for line in count.splitlines() if "Feature Count" in line), "?")
                    pages = len(access_log(log, "/ogc/collections/households/items"))
                    print(
                        f"ogr2ogr OAPIF -> GPKG {' '.join(options) or '(default page size)'}: {elapsed:.1f} s,"
                        f" {features.strip()}, exit {done.returncode} (items requests so far: {pages})"
                    )
        print(f"(load {os.getloadavg()[0]:.1f})")


if __name__ == "__main__":
    main()
