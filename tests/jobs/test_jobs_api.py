"""The job resource with jobs run inline (the test profile's default): 202 and Location, scoping (own jobs;
admins all), audit, cancel, the export's result file for its owner only, a failed job changing nothing and
saying why, a lost worker's job retried or failed, and the queue in /api/v1/health."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from flask import current_app

from server.audit.models import AuditEntry
from server.errors import validation_error
from server.households.models import Household
from server.jobs import service
from server.jobs.kinds import job_kind
from server.jobs.models import Job
from server.jobs.storage import job_store
from tests.factories import make_household, make_member, make_user
from tests.imports.helpers import job_of

SAMPLE = b"""registry_id,kk_number,kelurahan_code,nik,name,sex,relationship
JOBS-1,6472011503150011,64.72.01.1001,6472011705800011,Slamet,1,1
"""


@job_kind("test.writes_then_fails", title="Uji / Test")
def _writes_then_fails(context):
    make_household(registry_id=f"HALF-{context.job_id.hex[:12]}")
    context.phase("applying", 2)
    raise validation_error({"file": ["Baris 2 rusak / row 2 is broken"]})


@job_kind("test.crashes", title="Uji / Test")
def _crashes(context):
    make_household(registry_id=f"CRASH-{context.job_id.hex[:12]}")
    raise RuntimeError("a bug, with a NIK 6472011705800011 in its message")


def _import(client, headers, data=SAMPLE):
    return client.post(
        "/api/v1/imports/registry",
        data={"file": (io.BytesIO(data), "r.csv")},
        headers=headers,
        content_type="multipart/form-data",
    )


@pytest.fixture(autouse=True)
def _own_store(app, tmp_path):
    """Each test its own job store (files are not rolled back with the database)."""
    before = app.config["JOB_STORE"]
    app.config["JOB_STORE"] = str(tmp_path / "job-store")
    yield
    app.config["JOB_STORE"] = before


@pytest.fixture
def queued(app):
    """Jobs stay queued (as with a worker that has not taken them yet) for the length of a test."""
    app.config["JOBS_INLINE"] = False
    yield
    app.config["JOBS_INLINE"] = True


def test_a_job_is_seen_by_its_owner_and_admins_only_and_its_start_is_audited(client, auth_headers, db_session):
    owner = make_user("supervisor", ["64.72.01"])
    other = make_user("supervisor", ["64.72.01"])
    admin = make_user("admin")
    job = job_of(_import(client, auth_headers(owner)))
    assert job["state"] == "done" and job["title"].startswith("Impor registri")
    assert job["progress"]["phase"] == "applying" and job["error"] is None
    assert job["created_at"] <= job["started_at"] <= job["finished_at"]
    url = job["links"]["self"]
    assert client.get(url, headers=auth_headers(owner)).status_code == 200
    assert client.get(url, headers=auth_headers(admin)).status_code == 200
    assert client.get(url, headers=auth_headers(other)).status_code == 404
    assert client.get(f"/api/v1/jobs/{uuid.uuid4()}", headers=auth_headers(owner)).status_code == 404

    own = client.get("/api/v1/jobs", headers=auth_headers(owner)).get_json()["data"]
    assert [item["id"] for item in own] == [job["id"]]
    assert client.get("/api/v1/jobs", headers=auth_headers(other)).get_json()["data"] == []
    assert client.get("/api/v1/jobs?everyone=true", headers=auth_headers(other)).status_code == 403
    everyone = client.get("/api/v1/jobs?everyone=true", headers=auth_headers(admin)).get_json()["data"]
    assert job["id"] in {item["id"] for item in everyone}
    assert client.get("/api/v1/jobs?state=bogus", headers=auth_headers(owner)).status_code == 422

    audit = db_session.execute(
        sa.select(AuditEntry).where(AuditEntry.action == "job.enqueue", AuditEntry.object_id == job["id"])
    ).scalar_one()
    assert audit.actor_id == owner.id and audit.changes == {"kind": "import.registry"}
    # The import the job ran is audited under the same user.
    assert (
        db_session.execute(sa.select(AuditEntry.actor_id).where(AuditEntry.action == "import.registry")).scalar_one()
        == owner.id
    )
    # The uploaded file is not kept once the job has finished.
    assert list(job_store().keys("uploads")) == []


def test_list_pages_by_cursor(client, auth_headers, db_session, queued):
    owner = make_user("admin")
    ids = [job_of(_import(client, auth_headers(owner)))["id"] for _ in range(3)]
    first = client.get("/api/v1/jobs?limit=2", headers=auth_headers(owner)).get_json()
    assert len(first["data"]) == 2 and first["meta"]["next_cursor"]
    second = client.get(f"/api/v1/jobs?limit=2&cursor={first['meta']['next_cursor']}", headers=auth_headers(owner))
    seen = [item["id"] for item in first["data"] + second.get_json()["data"]]
    assert sorted(seen) == sorted(ids)  # every job once (one transaction: same created_at, ordered by id)
    assert second.get_json()["meta"]["next_cursor"] is None
    assert client.get("/api/v1/jobs?cursor=nonsense", headers=auth_headers(owner)).status_code == 422


def test_a_queued_job_is_cancelled_at_once_a_finished_one_not(client, auth_headers, db_session, queued):
    owner = make_user("supervisor", ["64.72.01"])
    job = job_of(_import(client, auth_headers(owner)))
    assert job["state"] == "queued" and job["cancellable"] is True
    assert job_store().exists(f"uploads/{job['id']}")
    assert client.post(job["links"]["cancel"], headers=auth_headers(make_user("admin", []))).status_code == 200
    again = client.post(job["links"]["cancel"], headers=auth_headers(owner))
    assert again.status_code == 409 and again.get_json()["error"]["code"] == "job.not_cancellable"
    cancelled = client.get(job["links"]["self"], headers=auth_headers(owner)).get_json()["data"]
    assert cancelled["state"] == "cancelled" and cancelled["error"]["code"] == "job.cancelled"
    assert not job_store().exists(f"uploads/{job['id']}")
    other = make_user("supervisor", ["64.72.01"])
    assert client.post(job["links"]["cancel"], headers=auth_headers(other)).status_code == 404
    assert (
        db_session.execute(
            sa.select(sa.func.count()).select_from(AuditEntry).where(AuditEntry.action == "job.cancel")
        ).scalar_one()
        == 1
    )


def test_a_failed_job_changes_nothing_and_says_why(app, db_session):
    admin = make_user("admin")
    from server.auth.access import Actor
    from server.types import Role

    actor = Actor(admin.id, admin.username, Role.ADMIN, (), None)
    job = service.enqueue("test.writes_then_fails", {}, actor=actor)
    assert job.state == "failed" and job.result is None
    assert job.error["code"] == "validation.failed" and job.error["message"] == "file: Baris 2 rusak / row 2 is broken"
    crashed = service.enqueue("test.crashes", {}, actor=actor)
    assert crashed.state == "failed" and crashed.error["code"] == "internal"
    assert "6472011705800011" not in str(crashed.error)  # no exception text (personal data) reaches the client
    written = db_session.execute(
        sa.select(sa.func.count())
        .select_from(Household)
        .where(Household.registry_id.like("HALF-%") | Household.registry_id.like("CRASH-%"))
    ).scalar_one()
    assert written == 0


def test_a_job_whose_worker_vanished_is_retried_then_failed(app, db_session):
    stale = datetime.now(UTC) - timedelta(seconds=current_app.config["JOBS_LEASE_SECONDS"] + 5)
    retry = Job(kind="import.registry", state="running", payload={}, attempts=1, max_attempts=2, heartbeat_at=stale)
    last = Job(kind="import.registry", state="running", payload={}, attempts=2, max_attempts=2, heartbeat_at=stale)
    alive = Job(
        kind="import.registry", state="running", payload={}, attempts=1, max_attempts=2, heartbeat_at=datetime.now(UTC)
    )
    db_session.add_all([retry, last, alive])
    db_session.flush()
    service.reap_expired()
    for job in (retry, last, alive):
        db_session.refresh(job)
    assert (retry.state, retry.error) == ("queued", None)
    assert last.state == "failed" and last.error["code"] == "job.worker_lost" and last.finished_at is not None
    assert "tidak ada data yang diubah" in last.error["message"] and "no data was changed" in last.error["message"]
    assert alive.state == "running"


def test_household_export_job_file_is_for_its_owner_only(client, auth_headers, db_session):
    household = make_household(region_code="64.72.01.1001", head_name="=HYPERLINK(1)")
    make_member(household, name="Anggota Ekspor")
    supervisor = make_user("supervisor", ["64.72.01"])
    response = client.post("/api/v1/households/exports", json={}, headers=auth_headers(supervisor))
    job = job_of(response)
    assert job["state"] == "done" and job["kind"] == "export.households"
    assert job["progress"] == {"phase": "writing", "done": job["result"]["rows"], "total": job["result"]["rows"]}
    link = job["result"]["links"]["file"]
    download = client.get(link, headers=auth_headers(supervisor))
    assert download.status_code == 200 and download.mimetype == "text/csv"
    assert "attachment" in download.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(download.get_data(as_text=True).lstrip("\ufeff"))))
    mine = [row for row in rows if row["registry_id"] == household.registry_id]
    assert [row["name"] for row in mine] == ["Anggota Ekspor"] and mine[0]["head_name"] == "'=HYPERLINK(1)"
    assert all(row["kelurahan_code"].startswith("64.72.01") for row in rows)  # the supervisor's area only
    # Not even an admin may download someone else's export (it is personal data).
    assert client.get(link, headers=auth_headers(make_user("admin"))).status_code == 404
    actions = db_session.execute(sa.select(AuditEntry.action).where(AuditEntry.actor_id == supervisor.id)).scalars()
    assert {"job.enqueue", "household.export", "job.result.download"} <= set(actions)
    job_store().delete(job["result"]["file"]["key"])
    gone = client.get(link, headers=auth_headers(supervisor))
    assert gone.status_code == 410 and gone.get_json()["error"]["code"] == "job.result_gone"
    assert (
        client.post("/api/v1/households/exports", json={"region": "x"}, headers=auth_headers(supervisor)).status_code
        == 422
    )
    assert (
        client.post("/api/v1/households/exports", json={}, headers=auth_headers(make_user("viewer"))).status_code == 403
    )


def test_a_result_is_not_served_before_the_job_is_done(client, auth_headers, db_session, queued):
    supervisor = make_user("supervisor", ["64.72.01"])
    job = job_of(client.post("/api/v1/households/exports", json={}, headers=auth_headers(supervisor)))
    response = client.get(f"/api/v1/jobs/{job['id']}/file", headers=auth_headers(supervisor))
    assert response.status_code == 409 and response.get_json()["error"]["code"] == "job.not_finished"


def test_health_reports_the_queue_and_answers_503_when_jobs_wait_too_long(client, db_session):
    facts = client.get("/api/v1/health").get_json()["data"]["jobs"]
    assert {"worker_heartbeat_age_s", "oldest_queued_age_s", "queued", "max_queue_age_s"} <= set(facts)
    old = datetime.now(UTC) - timedelta(seconds=current_app.config["JOBS_MAX_QUEUE_AGE_SECONDS"] + 60)
    db_session.add(Job(kind="import.registry", state="queued", payload={}, created_at=old))
    db_session.flush()
    response = client.get("/api/v1/health")
    assert response.status_code == 503
    error = response.get_json()["error"]
    assert error["code"] == "jobs.stalled" and error["details"]["jobs"]["oldest_queued_age_s"] > 300


def test_the_upload_is_kept_until_a_worker_takes_it_and_prune_removes_orphans(
    app, client, auth_headers, db_session, queued
):
    owner = make_user("admin")
    job = job_of(_import(client, auth_headers(owner)))
    store = job_store()
    assert store.read(f"uploads/{job['id']}") == SAMPLE
    orphan = store.save_upload(uuid.uuid4(), b"from a request that rolled back")
    assert service.prune(days=7) == {"results": 0, "uploads": 0}  # an orphan younger than an hour stays
    import os

    os.utime(store.path(orphan), (0, 0))
    assert service.prune(days=7)["uploads"] == 1
    assert store.exists(f"uploads/{job['id']}") and not store.exists(orphan)


def test_an_unknown_kind_is_refused(app, db_session):
    with pytest.raises(ValueError):
        service.enqueue("no.such.kind", {}, actor=None)


def test_uploads_spool_into_the_store_and_nothing_is_left_by_dry_runs_or_refusals(
    client, auth_headers, db_session, queued
):
    headers = auth_headers(make_user("admin"))
    store = job_store()
    dry = client.post(
        "/api/v1/imports/registry",
        data={"file": (io.BytesIO(SAMPLE), "r.csv"), "dry_run": "true"},
        headers=headers,
        content_type="multipart/form-data",
    )
    assert dry.status_code == 201
    refused = client.post(
        "/api/v1/imports/aid",
        data={"file": (io.BytesIO(SAMPLE), "r.csv"), "program": "NOPE", "period_start": "2026-01-01"},
        headers=headers,
        content_type="multipart/form-data",
    )
    assert refused.status_code in (404, 422)
    assert list(store.root.rglob(".incoming-*")) == [] and list(store.keys("uploads")) == []
    job = job_of(_import(client, headers))
    assert [key for key, _ in store.keys("uploads")] == [f"uploads/{job['id']}"]  # renamed, not copied
    assert list(store.root.rglob(".incoming-*")) == []


def test_the_file_may_be_the_request_body_with_options_in_the_query(client, auth_headers, db_session):
    headers = auth_headers(make_user("admin"))
    raw = client.post(
        "/api/v1/imports/registry?filename=kota.csv", data=SAMPLE, headers=headers, content_type="text/csv"
    )
    job = job_of(raw)
    assert job["state"] == "done", job
    report = client.get(job["result"]["links"]["report"], headers=headers).get_json()["data"]
    assert report["filename"] == "kota.csv" and report["counts"]["households_inserted"] == 1
    dry = client.post(
        "/api/v1/imports/registry?dry_run=true", data=SAMPLE, headers=headers, content_type="application/octet-stream"
    )
    assert dry.status_code == 201 and dry.get_json()["data"]["dry_run"] is True
    empty = client.post("/api/v1/imports/registry", data=b"", headers=headers, content_type="text/csv")
    assert empty.status_code == 422
    aid = client.post(
        "/api/v1/imports/aid?program=NOPE&period_start=2026-01-01&period_end=2026-03-31",
        data=b"nik,nama\n",
        headers=headers,
        content_type="text/csv",
    )
    assert aid.status_code == 404  # the program is read from the query too


def test_the_cli_export_runs_the_same_job_inline_under_the_named_user(app, db_session, tmp_path):
    household = make_household(region_code="64.72.01.1001")
    make_member(household, name="Anggota Baris")
    supervisor = make_user("supervisor", ["64.72.01"])
    output = tmp_path / "out.csv"
    runner = app.test_cli_runner()
    result = runner.invoke(args=["households", "export", "--user", supervisor.username, "--output", str(output)])
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(output.read_text(encoding="utf-8-sig"))))
    assert {row["name"] for row in rows if row["registry_id"] == household.registry_id} == {"Anggota Baris"}
    job = db_session.execute(sa.select(Job).where(Job.kind == "export.households")).scalar_one()
    assert job.state == "done" and job.created_by_id == supervisor.id
    exported = db_session.execute(sa.select(AuditEntry).where(AuditEntry.action == "household.export")).scalar_one()
    assert exported.actor_id == supervisor.id
    refused = runner.invoke(args=["households", "export", "--user", "nobody", "--output", str(output)])
    assert refused.exit_code == 1 and "not an active admin or supervisor" in refused.output


def test_rows_of_workers_gone_for_an_hour_are_pruned(app, db_session):
    from server.jobs.models import JobWorker

    gone = datetime.now(UTC) - timedelta(hours=2)
    db_session.add_all([JobWorker(id="host:1:dead", heartbeat_at=gone), JobWorker(id="host:2:alive")])
    db_session.flush()
    service.reap_expired()
    assert {row.id for row in db_session.execute(sa.select(JobWorker)).scalars()} == {"host:2:alive"}


def test_a_file_sent_in_parts_starts_its_job_with_a_request_that_carries_no_file(client, auth_headers, db_session):
    owner = make_user("supervisor", ["64.72.01"])
    headers = auth_headers(owner)
    started = client.post("/api/v1/jobs/uploads", headers=headers)
    assert started.status_code == 201, started.get_json()
    upload = started.get_json()["data"]
    assert upload["offset"] == 0 and started.headers["Location"] == upload["links"]["self"]
    url = upload["links"]["self"]
    half = len(SAMPLE) // 2

    def part(data: bytes, offset: int, who=headers):
        return client.patch(url, data=data, headers={**who, "Upload-Offset": str(offset)})

    assert part(SAMPLE[:half], 0).get_json()["data"]["offset"] == half
    stale = part(SAMPLE[:half], 0)  # a retried part after a lost answer is refused, not appended twice
    assert stale.status_code == 409 and stale.get_json()["error"]["details"]["offset"] == half
    assert client.get(url, headers=headers).get_json()["data"]["offset"] == half
    other = auth_headers(make_user("supervisor", ["64.72.01"]))
    assert part(SAMPLE[half:], half, other).status_code == 404  # nobody else's
    assert client.get(url, headers=other).status_code == 404
    assert part(SAMPLE[half:], half).get_json()["data"]["offset"] == len(SAMPLE)
    response = client.post(f"/api/v1/imports/registry?upload_id={upload['id']}&filename=kota.csv", headers=headers)
    job = job_of(response)
    assert job["state"] == "done", job
    report = client.get(job["result"]["links"]["report"], headers=headers).get_json()["data"]
    assert report["filename"] == "kota.csv" and report["counts"]["households_inserted"] == 1
    assert client.get(url, headers=headers).status_code == 404  # used up
    again = client.post(f"/api/v1/imports/registry?upload_id={upload['id']}", headers=headers)
    assert again.status_code == 404
    assert client.post("/api/v1/imports/registry?upload_id=nonsense", headers=headers).status_code == 422
    assert client.post("/api/v1/jobs/uploads", headers=auth_headers(make_user("enumerator"))).status_code == 403


@job_kind("test.breaks_a_rule", title="Uji / Test")
def _breaks_a_rule(context):
    make_household(registry_id="DUPLICATE-KEY")
    make_household(registry_id="DUPLICATE-KEY")  # unique registry_id
    return {}


def test_a_job_breaking_a_database_rule_says_so_as_the_api_would(app, db_session):
    job = service.enqueue("test.breaks_a_rule", {}, actor=None)
    assert job.state == "failed" and job.error["code"] == "household.registry_id_taken", job.error
    assert job.error["details"]["constraint"] == "uq_households_registry_id"
