"""Benchmark of the registry import as a background job, beside today's synchronous import of the same file.

    DATABASE_URL=... .venv/bin/python bench/import_job.py [--households 42124] [--seed 1] [--samples 3]

Two scratch databases on the server of DATABASE_URL (dropped at the end), each migrated with the regions:
1. synchronous: `import_registry` in-process on the generated city (42,124 households), as the request
   did before jobs (the time a client waited);
2. as a job: gunicorn (2 workers) and one `flask jobs worker` process; POST /api/v1/imports/registry with
   the same file over HTTP. Reports the HTTP answer time (client wall time, and server time from the access
   log) and the job's duration (started → finished, from the job), its wait in the queue, and the wall time
   until the client polling GET /api/v1/jobs/<id> every 0.5 s sees it done. Then `--samples` more answers
   per upload style (multipart form; the file as the request body; the file sent before in 5 MB parts and
   the import started with its upload_id), each job cancelled at once.
Targets: HTTP answer under 200 ms; job duration about the synchronous import's.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import harness
from import_registry import generate

USERNAME = "bench-importer"


def prepare(url: str, households: int, seed: int) -> bytes:
    """Regions and a bench admin in the scratch database; returns the generated registry CSV."""
    from server import create_app
    from server.auth.models import User
    from server.auth.passwords import hash_password
    from server.extensions import db
    from server.regions import queries as region_queries
    from server.regions.service import load_regions
    from server.types import Role

    app = create_app({"PROFILE": "development", "SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        load_regions()
        user = User(username=USERNAME, full_name="Bench importer", role=Role.ADMIN)
        user.password_hash = hash_password(harness.PASSWORD)
        db.session.add(user)
        db.session.commit()
        kelurahan = [(code, lat, lon) for code, _k, lat, lon in region_queries.kelurahan_with_kecamatan_centroids()]
        db.session.remove()
        db.engine.dispose()
    return generate(households, seed, kelurahan)


def synchronous(url: str, data: bytes) -> float:
    from server import create_app
    from server.extensions import db
    from server.imports.service import import_registry

    app = create_app({"PROFILE": "development", "SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        started = time.perf_counter()
        imported = import_registry(data, "bench.csv", actor=None, dry_run=False)
        db.session.commit()
        elapsed = time.perf_counter() - started
        inserted = imported.counts["households_inserted"]
        print(f"synchronous import         {elapsed:6.2f} s   households_inserted={inserted}")
        db.session.remove()
        db.engine.dispose()
    return elapsed


def _seconds(start: str, end: str) -> float:
    return (datetime.fromisoformat(end) - datetime.fromisoformat(start)).total_seconds()


PART = 5 * 1024 * 1024


def _post_in_parts(session, base: str, data: bytes, parts_seconds: list[float]):
    """The file sent in 5 MB parts first (each part timed into `parts_seconds`), then the import started
    with its upload_id; returns the answer of that last request and its own time."""
    upload = session.post(f"{base}/api/v1/jobs/uploads", timeout=30).json()["data"]
    for offset in range(0, len(data), PART):
        started = time.perf_counter()
        answer = session.patch(
            f"{base}{upload['links']['self']}",
            data=data[offset : offset + PART],
            headers={"Upload-Offset": str(offset), "Content-Type": "application/octet-stream"},
            timeout=120,
        )
        parts_seconds.append(time.perf_counter() - started)
        answer.raise_for_status()
    started = time.perf_counter()
    response = session.post(f"{base}/api/v1/imports/registry?upload_id={upload['id']}&filename=city.csv", timeout=60)
    return response, time.perf_counter() - started


def _post(session, base: str, data: bytes, raw: bool):
    if raw:
        return session.post(
            f"{base}/api/v1/imports/registry?filename=city.csv",
            data=data,
            headers={"Content-Type": "text/csv"},
            timeout=120,
        )
    return session.post(f"{base}/api/v1/imports/registry", files={"file": ("city.csv", data, "text/csv")}, timeout=120)


def as_job(url: str, data: bytes, samples: int) -> dict:
    store = tempfile.mkdtemp(prefix="verval-bench-jobs-")
    env = {**harness.server_env(url), "JOB_STORE": store}
    worker = subprocess.Popen(
        [sys.executable, "-m", "flask", "jobs", "worker"],
        env=env,
        cwd=harness.ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    answers: dict[str, list[float]] = {"multipart": [], "raw": [], "parts": []}
    parts_seconds: list[float] = []
    try:
        with harness.gunicorn(url, workers=2, JOB_STORE=store) as (base, log):
            session = harness.login(base, USERNAME)
            # 1. The city import as a job, followed to its end by polling (as the staff page does).
            started = time.perf_counter()
            response = _post(session, base, data, raw=False)
            answered = time.perf_counter() - started
            response.raise_for_status()
            job = response.json()["data"]
            assert response.status_code == 202 and job["state"] == "queued", job
            while job["state"] not in ("done", "failed", "cancelled"):
                time.sleep(0.5)
                job = session.get(f"{base}{job['links']['self']}", timeout=30).json()["data"]
            seen_done = time.perf_counter() - started
            assert job["state"] == "done", job
            duration = _seconds(job["started_at"], job["finished_at"])
            waited = _seconds(job["created_at"], job["started_at"])
            print(
                f"first import (job)  HTTP answer {answered * 1000:5.0f} ms   job {duration:6.2f} s   "
                f"queued {waited:4.2f} s   client saw done after {seen_done:6.2f} s   "
                f"households_inserted={job['result']['counts']['households_inserted']}"
            )
            answers["multipart"].append(answered)
            # 2. More answers, the file as a form field and as the body itself; each job cancelled at once and
            #    waited for, so the worker is idle when the next answer is timed.
            for number in range(samples * 3):
                style = ("multipart", "raw", "parts")[number % 3]
                if style == "parts":
                    response, seconds = _post_in_parts(session, base, data, parts_seconds)
                else:
                    started = time.perf_counter()
                    response = _post(session, base, data, raw=style == "raw")
                    seconds = time.perf_counter() - started
                answers[style].append(seconds)
                assert response.status_code == 202, response.text
                job = response.json()["data"]
                session.post(f"{base}{job['links']['cancel']}", timeout=30)
                # Let the worker stop that job before the next answer is timed (the answer alone is measured).
                while job["state"] not in ("done", "failed", "cancelled"):
                    time.sleep(0.2)
                    job = session.get(f"{base}{job['links']['self']}", timeout=30).json()["data"]
            server = [micros / 1e6 for status, _size, micros in harness.access_log(log, "/api/v1/imports/registry")]
    finally:
        worker.terminate()
        worker.wait(timeout=120)
        subprocess.run(["rm", "-rf", store], check=False)
    return {"answers": answers, "server": server, "duration": duration, "parts": parts_seconds}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--households", type=int, default=42124)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--samples", type=int, default=3, help="further answers timed per upload style")
    args = parser.parse_args()
    print(f"machine load {os.getloadavg()[0]:.1f}")
    with harness.scratch_database("verval_bench_import_sync") as url:
        data = prepare(url, args.households, args.seed)
        rows = data.count(b"\n") - 1
        print(f"generated {args.households} households, {rows} member rows, {len(data) / 1e6:.1f} MB")
        sync = synchronous(url, data)
    with harness.scratch_database("verval_bench_import_job") as url:
        prepare(url, 1, args.seed)
        job = as_job(url, data, args.samples)
    print(f"machine load {os.getloadavg()[0]:.1f}")
    for style, values in job["answers"].items():
        print(
            f"HTTP answer, file as {style:<9}: median {statistics.median(values) * 1000:4.0f} ms, "
            f"best {min(values) * 1000:4.0f} ms, worst {max(values) * 1000:4.0f} ms over {len(values)}"
        )
    parts = job["parts"]
    print(
        f"  (parts: {len(parts)} PATCHes of 5 MB, median {statistics.median(parts) * 1000:.0f} ms, "
        f"worst {max(parts) * 1000:.0f} ms; the import request itself then carries no file)"
    )
    print(f"server side (access log): {', '.join(f'{value * 1000:.0f}' for value in job['server'])} ms")
    print(f"city import: job {job['duration']:.2f} s vs synchronous {sync:.2f} s (ratio {job['duration'] / sync:.2f})")


if __name__ == "__main__":
    main()
