"""What the HTTP benchmarks share: a scratch database holding the demo city, bench enumerators given whole
kelurahan through the campaigns service, gunicorn on a free port, and logins.

Not a benchmark itself; `push_ingest.py`, `first_pull.py` and `photo_upload.py` import it.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import requests
import sqlalchemy as sa
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
PASSWORD = "demo-verval"


@contextlib.contextmanager
def scratch_database(name: str) -> Iterator[str]:
    """A fresh database `name` on the server of DATABASE_URL, migrated; dropped on the way out."""
    server = make_url(os.environ["DATABASE_URL"])
    admin = sa.create_engine(server.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = server.set(database=name).render_as_string(hide_password=False)
    try:
        from flask_migrate import upgrade

        from server import create_app
        from server.extensions import db

        app = create_app({"PROFILE": "test", "SQLALCHEMY_DATABASE_URI": url})
        with app.app_context():
            upgrade()
            db.session.remove()
            db.engine.dispose()
        yield url
    finally:
        with admin.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def server_env(url: str) -> dict[str, str]:
    return {**os.environ, "DATABASE_URL": url, "FLASK_APP": "server:create_app", "VERVAL_PROFILE": "development"}


def load_demo(url: str, households: int) -> float:
    """`flask demo-data` in its own process (as an operator runs it); returns its wall time."""
    started = time.perf_counter()
    command = [sys.executable, "-m", "flask", "demo-data", "--households", str(households), "--seed", "1"]
    done = subprocess.run(command, env=server_env(url), cwd=ROOT, capture_output=True, text=True, check=False)
    if done.returncode:
        sys.exit(f"demo-data failed: {done.stderr.strip() or done.stdout.strip()}")
    elapsed = time.perf_counter() - started
    # A live database has long been vacuumed and analysed by autovacuum; right after a bulk COPY it has not,
    # and the first minutes would measure hint-bit writes and plans made without statistics.
    engine = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(sa.text("VACUUM ANALYZE"))
    engine.dispose()
    return elapsed


def make_enumerators(url: str, sizes: list[int], prefix: str) -> list[tuple[str, list[str]]]:
    """One enumerator per size, each given whole kelurahan that nobody holds yet (through the campaigns
    service, as a supervisor would) until it has at least that many households. Returns (username, ids)."""
    from server import create_app
    from server.auth.access import Actor
    from server.auth.models import User, UserScope
    from server.auth.passwords import hash_password
    from server.campaigns import service
    from server.extensions import db
    from server.types import Role

    app = create_app({"PROFILE": "development", "SQLALCHEMY_DATABASE_URI": url})
    made = []
    with app.app_context():
        supervisor = db.session.execute(sa.select(User).where(User.username == "supervisor")).scalar_one()
        actor = Actor(supervisor.id, supervisor.username, Role.SUPERVISOR, tuple(supervisor.region_codes), None)
        campaign_id = db.session.execute(sa.text("SELECT id FROM campaigns WHERE active ORDER BY id LIMIT 1")).scalar()
        free = db.session.execute(
            sa.text(
                """
                SELECT h.region_code, count(*) FROM households h
                 WHERE NOT EXISTS (SELECT 1 FROM assignments a WHERE a.household_id = h.id AND a.unassigned_at IS NULL)
                   AND h.registry_status NOT IN ('merged', 'removed')
                 GROUP BY h.region_code ORDER BY count(*) DESC, h.region_code
                """
            )
        ).all()
        password_hash = hash_password(PASSWORD)
        for number, size in enumerate(sizes, start=1):
            regions, total = [], 0
            while total < size:
                if not free:
                    sys.exit("not enough unassigned households for the bench enumerators")
                code, count = free.pop(0)
                regions.append(code)
                total += count
            username = f"{prefix}{number}"
            user = User(username=username, full_name=f"Bench {number}", role=Role.ENUMERATOR)
            user.password_hash = password_hash
            user.scopes = [UserScope(region_code=code) for code in regions]
            db.session.add(user)
            db.session.flush()
            for code in regions:
                service.assign(campaign_id, {"enumerator_id": user.id, "kelurahan": code}, actor)
            ids = db.session.execute(
                sa.text(
                    "SELECT household_id::text FROM assignments WHERE enumerator_id = :u AND unassigned_at IS NULL"
                ),
                {"u": user.id},
            ).scalars()
            made.append((username, sorted(ids)))
        db.session.commit()
        # A campaign's bulk assignment is followed by autovacuum's ANALYZE; without it the planner takes each
        # new enumerator for one with no assignments and reads all of theirs for every household looked up.
        db.session.execute(sa.text("ANALYZE assignments, users, user_scopes"))
        db.session.commit()
        db.session.remove()
        db.engine.dispose()
    return made


def enumerators_holding(url: str, sizes: list[int], prefix: str) -> list[tuple[str, list[str]]]:
    """One enumerator per size, each scoped to one kecamatan and given exactly that many unassigned households
    of it (by id, through the campaigns service, as a supervisor would); a kecamatan may serve several of them.
    Unlike `make_enumerators`, the size does not grow with the city. Returns (username, household ids)."""
    from server import create_app
    from server.auth.access import Actor
    from server.auth.models import User, UserScope
    from server.auth.passwords import hash_password
    from server.campaigns import service
    from server.extensions import db
    from server.types import Role

    app = create_app({"PROFILE": "development", "SQLALCHEMY_DATABASE_URI": url})
    made = []
    with app.app_context():
        supervisor = db.session.execute(sa.select(User).where(User.username == "supervisor")).scalar_one()
        actor = Actor(supervisor.id, supervisor.username, Role.SUPERVISOR, tuple(supervisor.region_codes), None)
        campaign_id = db.session.execute(sa.text("SELECT id FROM campaigns WHERE active ORDER BY id LIMIT 1")).scalar()
        rows = db.session.execute(
            sa.text(
                """
                SELECT h.region_code, h.id FROM households h
                 WHERE NOT EXISTS (SELECT 1 FROM assignments a WHERE a.household_id = h.id AND a.unassigned_at IS NULL)
                   AND h.registry_status NOT IN ('merged', 'removed')
                 ORDER BY h.region_code, h.rw, h.rt, h.id
                """
            )
        ).all()
        free: dict[str, list] = {}
        for code, household_id in rows:
            free.setdefault(code[:8], []).append(household_id)  # 64.72.01.1001 lies in kecamatan 64.72.01
        password_hash = hash_password(PASSWORD)
        for number, size in enumerate(sizes, start=1):
            code = max(free, key=lambda region: len(free[region]))
            if len(free[code]) < size:
                sys.exit(f"no kecamatan has {size} unassigned households left for enumerator {number}")
            chosen, free[code] = free[code][:size], free[code][size:]
            user = User(username=f"{prefix}{number}", full_name=f"Bench {number}", role=Role.ENUMERATOR)
            user.password_hash = password_hash
            user.scopes = [UserScope(region_code=code)]
            db.session.add(user)
            db.session.flush()
            for start in range(0, len(chosen), 5000):
                service.assign(
                    campaign_id, {"enumerator_id": user.id, "household_ids": chosen[start : start + 5000]}, actor
                )
            made.append((user.username, sorted(str(household_id) for household_id in chosen)))
        db.session.commit()
        db.session.remove()
        db.engine.dispose()
    return made


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextlib.contextmanager
def gunicorn(url: str, workers: int = 4, root: Path = ROOT, **env: str) -> Iterator[tuple[str, Path]]:
    """gunicorn serving the app on the scratch database; yields (base URL, access log path).
    The access log records each request's path, status, response bytes and server time in microseconds;
    read it inside the block (the folder with the log and the photo store goes when gunicorn stops).
    `root`: the source tree served (another checkout compares two versions of the code in one run)."""
    port = free_port()
    folder = Path(tempfile.mkdtemp(prefix="verval-bench-"))
    log = folder / "access.log"
    command = [
        str(Path(sys.executable).parent / "gunicorn"),
        "--workers",
        str(workers),
        "--bind",
        f"127.0.0.1:{port}",
        "--access-logfile",
        str(log),
        "--access-logformat",
        "%(m)s %(U)s %(s)s %(B)s %(D)s",
        "server:create_app()",
    ]
    process = subprocess.Popen(
        command, env={**server_env(url), "PHOTO_STORE": str(folder / "photos"), **env}, cwd=root, stderr=subprocess.PIPE
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            with contextlib.suppress(requests.ConnectionError):
                if requests.get(f"{base}/api/v1/health", timeout=120).status_code == 200:
                    break
            if process.poll() is not None or time.monotonic() > deadline:
                sys.exit(f"gunicorn did not start: {process.stderr.read().decode()[-2000:]}")
            time.sleep(0.2)
        # Workers boot one after another (each imports the app): warm them all before timing anything.
        for _ in range(workers * 4):
            requests.get(f"{base}/api/v1/health", timeout=120)
        SERVERS[base] = process.pid
        yield base, log
    finally:
        SERVERS.pop(base, None)
        process.terminate()
        process.wait(timeout=30)
        shutil.rmtree(folder, ignore_errors=True)


# base URL → gunicorn master's pid, while it serves (for `server_cpu`).
SERVERS: dict[str, int] = {}


def cpu_seconds(pids: list[int]) -> dict[int, float]:
    """User + system CPU seconds used so far by each of these processes (Linux /proc; gone ones left out).
    On a machine shared with other work, CPU per request is what stays comparable; wall time does not."""
    tick = os.sysconf("SC_CLK_TCK")
    used = {}
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        used[pid] = (int(fields[11]) + int(fields[12])) / tick
    return used


def server_pids(base: str) -> list[int]:
    """The gunicorn serving `base`: its master and workers."""
    master = SERVERS[base]
    children = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == master:
                children.append(int(stat.parent.name))
        except (OSError, ValueError):
            continue
    return [master, *children]


def backend_pids(url: str) -> list[int]:
    """The PostgreSQL backends connected to this database (other than the asking one)."""
    engine = sa.create_engine(url)
    with engine.connect() as connection:
        pids = connection.execute(
            sa.text("SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()")
        ).scalars()
        pids = list(pids)
    engine.dispose()
    return pids


def cpu_spent(before: dict[int, float], after: dict[int, float]) -> float:
    """CPU seconds between two `cpu_seconds` readings (a process new since the first counts from zero)."""
    return sum(used - before.get(pid, 0.0) for pid, used in after.items())


def login(base: str, username: str) -> requests.Session:
    """A requests session carrying the enumerator's bearer token (one device per enumerator)."""
    session = requests.Session()
    response = session.post(
        f"{base}/api/v1/auth/login",
        json={"username": username, "password": PASSWORD, "device_name": f"bench {username}"},
        timeout=30,
    )
    response.raise_for_status()
    session.headers["Authorization"] = f"Bearer {response.json()['data']['access_token']}"
    return session


def access_log(path: Path, prefix: str) -> list[tuple[int, int, int]]:
    """(status, bytes, microseconds) of each logged request whose path starts with `prefix`."""
    rows = []
    for line in path.read_text().splitlines():
        if line.startswith("{"):  # server/logs.py writes every log line as JSON, our format in its message
            line = json.loads(line).get("message", "")
        fields = line.split()
        if len(fields) != 5:
            continue
        _method, route, status, size, micros = fields
        if route.startswith(prefix):
            rows.append((int(status), int(size) if size != "-" else 0, int(micros)))
    return rows
