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
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests
import sqlalchemy as sa
from PIL import Image
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
PASSWORD = "bench-unggah-foto-1"


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


def scratch(name: str) -> str:
    server = make_url(os.environ["DATABASE_URL"])
    admin = sa.create_engine(server.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    url = server.set(database=name).render_as_string(hide_password=False)
    from flask_migrate import upgrade

    from server import create_app
    from server.auth.models import User, UserScope
    from server.auth.passwords import hash_password
    from server.extensions import db
    from server.regions.service import load_regions

    app = create_app({"PROFILE": "test", "SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        upgrade()
        load_regions()
        user = User(username="bench.foto", full_name="Bench", role="enumerator", password_hash=hash_password(PASSWORD))
        user.scopes = [UserScope(region_code="64.72")]
        db.session.add(user)
        db.session.commit()
        db.session.remove()
        db.engine.dispose()
    return url


def drop(name: str) -> None:
    server = make_url(os.environ["DATABASE_URL"])
    admin = sa.create_engine(server.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def upload(base: str, token: str, data: bytes) -> None:
    digest = hashlib.sha256(data).hexdigest()
    metadata = {"photo_id": str(uuid.uuid4()), "sha256": digest, "kind": "house_front", "filetype": "image/jpeg"}
    encoded = ",".join(f"{k} {base64.b64encode(v.encode()).decode()}" for k, v in metadata.items())
    headers = {"Authorization": f"Bearer {token}", "Tus-Resumable": "1.0.0"}
    created = requests.post(
        f"{base}/api/v1/photos/uploads",
        headers=headers | {"Upload-Length": str(len(data)), "Upload-Metadata": encoded},
        timeout=30,
    )
    created.raise_for_status()
    done = requests.patch(
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
    name = f"verval_bench_photos_{os.getpid()}"
    url = scratch(name)
    work = Path(tempfile.mkdtemp(prefix="verval-bench-"))
    port = free_port()
    env = {**os.environ, "DATABASE_URL": url, "VERVAL_PROFILE": "development", "PHOTO_STORE": str(work / "store")}
    gunicorn = Path(sys.executable).parent / "gunicorn"
    server = subprocess.Popen(
        [str(gunicorn), "--workers", "4", "--bind", f"127.0.0.1:{port}", "server:create_app()"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                if requests.get(f"{base}/api/v1/health", timeout=1).ok:
                    break
            except requests.RequestException:
                time.sleep(0.2)
        login = requests.post(
            f"{base}/api/v1/auth/login",
            json={"username": "bench.foto", "password": PASSWORD, "device_name": "bench"},
            timeout=10,
        ).json()["data"]
        token = login["access_token"]
        upload(base, token, photo(10_000))  # warm the workers

        started = time.perf_counter()
        for data in photos:
            upload(base, token, data)
        sequential = time.perf_counter() - started

        again = [photo(seed + 5_000) for seed in range(args.photos)]
        started = time.perf_counter()
        with ThreadPoolExecutor(args.clients) as pool:
            list(pool.map(lambda data: upload(base, token, data), again))
        concurrent = time.perf_counter() - started

        sources = []
        for index, data in enumerate(photos):
            path = work / f"source-{index}.jpg"
            path.write_bytes(data)
            sources.append(path)
        baseline = copy_baseline(sources, work / "copies")
    finally:
        server.terminate()
        server.wait(10)
        shutil.rmtree(work, ignore_errors=True)
        drop(name)

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
