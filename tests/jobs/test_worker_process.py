"""Jobs with a real `flask jobs worker` process on a database of their own (committed work, nothing rolled back):

- an import job answers 202 at once, reports its phases while it runs, keeps running when the client that
  started it has gone, and its result (the import report) is there afterwards;
- a worker killed with SIGKILL in the middle of applying an import leaves nothing half-applied: PostgreSQL
  rolls its transaction back, the job's lease expires, and the next worker runs it again from the start;
- cancelling a running job stops it at its next progress report with nothing applied, and the worker goes on;
- SIGTERM stops a worker cleanly (its row leaves job_workers); a job it was running goes back to the queue
  without counting the attempt, and the next worker runs it.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask_jwt_extended import create_access_token

from server.extensions import db
from tests.factories import make_user

ROOT = Path(__file__).resolve().parents[2]
HEADER = "registry_id,kk_number,kelurahan_code,nik,name,sex,relationship\n"
LEASE_SECONDS = 3


def registry_csv(prefix: str, households: int, first_day: int) -> bytes:
    """`households` valid households of three members (head, wife, son) in 64.72.01; NIKs are unique within
    the file and between files with `first_day`s at least households // 3000 + 1 apart."""
    assert households <= 9000
    lines = [HEADER]
    for number in range(households):
        day, serial = first_day + number // 3000, (number % 3000) * 3
        kk = f"647201{day:02d}0315{number % 9999 + 1:04d}"
        key = f"{prefix}{number:05d}"
        for offset, (name, sex, relationship) in enumerate((("Kepala", 1, 1), ("Istri", 2, 2), ("Anak", 1, 3))):
            nik = f"647201{day + (40 if sex == 2 else 0):02d}0580{serial + offset + 1:04d}"
            lines.append(f"{key},{kk},64.72.01.1001,{nik},{name} {number},{sex},{relationship}\n")
    return "".join(lines).encode()


@pytest.fixture(scope="module")
def worker_app(make_committed_app, tmp_path_factory):
    app = make_committed_app("_jobs_worker")
    app.config.update(JOBS_INLINE=False, JOB_STORE=str(tmp_path_factory.mktemp("job-store")))
    return app


@pytest.fixture(scope="module")
def admin_headers(worker_app):
    with worker_app.app_context():
        admin = make_user("admin", username=f"jobs-admin-{uuid.uuid4().hex[:6]}")
        db.session.commit()
        token = create_access_token(identity=str(admin.id))
        db.session.remove()
    return {"Authorization": f"Bearer {token}"}


class WorkerProcess:
    def __init__(self, app) -> None:
        env = {
            **os.environ,
            "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
            "VERVAL_PROFILE": "test",
            "FLASK_APP": "server:create_app",
            "JOB_STORE": app.config["JOB_STORE"],
            "JOBS_HEARTBEAT_SECONDS": "1",
            "JOBS_LEASE_SECONDS": str(LEASE_SECONDS),
            "JOBS_POLL_SECONDS": "1",
        }
        Path(app.config["JOB_STORE"]).mkdir(parents=True, exist_ok=True)
        self.log = Path(app.config["JOB_STORE"]) / f"worker-{uuid.uuid4().hex[:6]}.log"
        self.process = subprocess.Popen(
            [sys.executable, "-m", "flask", "jobs", "worker"],
            cwd=ROOT,
            env=env,
            stdout=self.log.open("wb"),
            stderr=subprocess.STDOUT,
        )

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def stop(self, sig=signal.SIGTERM, timeout: float = 30) -> int:
        if self.process.poll() is None:
            self.process.send_signal(sig)
        return self.process.wait(timeout=timeout)


@pytest.fixture
def workers(worker_app):
    started: list[WorkerProcess] = []

    def start() -> WorkerProcess:
        worker = WorkerProcess(worker_app)
        started.append(worker)
        return worker

    yield start
    for worker in started:
        if worker.process.poll() is None:
            worker.process.kill()
            worker.process.wait(timeout=10)
    # A test that failed half-way leaves no job for the next test's worker to pick up first.
    engine = sa.create_engine(worker_app.config["SQLALCHEMY_DATABASE_URI"], poolclass=sa.pool.NullPool)
    with engine.begin() as connection:
        connection.execute(sa.text("UPDATE jobs SET state = 'cancelled' WHERE state IN ('queued', 'running')"))
    engine.dispose()


def _post_import(app, headers, data: bytes):
    client = app.test_client()
    started = time.perf_counter()
    response = client.post(
        "/api/v1/imports/registry",
        data={"file": (__import__("io").BytesIO(data), "city.csv")},
        headers=headers,
        content_type="multipart/form-data",
    )
    return response, time.perf_counter() - started


def _job(app, headers, job_id: str) -> dict:
    response = app.test_client().get(f"/api/v1/jobs/{job_id}", headers=headers)
    assert response.status_code == 200, response.get_json()
    return response.get_json()["data"]


def _count(app, sql: str, **params) -> int:
    engine = sa.create_engine(app.config["SQLALCHEMY_DATABASE_URI"], poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as connection:
            return connection.execute(sa.text(sql), params).scalar_one()
    finally:
        engine.dispose()


def _wait_for(condition, timeout: float, what: str, worker: WorkerProcess | None = None, every: float = 0.05):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        value = condition()
        if value:
            return value
        time.sleep(every)
    raise AssertionError(f"timed out waiting for {what}" + (f"\nworker log:\n{worker.output()}" if worker else ""))


def test_an_import_job_reports_progress_survives_its_client_and_keeps_its_result(worker_app, admin_headers, workers):
    worker = workers()
    data = registry_csv("WP-", 4000, first_day=1)
    response, _seconds = _post_import(worker_app, admin_headers, data)
    assert response.status_code == 202, response.get_json()
    job_id = response.get_json()["data"]["id"]
    assert response.get_json()["data"]["state"] == "queued"  # the answer did not wait for the import
    del response  # the client that started the job is gone; the job is the worker's business now

    seen: list[tuple[str, str | None, int]] = []

    def finished():
        job = _job(worker_app, admin_headers, job_id)
        seen.append((job["state"], job["progress"]["phase"], job["progress"]["done"]))
        return job if job["state"] in ("done", "failed", "cancelled") else None

    job = _wait_for(finished, 120, "the import job to finish", worker, every=0.02)
    assert job["state"] == "done", job
    running = [(phase, done) for state, phase, done in seen if state == "running" and phase]
    assert running, seen  # progress was visible while the job's own transaction was still open
    assert {phase for phase, _ in running} <= {"reading", "validating", "staging", "applying"}
    assert job["progress"]["phase"] == "applying" and job["attempts"] == 1
    report = worker_app.test_client().get(job["result"]["links"]["report"], headers=admin_headers)
    assert report.status_code == 200
    counts = report.get_json()["data"]["counts"]
    assert counts["households_inserted"] == 4000 and counts["members_inserted"] == 12000, counts
    assert _count(worker_app, "SELECT count(*) FROM households WHERE registry_id LIKE 'WP-%'") == 4000
    assert not (Path(worker_app.config["JOB_STORE"]) / "uploads" / job_id).exists()

    assert worker.stop(signal.SIGTERM) == 0, worker.output()
    assert _count(worker_app, "SELECT count(*) FROM job_workers") == 0


def test_a_worker_killed_mid_import_leaves_nothing_half_applied_and_the_job_is_run_again(
    worker_app, admin_headers, workers
):
    first = workers()
    url = worker_app.config["SQLALCHEMY_DATABASE_URI"]
    blocker_engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    blocker = blocker_engine.connect()
    blocker_transaction = blocker.begin()
    # Members cannot be written until we say so: the import inserts its households, then waits on members.
    blocker.execute(sa.text("LOCK TABLE members IN SHARE MODE"))
    try:
        response, _ = _post_import(worker_app, admin_headers, registry_csv("WK-", 1000, first_day=10))
        job_id = response.get_json()["data"]["id"]
        _wait_for(
            lambda: _job(worker_app, admin_headers, job_id)["progress"]["phase"] == "applying",
            120,
            "the job to start applying",
            first,
        )
        waiting = _wait_for(
            lambda: _count(
                worker_app,
                "SELECT min(pid) FROM pg_locks WHERE NOT granted AND relation = 'members'::regclass",
            ),
            60,
            "the worker's transaction to wait on members (households already inserted)",
            first,
        )
        first.stop(signal.SIGKILL)
    finally:
        blocker_transaction.rollback()
        blocker.close()
        blocker_engine.dispose()
    # The killed worker's backend notices its client is gone and rolls back: none of its households remain.
    _wait_for(
        lambda: _count(worker_app, "SELECT count(*) = 0 FROM pg_stat_activity WHERE pid = :pid", pid=waiting),
        60,
        "the killed worker's backend to end",
    )
    assert _count(worker_app, "SELECT count(*) FROM households WHERE registry_id LIKE 'WK-%'") == 0
    assert _job(worker_app, admin_headers, job_id)["state"] == "running"  # until its lease runs out

    second = workers()
    job = _wait_for(
        lambda: (job := _job(worker_app, admin_headers, job_id))["state"] in ("done", "failed") and job,
        120,
        "the job to be run again by the second worker",
        second,
        every=0.2,
    )
    assert job["state"] == "done" and job["attempts"] == 2, job
    assert job["result"]["counts"]["households_inserted"] == 1000, job["result"]
    assert _count(worker_app, "SELECT count(*) FROM households WHERE registry_id LIKE 'WK-%'") == 1000
    assert (
        _count(
            worker_app,
            "SELECT count(*) FROM members m JOIN households h ON h.id = m.household_id WHERE h.registry_id LIKE 'WK-%'",
        )
        == 3000
    )
    assert (
        _count(
            worker_app, "SELECT count(*) FROM audit_log WHERE action = 'job.worker_lost' AND object_id = :id", id=job_id
        )
        == 1
    )
    assert second.stop(signal.SIGTERM) == 0, second.output()


def test_cancel_stops_a_running_job_and_sigterm_puts_one_back_in_the_queue(worker_app, admin_headers, workers):
    first = workers()

    def start(prefix: str, first_day: int) -> str:
        response, _ = _post_import(worker_app, admin_headers, registry_csv(prefix, 4000, first_day=first_day))
        job_id = response.get_json()["data"]["id"]
        _wait_for(
            lambda: _job(worker_app, admin_headers, job_id)["progress"]["phase"] == "validating",
            120,
            f"job {prefix} to be validating",
            first,
            every=0.02,
        )
        return job_id

    # Cancel while it runs: it stops at its next progress report; nothing of it is applied.
    cancelled_id = start("WC-", 20)
    answer = worker_app.test_client().post(f"/api/v1/jobs/{cancelled_id}/cancel", headers=admin_headers)
    assert answer.status_code == 200 and answer.get_json()["data"]["cancel_requested"] is True
    job = _wait_for(
        lambda: (job := _job(worker_app, admin_headers, cancelled_id))["state"] != "running" and job,
        60,
        "the cancelled job to stop",
        first,
    )
    assert job["state"] == "cancelled" and job["error"]["code"] == "job.cancelled", job
    assert _count(worker_app, "SELECT count(*) FROM households WHERE registry_id LIKE 'WC-%'") == 0
    assert first.process.poll() is None  # the worker goes on

    # SIGTERM while it runs: the job is rolled back and queued again (the attempt does not count).
    requeued_id = start("WT-", 30)
    assert first.stop(signal.SIGTERM) == 0, first.output()
    job = _job(worker_app, admin_headers, requeued_id)
    assert (job["state"], job["attempts"]) == ("queued", 0), job
    assert _count(worker_app, "SELECT count(*) FROM households WHERE registry_id LIKE 'WT-%'") == 0

    second = workers()
    job = _wait_for(
        lambda: (job := _job(worker_app, admin_headers, requeued_id))["state"] in ("done", "failed") and job,
        120,
        "the requeued job to be run by the next worker",
        second,
        every=0.2,
    )
    assert job["state"] == "done" and job["attempts"] == 1, job
    assert _count(worker_app, "SELECT count(*) FROM households WHERE registry_id LIKE 'WT-%'") == 4000
    assert second.stop(signal.SIGTERM) == 0, second.output()


def test_a_worker_survives_losing_its_database_connections(worker_app, admin_headers, workers):
    worker = workers()
    listening = (
        "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'verval-worker'"
        " AND datname = current_database() AND query LIKE 'LISTEN%'"
    )
    _wait_for(lambda: _count(worker_app, listening), 60, "the worker to listen for jobs", worker)
    killed = _count(
        worker_app,
        "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
        " WHERE application_name = 'verval-worker' AND datname = current_database()",
    )
    assert killed >= 1
    response, _ = _post_import(worker_app, admin_headers, registry_csv("WD-", 10, first_day=40 - 12))
    job_id = response.get_json()["data"]["id"]
    job = _wait_for(
        lambda: (job := _job(worker_app, admin_headers, job_id))["state"] in ("done", "failed") and job,
        60,
        "the worker to reconnect and run the job",
        worker,
        every=0.2,
    )
    assert job["state"] == "done", job
    assert worker.process.poll() is None, worker.output()
    assert worker.stop(signal.SIGTERM) == 0, worker.output()


def test_a_worker_deletes_result_files_past_their_retention(worker_app):
    from datetime import UTC, datetime, timedelta

    from server.jobs.models import Job
    from server.jobs.storage import job_store
    from server.jobs.worker import Worker

    with worker_app.app_context():
        store = job_store()
        old, recent = uuid.uuid4(), uuid.uuid4()
        for job_id, age in ((old, 30), (recent, 1)):
            with store.write_result(job_id, "households.csv") as out:
                out.write("registry_id\n")
            key = store.result_key(job_id, "households.csv")
            db.session.add(
                Job(
                    id=job_id,
                    kind="export.households",
                    state="done",
                    payload={},
                    result={"file": {"key": key, "name": "households.csv", "media_type": "text/csv"}},
                    finished_at=datetime.now(UTC) - timedelta(days=age),
                )
            )
        db.session.commit()
        assert Worker(worker_app).run(once=True) == 0
        assert not store.exists(store.result_key(old, "households.csv"))
        assert store.exists(store.result_key(recent, "households.csv"))
        db.session.remove()


def test_a_worker_started_before_the_schema_waits_for_the_migration(create_database, tmp_path):
    """docker-compose starts the worker beside the app, which migrates: the worker must wait, not die."""
    from flask_migrate import upgrade

    from server import create_app
    from server.regions.service import load_regions
    from tests.conftest import _seed_reference_data

    url = create_database("_jobs_early_worker")
    app = create_app({"PROFILE": "test", "SQLALCHEMY_DATABASE_URI": url})
    app.config.update(JOBS_INLINE=False, JOB_STORE=str(tmp_path / "job-store"))
    worker = WorkerProcess(app)
    try:
        time.sleep(3)  # it meets an empty database
        assert worker.process.poll() is None, worker.output()
        with app.app_context():
            upgrade()
            load_regions()
            _seed_reference_data()
            admin = make_user("admin", username="early-admin")
            db.session.commit()
            headers = {"Authorization": f"Bearer {create_access_token(identity=str(admin.id))}"}
            db.session.remove()
        response, _ = _post_import(app, headers, registry_csv("WE-", 5, first_day=25))
        job_id = response.get_json()["data"]["id"]
        job = _wait_for(
            lambda: (job := _job(app, headers, job_id))["state"] in ("done", "failed") and job,
            90,
            "the early worker to run a job once the schema exists",
            worker,
            every=0.2,
        )
        assert job["state"] == "done", job
        assert worker.stop(signal.SIGTERM) == 0, worker.output()
    finally:
        if worker.process.poll() is None:
            worker.process.kill()
            worker.process.wait(timeout=10)
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
