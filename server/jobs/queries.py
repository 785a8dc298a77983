"""SQL of the jobs domain: enqueue, claim (FOR UPDATE SKIP LOCKED), lease renewal, progress, outcome, reaping
jobs whose worker vanished, listing, and the facts the health check reports."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB, insert
from sqlalchemy.engine import Connection

from server.auth.models import User
from server.extensions import db
from server.jobs.models import FINAL_STATES, Job, JobWorker

NOTIFY_CHANNEL = "verval_jobs"


def add_job(*, job_id: uuid.UUID, kind: str, payload: dict, created_by_id: int | None, max_attempts: int) -> Job:
    job = Job(
        id=job_id,
        kind=kind,
        state="queued",
        payload=payload,
        created_by_id=created_by_id,
        max_attempts=max_attempts,
        attempts=0,
        progress_done=0,
        cancel_requested=False,
    )
    db.session.add(job)
    db.session.flush()
    return job


def notify_queued() -> None:
    """Wake the workers; PostgreSQL delivers a NOTIFY only when (and if) this transaction commits."""
    db.session.execute(sa.text(f"NOTIFY {NOTIFY_CHANNEL}"))


def get_job(*, job_id: uuid.UUID) -> Job | None:
    return db.session.get(Job, job_id)


def lock_job(*, job_id: uuid.UUID) -> Job | None:
    return db.session.execute(sa.select(Job).where(Job.id == job_id).with_for_update()).scalar_one_or_none()


def username_of(*, user_id: int | None) -> str | None:
    if user_id is None:
        return None
    return db.session.execute(sa.select(User.username).where(User.id == user_id)).scalar_one_or_none()


def list_jobs(
    *, owner_id: int | None, state: str | None, kind: str | None, before: tuple[datetime, str] | None, limit: int
) -> list[tuple[Job, str | None]]:
    """Newest first, with the starter's username; `owner_id` None lists everyone's (admins)."""
    query = (
        sa.select(Job, User.username)
        .outerjoin(User, User.id == Job.created_by_id)
        .order_by(Job.created_at.desc(), Job.id.desc())
        .limit(limit)
    )
    if owner_id is not None:
        query = query.where(Job.created_by_id == owner_id)
    if state:
        query = query.where(Job.state == state)
    if kind:
        query = query.where(Job.kind == kind)
    if before is not None:
        query = query.where(sa.tuple_(Job.created_at, Job.id) < sa.tuple_(before[0], uuid.UUID(before[1])))
    return [(row[0], row[1]) for row in db.session.execute(query)]


# --- the worker's side ---------------------------------------------------------------------------------------


def claim_next(*, worker: str) -> Job | None:
    """Take the oldest queued job (skipping rows other workers are taking right now) and start its lease."""
    next_id = (
        sa.select(Job.id)
        .where(Job.state == "queued")
        .order_by(Job.created_at)
        .limit(1)
        .with_for_update(skip_locked=True)
        .scalar_subquery()
    )
    statement = (
        sa.update(Job)
        .where(Job.id == next_id)
        .values(
            state="running",
            attempts=Job.attempts + 1,
            started_at=sa.func.now(),
            heartbeat_at=sa.func.now(),
            worker=worker,
            phase=None,
            progress_done=0,
            progress_total=None,
        )
        .returning(Job.id)
    )
    job_id = db.session.execute(statement).scalar_one_or_none()
    if job_id is None:
        return None
    return db.session.get(Job, job_id, populate_existing=True)


def finish_job(
    *, job_id: uuid.UUID, attempt: int, state: str, result: dict | None, error: dict | None, phase: str | None
) -> bool:
    """Record the outcome of the lease `attempt`; False when the lease was lost (another attempt owns the job)."""
    values = {
        "state": state,
        "result": sa.null() if result is None else result,
        "error": sa.null() if error is None else error,
        # clock_timestamp(): now() would be the start of the job's own transaction, not its end.
        "finished_at": sa.func.clock_timestamp(),
        "worker": None,
    }
    if phase is not None:  # else the phase it stopped in stays, so a failure says where
        values["phase"] = phase
    statement = sa.update(Job).where(Job.id == job_id, Job.state == "running", Job.attempts == attempt).values(values)
    return db.session.execute(statement).rowcount == 1


def requeue_job(*, job_id: uuid.UUID, attempt: int) -> bool:
    """The worker stopped on purpose: back to the queue, and this attempt does not count."""
    statement = (
        sa.update(Job)
        .where(Job.id == job_id, Job.state == "running", Job.attempts == attempt)
        .values(state="queued", attempts=Job.attempts - 1, worker=None, phase=None, progress_done=0)
    )
    return db.session.execute(statement).rowcount == 1


def report_progress(
    connection: Connection, *, job_id: uuid.UUID, attempt: int, phase: str | None, done: int, total: int | None
) -> bool:
    """Write progress on the worker's own short transaction; returns whether a cancel was requested."""
    row = connection.execute(
        sa.update(Job)
        .where(Job.id == job_id, Job.attempts == attempt)
        .values(phase=phase, progress_done=done, progress_total=total, heartbeat_at=sa.func.now())
        .returning(Job.cancel_requested)
    ).first()
    return bool(row and row[0])


def heartbeat(connection: Connection, *, worker: str, job_id: uuid.UUID | None, attempt: int | None) -> None:
    """Renew the worker's sign of life and the lease of the job it runs."""
    # An upsert: the row may have been pruned while the database was out of reach.
    connection.execute(
        insert(JobWorker)
        .values(id=worker, current_job_id=job_id)
        .on_conflict_do_update(
            index_elements=[JobWorker.id], set_={"heartbeat_at": sa.func.now(), "current_job_id": job_id}
        )
    )
    if job_id is not None:
        connection.execute(
            sa.update(Job)
            .where(Job.id == job_id, Job.state == "running", Job.attempts == attempt)
            .values(heartbeat_at=sa.func.now())
        )


def unregister_worker(connection: Connection, *, worker: str) -> None:
    connection.execute(sa.delete(JobWorker).where(JobWorker.id == worker))


def count_done(*, worker: str) -> None:
    db.session.execute(sa.update(JobWorker).where(JobWorker.id == worker).values(jobs_done=JobWorker.jobs_done + 1))


def reap_expired(*, lease_seconds: int, error: dict) -> list[tuple[uuid.UUID, str, dict]]:
    """Running jobs whose lease ran out: their worker died (its transaction was rolled back by PostgreSQL).
    Back to the queue while attempts remain, else failed; returns (id, new state, payload)."""
    expired = Job.heartbeat_at < sa.func.now() - sa.func.make_interval(0, 0, 0, 0, 0, 0, lease_seconds)
    retry = Job.attempts < Job.max_attempts
    statement = (
        sa.update(Job)
        .where(Job.state == "running", expired)
        .values(
            state=sa.case((retry, "queued"), else_="failed"),
            error=sa.case((retry, sa.null()), else_=sa.bindparam("lost_error", error, type_=JSONB)),
            finished_at=sa.case((retry, sa.null()), else_=sa.func.now()),
            worker=None,
        )
        .returning(Job.id, Job.state, Job.payload)
    )
    return [(row[0], row[1], row[2]) for row in db.session.execute(statement)]


def prune_workers(*, older_than_seconds: int) -> None:
    db.session.execute(
        sa.delete(JobWorker).where(
            JobWorker.heartbeat_at < sa.func.now() - sa.func.make_interval(0, 0, 0, 0, 0, 0, older_than_seconds)
        )
    )


def finished_before(*, days: int) -> list[tuple[uuid.UUID, dict | None, dict]]:
    """Finished jobs older than `days`: (id, result, payload), whose files may go."""
    rows = db.session.execute(
        sa.select(Job.id, Job.result, Job.payload).where(
            Job.state.in_(FINAL_STATES),
            Job.finished_at < sa.func.now() - sa.func.make_interval(0, 0, 0, days),
        )
    )
    return [(row[0], row[1], row[2]) for row in rows]


def states_of(*, job_ids: list[uuid.UUID]) -> dict[uuid.UUID, str]:
    if not job_ids:
        return {}
    rows = db.session.execute(sa.select(Job.id, Job.state).where(Job.id.in_(job_ids)))
    return {row[0]: row[1] for row in rows}


def queue_facts(*, alive_seconds: int) -> dict[str, Any]:
    """For the health check: the newest worker heartbeat and the age of the oldest queued job, in seconds."""
    row = db.session.execute(
        sa.text(
            """
            SELECT (SELECT EXTRACT(EPOCH FROM now() - max(heartbeat_at)) FROM job_workers) AS heartbeat_age,
                   (SELECT count(*) FROM job_workers
                     WHERE heartbeat_at > now() - make_interval(secs => :alive)) AS workers,
                   (SELECT EXTRACT(EPOCH FROM now() - min(created_at)) FROM jobs WHERE state = 'queued') AS oldest,
                   (SELECT count(*) FROM jobs WHERE state = 'queued') AS queued,
                   (SELECT count(*) FROM jobs WHERE state = 'running') AS running
            """
        ),
        {"alive": alive_seconds},
    ).one()
    return {
        "worker_heartbeat_age_s": None if row.heartbeat_age is None else round(float(row.heartbeat_age), 1),
        "workers_alive": row.workers,
        "oldest_queued_age_s": None if row.oldest is None else round(float(row.oldest), 1),
        "queued": row.queued,
        "running": row.running,
    }
