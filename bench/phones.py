"""Load benchmark: simulated phones going through the whole sync cycle against the server as `make run` starts
it, with p50/p95/p99 per operation and a ledger check that every visit is stored exactly once.

    DATABASE_URL=... .venv/bin/python bench/phones.py [--phones 200] [--duration 300] [--households 42124]
                                                      [--per-phone 200] [--think 2.0] [--cut 0.1]
                                                      [--photo-share 0.2] [--workers 4]

A scratch database `verval_bench_phones` (dropped at the end) gets the demo city; every phone is its own
enumerator (scope: one kecamatan) holding `--per-phone` households of it, assigned through the campaigns
service. The server is `scripts/serve.sh` (gunicorn as gunicorn.conf.py configures it, gthread workers, and
a background-job worker beside it), exactly as `make run` starts it, with `--workers` web workers.

Each phone (a thread with its own HTTP session): logs in, pulls everything (pages of 500), then until the
duration is up: waits a think time (exponential, mean `--think` s), visits its next household (every member
present or one moved, house condition, GPS near the registered point, one photo declared for a share of
visits), pushes when it holds 1-5 unsent visits, uploads the photos it declared (tus: create + one PATCH of a
~40 kB JPEG), and pulls changes since its cursor every third push. A share `--cut` of pushes is cut before
the answer arrives (the read times out after 1 ms: the server goes on and commits) and the same batch is sent
again until an answer comes, as the PWA's outbox does. A login or pull answered 503 (server busy) or 429 is
tried again after its Retry-After, as the app does; the refusal is counted as that operation's error.

Reported: per operation count, errors, p50/p95/p99 in ms and throughput; then the ledger check: every visit
id a phone got `created`, `duplicate` or `accepted_with_conflict` for is in `visits` exactly once, no visit of
a bench phone is stored that no phone was told about, and no item was answered `invalid` or `conflict`.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import hashlib
import io
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import defaultdict
from pathlib import Path

import requests
import sqlalchemy as sa
from harness import PASSWORD, ROOT, enumerators_holding, free_port, load_demo, scratch_database, server_env

NAME = "verval_bench_phones"
PREFIX = "phone"
STORED = {"created", "duplicate", "accepted_with_conflict"}


class Stats:
    """Latencies (s) and failures per operation, shared by all phone threads."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.latencies: dict[str, list[float]] = defaultdict(list)
        self.errors: dict[str, list[str]] = defaultdict(list)

    def timed(self, operation: str, call, ok=lambda response: response.status_code < 300):
        began = time.perf_counter()
        try:
            response = call()
        except requests.RequestException as error:
            with self.lock:
                self.errors[operation].append(type(error).__name__)
            raise
        elapsed = time.perf_counter() - began
        with self.lock:
            self.latencies[operation].append(elapsed)
            if not ok(response):
                self.errors[operation].append(f"{response.status_code} {response.text[:200]}")
        return response


class Ledger:
    """What the phones were told: visit id → last status, and anything unexpected."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.status: dict[str, str] = {}
        self.unexpected: list[str] = []
        self.visits_sent = 0

    def note(self, results: list[dict]) -> None:
        with self.lock:
            for result in results:
                if result["status"] in STORED:
                    self.status[result["id"]] = result["status"]
                else:
                    self.unexpected.append(json.dumps(result)[:300])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--phones", type=int, default=200)
    parser.add_argument("--duration", type=float, default=300, help="seconds of field work after the first pull")
    parser.add_argument("--households", type=int, default=42124)
    parser.add_argument("--per-phone", type=int, default=200)
    parser.add_argument("--think", type=float, default=2.0, help="mean seconds between a phone's visits")
    parser.add_argument("--cut", type=float, default=0.1, help="share of pushes cut before their answer")
    parser.add_argument("--photo-share", type=float, default=0.2, help="share of visits with one photo")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers (WORKERS of scripts/serve.sh)")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    with scratch_database(NAME) as url:
        print(f"demo-data {args.households} households: {load_demo(url, args.households):.1f} s", flush=True)
        phones = [name for name, _ids in enumerators_holding(url, [args.per_phone] * args.phones, PREFIX)]
        print(f"{len(phones)} phones, {args.per_phone} households each", flush=True)
        stats, ledger = Stats(), Ledger()
        with serve(url, args.workers) as base:
            load_before = os.getloadavg()[0]
            began = time.perf_counter()
            run_phones(base, phones, args, stats, ledger)
            elapsed = time.perf_counter() - began
            load_after = os.getloadavg()[0]
        problems = ledger_check(url, ledger)
    report(args, stats, ledger, elapsed, (load_before, load_after))
    if problems:
        print("LEDGER CHECK FAILED:")
        for problem in problems:
            print("  " + problem)
        sys.exit(1)
    print(f"ledger check: OK ({len(ledger.status)} visits acknowledged, each stored exactly once)")


@contextlib.contextmanager
def serve(url: str, workers: int):
    """scripts/serve.sh (gunicorn + job worker) on a free port; yields the base URL; stops both at the end."""
    port = free_port()
    folder = Path(tempfile.mkdtemp(prefix="verval-phones-"))
    # The phones all come from 127.0.0.1, like a carrier NAT: the per-address login limit (300/min) holds them.
    env = server_env(url) | {"PHOTO_STORE": str(folder / "photos")}
    log = (folder / "server.log").open("wb")
    process = subprocess.Popen(
        ["scripts/serve.sh", str(Path(sys.executable).parent), str(port), str(workers)],
        env=env,
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 600  # on a loaded machine, importing the app in every worker takes a while
        while True:
            with contextlib.suppress(requests.RequestException):
                if requests.get(f"{base}/api/v1/health", timeout=60).status_code == 200:
                    break
            if process.poll() is not None or time.monotonic() > deadline:
                sys.exit(f"server did not start: {(folder / 'server.log').read_text()[-2000:]}")
            time.sleep(0.3)
        for _ in range(workers * 4):
            requests.get(f"{base}/api/v1/health", timeout=60)
        yield base
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
        log.close()
        _print_server_errors(folder / "server.log")
        shutil.rmtree(folder, ignore_errors=True)


def _print_server_errors(path: Path) -> None:
    """The distinct kinds of error the server logged (a 500's cause is only in its log)."""
    seen: dict[str, int] = {}
    for line in path.read_text(errors="replace").splitlines():
        if any(word in line for word in ('"level": "error"', "Traceback", "QueuePool", "TimeoutError")):
            key = line[-300:]
            seen[key] = seen.get(key, 0) + 1
    for key, count in sorted(seen.items(), key=lambda pair: -pair[1])[:8]:
        print(f"server log ({count}x): {key}")


def _jpeg(seed: int) -> bytes:
    from PIL import Image

    rng = random.Random(seed)
    image = Image.frombytes("RGB", (160, 120), rng.randbytes(160 * 120 * 3)).resize((480, 360))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=80)
    return out.getvalue()


def run_phones(base: str, phones: list[str], args, stats: Stats, ledger: Ledger) -> None:
    photo = _jpeg(args.seed)
    start = threading.Barrier(len(phones) + 1)
    threads = [
        threading.Thread(target=phone, args=(base, name, args, stats, ledger, photo, start), daemon=True)
        for name in phones
    ]
    for thread in threads:
        thread.start()
    start.wait()
    for thread in threads:
        thread.join(args.duration + 900)


def phone(base, username, args, stats: Stats, ledger: Ledger, photo: bytes, start) -> None:
    rng = random.Random(f"{args.seed}-{username}")
    session = requests.Session()
    try:
        start.wait()
        time.sleep(rng.uniform(0, min(10.0, args.duration / 10)))  # phones do not all start in the same second
        response = _patiently(
            lambda: stats.timed(
                "login",
                lambda: session.post(
                    f"{base}/api/v1/auth/login",
                    json={"username": username, "password": PASSWORD, "device_name": f"bench {username}"},
                    timeout=120,
                ),
            )
        )
        response.raise_for_status()
        session.headers["Authorization"] = f"Bearer {response.json()['data']['access_token']}"
        session.headers["Accept-Encoding"] = "gzip"
        households, cursor = [], None
        while True:
            page = _patiently(
                lambda cursor=cursor: stats.timed(
                    "pull_first_page" if cursor is None else "pull_next_page",
                    lambda: session.get(
                        f"{base}/api/v1/sync/pull",
                        params={"limit": 500, **({"cursor": cursor} if cursor else {})},
                        timeout=300,
                    ),
                )
            )
            page.raise_for_status()
            body = page.json()
            households += body["data"]["households"]
            cursor = body["meta"]["next_cursor"]
            if not body["meta"]["has_more"]:
                break
        deadline = time.perf_counter() + args.duration
        queue = list(households)
        rng.shuffle(queue)
        outbox: list[dict] = []
        uploads: list[dict] = []
        pushes = 0
        while time.perf_counter() < deadline and queue:
            time.sleep(min(rng.expovariate(1 / args.think), max(0.0, deadline - time.perf_counter())))
            outbox.append(_visit(rng, queue.pop(), uploads, photo, args.photo_share))
            if len(outbox) < rng.randint(1, 5) and queue and time.perf_counter() < deadline:
                continue
            _push(base, session, outbox, rng, args.cut, stats, ledger)
            outbox = []
            for declared in uploads:
                _upload(base, session, declared, photo, stats)
            uploads = []
            pushes += 1
            if pushes % 3 == 0:
                changes = stats.timed(
                    "pull_changes",
                    lambda cursor=cursor: session.get(
                        f"{base}/api/v1/sync/pull", params={"limit": 500, "cursor": cursor}, timeout=300
                    ),
                )
                if changes.status_code == 200:
                    cursor = changes.json()["meta"]["next_cursor"]
        if outbox:
            _push(base, session, outbox, rng, args.cut, stats, ledger)
    except Exception as error:  # a phone's failure is reported, never hides the others'
        with stats.lock:
            stats.errors["phone"].append(f"{username}: {type(error).__name__}: {str(error)[:200]}")


def _patiently(call, attempts: int = 10) -> requests.Response:
    """As the app does: a 503 (server busy) or 429 (rate limit) is tried again after its Retry-After (each
    refusal stays counted as an error of its operation)."""
    for _ in range(attempts - 1):
        response = call()
        if response.status_code not in (429, 503):
            return response
        time.sleep(min(60.0, float(response.headers.get("Retry-After") or 5)))
    return call()


def _visit(rng, household: dict, uploads: list, photo: bytes, photo_share: float) -> dict:
    location = household.get("location") or {"lon": 117.15, "lat": -0.5}
    members = [{"member_id": member["id"], "presence": "present"} for member in household["members"]]
    if members and rng.random() < 0.1:
        members[-1]["presence"] = "moved"
    photos = []
    if rng.random() < photo_share:
        declared = {"id": str(uuid.uuid4()), "kind": "house_front", "sha256": hashlib.sha256(photo).hexdigest()}
        photos.append(declared)
        uploads.append(declared)
    return {
        "id": str(uuid.uuid4()),
        "household_id": household["id"],
        "base_version": household["version"],
        "device_time": time.strftime("%Y-%m-%dT%H:%M:%S+08:00", time.gmtime(time.time() + 8 * 3600)),
        "gps": {
            "lon": round(location["lon"] + rng.uniform(-1e-4, 1e-4), 6),
            "lat": round(location["lat"] + rng.uniform(-1e-4, 1e-4), 6),
            "accuracy_m": round(rng.uniform(4, 30), 1),
        },
        "outcome": "found",
        "consent": True,
        "members": members,
        "house_condition": {"floor": "cement", "wall": "wood", "lighting": "pln_900", "floor_area": 36},
        "aid_reported": [aid["program_code"] for aid in household.get("aid", [])][:3],
        "notes": "Rumah panggung",
        "photos": photos,
    }


def _push(base, session, outbox: list[dict], rng, cut: float, stats: Stats, ledger: Ledger) -> None:
    """Send the outbox until an answer comes; a cut push is sent again whole (the server may have stored it)."""
    body = json.dumps({"items": outbox, "sent_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())})
    headers = {"Content-Type": "application/json"}
    with ledger.lock:
        ledger.visits_sent += len(outbox)
    for attempt in range(20):
        if attempt == 0 and rng.random() < cut:
            with contextlib.suppress(requests.RequestException):
                session.post(f"{base}/api/v1/sync/push", data=body, headers=headers, timeout=(30, 0.001))
            with stats.lock:
                stats.latencies.setdefault("push_cut", []).append(0.0)
            continue
        try:
            response = stats.timed(
                "push", lambda: session.post(f"{base}/api/v1/sync/push", data=body, headers=headers, timeout=300)
            )
        except requests.RequestException:
            time.sleep(1 + attempt)
            continue
        if response.status_code == 200:
            ledger.note(response.json()["data"]["results"])
            return
        time.sleep(1 + attempt)
    with stats.lock:
        stats.errors["push"].append(f"gave up on a batch of {len(outbox)}")


def _upload(base, session, declared: dict, photo: bytes, stats: Stats) -> None:
    metadata = {
        "photo_id": declared["id"],
        "sha256": declared["sha256"],
        "kind": "house_front",
        "filetype": "image/jpeg",
    }
    encoded = ",".join(f"{key} {base64.b64encode(value.encode()).decode()}" for key, value in metadata.items())
    tus = {"Tus-Resumable": "1.0.0"}
    created = stats.timed(
        "photo_create",
        lambda: session.post(
            f"{base}/api/v1/photos/uploads",
            headers=tus | {"Upload-Length": str(len(photo)), "Upload-Metadata": encoded},
            timeout=120,
        ),
    )
    if created.status_code >= 300:
        return
    stats.timed(
        "photo_patch",
        lambda: session.patch(
            base + created.headers["Location"],
            data=photo,
            headers=tus | {"Upload-Offset": "0", "Content-Type": "application/offset+octet-stream"},
            timeout=120,
        ),
    )


def ledger_check(url: str, ledger: Ledger) -> list[str]:
    problems = [f"unexpected result: {line}" for line in ledger.unexpected[:20]]
    ids = list(ledger.status)
    engine = sa.create_engine(url)
    with engine.connect() as connection:
        rows, distinct = connection.execute(
            sa.text("SELECT count(*), count(DISTINCT id) FROM visits WHERE id = ANY(CAST(:ids AS uuid[]))"),
            {"ids": ids},
        ).one()
        bench_rows = connection.execute(
            sa.text(
                "SELECT count(*) FROM visits v JOIN users u ON u.id = v.enumerator_id WHERE u.username LIKE :prefix"
            ),
            {"prefix": f"{PREFIX}%"},
        ).scalar_one()
    engine.dispose()
    if rows != len(ids) or distinct != len(ids):
        problems.append(f"{len(ids)} visits acknowledged, {distinct} of them stored ({rows} rows)")
    if bench_rows != len(ids):
        problems.append(f"the phones' visits in the database: {bench_rows}, acknowledged: {len(ids)}")
    if ledger.visits_sent != len(ids):
        problems.append(f"visits sent {ledger.visits_sent}, acknowledged {len(ids)}")
    return problems


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered) + 0.5) - 1))]


def report(args, stats: Stats, ledger: Ledger, elapsed: float, loads: tuple[float, float]) -> None:
    print(
        f"{args.phones} phones, {args.duration:.0f} s of field work (wall {elapsed:.0f} s incl. login and first pull), "
        f"think {args.think} s, cut {args.cut:.0%}, photos {args.photo_share:.0%}, gunicorn {args.workers} workers; "
        f"load average {loads[0]:.1f} before, {loads[1]:.1f} after ({os.cpu_count()} cores)"
    )
    print(f"{'operation':<16}{'count':>8}{'errors':>8}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'max ms':>9}{'per s':>8}")
    for operation in sorted(set(stats.latencies) | set(stats.errors)):
        values = stats.latencies.get(operation, [])
        errors = len(stats.errors.get(operation, []))
        if operation == "push_cut" or not values:
            print(f"{operation:<16}{len(values):>8}{errors:>8}")
            continue
        print(
            f"{operation:<16}{len(values):>8}{errors:>8}"
            + "".join(f"{_percentile(values, share) * 1000:>9.0f}" for share in (0.5, 0.95, 0.99))
            + f"{max(values) * 1000:>9.0f}{len(values) / elapsed:>8.1f}"
        )
    print(f"visits acknowledged: {len(ledger.status)} ({len(ledger.status) / elapsed:.1f}/s)")
    for operation, errors in stats.errors.items():
        for line in errors[:3]:
            print(f"  {operation} error: {line}")


if __name__ == "__main__":
    main()
