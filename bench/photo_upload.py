"""Benchmark: 300 KB JPEG photos uploaded over tus through gunicorn, beside a plain file copy of the same
bytes measured in the same run (each copy fsynced, as the server fsyncs what it stores).

Run on demand (not part of `make test`):
    DATABASE_URL="$(scripts/devdb.sh url)" .venv/bin/python bench/photo_upload.py [--photos 60] [--clients 4]

It makes its own scratch database on that server and drops it afterwards. Every upload goes the whole way:
creation, one PATCH, SHA-256 check, media sniffing, EXIF, thumbnail, atomic content-addressed store.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import io
import os
import random
import shutil
import sys
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent))
from harness import PASSWORD, gunicorn, login, scratch_database

USERNAME = "bench.foto"


def photo(seed: int, target: int = 300_000) -> bytes:
    """A noisy JPEG of about `target` bytes (noise keeps it from compressing to nothing)."""
    rng = random.Random(seed)
    side = 420
    while True:
        image = Image.frombytes("RGB", (side * 4 // 3, side), rng.randbytes(side * 4 // 3 * side * 3))
        buffer = io.BytesIO()
        image.save(buffer, "JPEG", quality=70)
        data = buffer.getvalue()
        if len(data) >= target * 0.9:
            return data
        side += 40


def add_enumerator(url: str) -> None:
    """Regions and one enumerator on the scratch database (uploads need no households)."""
    from server import create_app
    from server.auth.models import User, UserScope
    from server.auth.passwords import hash_password
    from server.extensions import db
    from server.regions.service import load_regions

    app = create_app({"PROFILE": "development", "SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        load_regions()
        user = User(username=USERNAME, full_name="Bench", role="enumerator", password_hash=hash_password(PASSWORD))
        user.scopes = [UserScope(region_code="64.72")]
        db.session.add(user)
        db.session.commit()
        db.session.remove()
        db.engine.dispose()


def upload(session: requests.Session, base: str, data: bytes) -> None:
    digest = hashlib.sha256(data).hexdigest()
    metadata = {"photo_id": str(uuid.uuid4()), "sha256": digest, "kind": "house_front", "filetype": "image/jpeg"}
    encoded = ",".join(f"{k} {base64.b64encode(v.encode()).decode()}" for k, v in metadata.items())
    headers = {"Tus-Resumable": "1.0.0"}
    created = session.post(
        f"{base}/api/v1/photos/uploads",
        headers=headers | {"Upload-Length": str(len(data)), "Upload-Metadata": encoded},
        timeout=30,
    )
    created.raise_for_status()
    done = session.patch(
        base + created.headers["Location"],
        data=data,
        headers=headers | {"Upload-Offset": "0", "Content-Type": "application/offset+octet-stream"},
        timeout=60,
    )
    if done.status_code != 204:
        raise RuntimeError(f"upload refused: {done.status_code} {done.text[:200]}")


def copy_baseline(files: list[Path], target: Path) -> float:
    target.mkdir()
    started = time.perf_counter()
    for index, source in enumerate(files):
        destination = target / f"{index}.jpg"
        shutil.copyfile(source, destination)
        with destination.open("rb+") as handle:
            os.fsync(handle.fileno())
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--photos", type=int, default=60)
    parser.add_argument("--clients", type=int, default=4)
    args = parser.parse_args()
    photos = [photo(seed) for seed in range(args.photos)]
    megabytes = sum(len(p) for p in photos) / 1e6
    work = Path(tempfile.mkdtemp(prefix="verval-bench-copy-"))
    try:
        with scratch_database(f"verval_bench_photos_{os.getpid()}") as url:
            add_enumerator(url)
            with gunicorn(url) as (base, _log):
                session = login(base, USERNAME)
                upload(session, base, photo(10_000))  # warm the workers

                started = time.perf_counter()
                for data in photos:
                    upload(session, base, data)
                sequential = time.perf_counter() - started

                again = [photo(seed + 5_000) for seed in range(args.photos)]
                started = time.perf_counter()
                with ThreadPoolExecutor(args.clients) as pool:
                    list(pool.map(lambda data: upload(session, base, data), again))
                concurrent = time.perf_counter() - started

        sources = []
        for index, data in enumerate(photos):
            path = work / f"source-{index}.jpg"
            path.write_bytes(data)
            sources.append(path)
        baseline = copy_baseline(sources, work / "copies")
    finally:
        shutil.rmtree(work, ignore_errors=True)

    average = megabytes / args.photos * 1e3
    print(f"{args.photos} photos of {average:.0f} kB on average ({megabytes:.1f} MB)")
    rate = args.photos / sequential
    print(f"tus upload, 1 client:            {megabytes / sequential:6.1f} MB/s  ({rate:.0f} photos/s)")
    print(
        f"tus upload, {args.clients} clients:           {megabytes / concurrent:6.1f} MB/s  "
        f"({args.photos / concurrent:.0f} photos/s)"
    )
    print(f"plain file copy + fsync:         {megabytes / baseline:6.1f} MB/s")
    print(f"ratio upload (1 client) / copy:  {baseline / sequential:.2f}")


if __name__ == "__main__":
    main()
