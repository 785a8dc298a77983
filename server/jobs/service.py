"""Job use cases: enqueue in the caller's transaction, show and list (own jobs; admins all), cancel, serve a
result file to its owner, and run a job (inline, or in a worker) so that its work and its outcome commit
together or not at all. Services flush only; routes, the CLI and the worker commit."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import IO, Any

from flask import current_app, g, has_request_context
from sqlalchemy.exc import IntegrityError

from server.audit.service import record
from server.auth.access import Actor
from server.errors import (
    FORBIDDEN,
    INTERNAL,
    JOB_CANCELLED,
    JOB_NOT_CANCELLABLE,
    JOB_NOT_FINISHED,
    JOB_RESULT_GONE,
    JOB_WORKER_LOST,
    NOT_FOUND,
    UPLOAD_OFFSET,
    UPLOAD_TOO_LARGE,
    AppError,
    ErrorKind,
    translate_integrity,
)
from server.extensions import db
from server.jobs import queries
from server.jobs.kinds import JobCancelled, JobContext, JobInterrupted, get_kind
from server.jobs.models import FINAL_STATES, Job
from server.jobs.storage import job_store
from server.pagination import decode_cursor, encode_cursor, invalid_cursor

log = logging.getLogger(__name__)


def error_of(kind: ErrorKind, message: str | None = None, details: dict | None = None) -> dict[str, Any]:
    """A job's error in the HTTP error envelope's shape: code, words (Indonesian / English), details."""
    return {"code": kind.code, "message": message or kind.message, "details": details or {}}


def enqueue(
    kind: str,
    payload: dict[str, Any],
    *,
    actor: Actor | None,
    upload: IO[bytes] | bytes | None = None,
    inline: bool | None = None,
    on_progress: Callable[[str | None, int, int | None], None] | None = None,
) -> Job:
    """Queue a job in the current transaction (it exists only if the caller commits); with an upload, the file
    is kept in the job store first. With JOBS_INLINE the job runs at once, here, before the caller commits."""
    job_kind = get_kind(kind)
    if job_kind is None:
        raise ValueError(f"unknown job kind {kind!r}")
    job_id = uuid.uuid4()
    payload = dict(payload)
    if upload is not None:
        payload["upload"] = job_store().save_upload(job_id, upload)
    job = queries.add_job(
        job_id=job_id,
        kind=kind,
        payload=payload,
        created_by_id=actor.user_id if actor else None,
        max_attempts=job_kind.max_attempts,
    )
    record(
        "job.enqueue",
        object_type="job",
        object_id=job.id,
        changes={"kind": kind},
        actor_username=None if actor else "cli",
    )
    if inline if inline is not None else current_app.config.get("JOBS_INLINE"):
        run_inline(job, actor=actor, on_progress=on_progress)
    else:
        queries.notify_queued()
    return job


# --- reading ---------------------------------------------------------------------------------------------------


def job_view(job: Job, *, username: str | None = None) -> dict[str, Any]:
    job_kind = get_kind(job.kind)
    if username is None and job.created_by_id is not None:
        username = queries.username_of(user_id=job.created_by_id)
    return {
        "id": str(job.id),
        "kind": job.kind,
        "title": job_kind.title if job_kind else job.kind,
        "state": job.state,
        "progress": {"phase": job.phase, "done": job.progress_done, "total": job.progress_total},
        "result": job.result,
        "error": job.error,
        "created_by": {"id": job.created_by_id, "username": username or ("cli" if job.created_by_id is None else None)},
        "created_at": job.created_at,
        "started_at": job.started_at,
        "finished_at": job.finished_at,
        "attempts": job.attempts,
        "max_attempts": job.max_attempts,
        "cancellable": bool(job_kind and job_kind.cancellable) and job.state in ("queued", "running"),
        "cancel_requested": job.cancel_requested,
        "links": {"self": f"/api/v1/jobs/{job.id}", "cancel": f"/api/v1/jobs/{job.id}/cancel"},
    }


def require_visible(actor: Actor, job_id: uuid.UUID, *, lock: bool = False) -> Job:
    """The job if `actor` started it or is an admin; 404 otherwise (ids of others' jobs cannot be probed)."""
    job = queries.lock_job(job_id=job_id) if lock else queries.get_job(job_id=job_id)
    if job is None or not (actor.is_admin or job.created_by_id == actor.user_id):
        raise AppError(NOT_FOUND)
    return job


def list_jobs_page(actor: Actor, params: dict[str, Any]) -> tuple[list[dict[str, Any]], str | None]:
    """The caller's jobs (an admin's `everyone`: all), newest first, and the cursor of the next page."""
    if params["everyone"] and not actor.is_admin:
        raise AppError(FORBIDDEN)
    before = None
    if params.get("cursor"):
        key = decode_cursor(params["cursor"], 2)
        try:
            before = (datetime.fromisoformat(key[0]), str(uuid.UUID(key[1])))
        except (TypeError, ValueError) as error:
            raise invalid_cursor() from error
    rows = queries.list_jobs(
        owner_id=None if params["everyone"] else actor.user_id,
        state=params.get("state"),
        kind=params.get("kind"),
        before=before,
        limit=params["limit"],
    )
    items = [job_view(job, username=username) for job, username in rows]
    full = len(items) == params["limit"]
    next_cursor = encode_cursor([items[-1]["created_at"].isoformat(), items[-1]["id"]]) if full else None
    return items, next_cursor


def cancel(actor: Actor, job_id: uuid.UUID) -> Job:
    """Queued: cancelled at once. Running: the worker stops at its next progress report and rolls back."""
    job = require_visible(actor, job_id, lock=True)
    job_kind = get_kind(job.kind)
    if job.state in FINAL_STATES or job_kind is None or not job_kind.cancellable:
        raise AppError(JOB_NOT_CANCELLABLE, details={"state": job.state})
    before = job.state
    if job.state == "queued":
        job.state = "cancelled"
        job.finished_at = datetime.now(UTC)
        job.error = error_of(JOB_CANCELLED)
        _forget_upload(job)
    job.cancel_requested = True
    db.session.flush()
    record("job.cancel", object_type="job", object_id=job.id, changes={"state": (before, job.state)})
    return job


def result_file(actor: Actor, job_id: uuid.UUID) -> tuple[str, str, str]:
    """(path on disk, download name, media type) of a finished job's file: its owner only, audited."""
    job = queries.get_job(job_id=job_id)
    if job is None or job.created_by_id != actor.user_id:
        raise AppError(NOT_FOUND)
    file = (job.result or {}).get("file")
    if job.state != "done" or not file:
        raise AppError(JOB_NOT_FINISHED, details={"state": job.state})
    store = job_store()
    if not store.exists(file["key"]):
        raise AppError(JOB_RESULT_GONE)
    record("job.result.download", object_type="job", object_id=job.id, changes={"kind": job.kind})
    return str(store.path(file["key"])), file["name"], file["media_type"]


# --- uploads in parts ----------------------------------------------------------------------------------------


def start_upload(actor: Actor) -> dict[str, Any]:
    upload_id = job_store().create_partial(actor.user_id)
    return upload_view(upload_id, 0)


def upload_view(upload_id: uuid.UUID, offset: int) -> dict[str, Any]:
    return {"id": str(upload_id), "offset": offset, "links": {"self": f"/api/v1/jobs/uploads/{upload_id}"}}


def upload_offset(actor: Actor, upload_id: uuid.UUID) -> int:
    """Bytes received so far; 404 for another user's upload or one already used."""
    size = job_store().partial_size(actor.user_id, upload_id)
    if size is None:
        raise AppError(NOT_FOUND)
    return size


def append_upload(actor: Actor, upload_id: uuid.UUID, offset: int | None, source: IO[bytes], length: int | None) -> int:
    """Append the next part at `offset` (it must be the bytes received so far: a retried part is not doubled)."""
    current = upload_offset(actor, upload_id)
    if offset is None or offset != current:
        raise AppError(UPLOAD_OFFSET, details={"offset": current})
    limit = int(current_app.config.get("IMPORT_MAX_CONTENT_LENGTH") or 200 * 1024 * 1024)
    if current + (length or 0) > limit:
        raise AppError(UPLOAD_TOO_LARGE, details={"max_bytes": limit})
    return job_store().append_partial(actor.user_id, upload_id, source)


def open_upload(actor: Actor, upload_id: uuid.UUID) -> IO[bytes]:
    """A finished upload as a file for the job that will use it (consumed by that request either way)."""
    from flask import request

    upload_offset(actor, upload_id)
    path = job_store().partial_path(actor.user_id, upload_id)
    request.consume_on_close(path)
    return path.open("r+b")


# --- running ---------------------------------------------------------------------------------------------------


class _InlineSink:
    """Inline progress goes straight onto the job row (same transaction; nobody else can see it yet)."""

    def __init__(self, job: Job, on_progress) -> None:
        self.job = job
        self.on_progress = on_progress

    def report(self, phase: str | None, done: int, total: int | None) -> bool:
        self.job.phase, self.job.progress_done, self.job.progress_total = phase, done, total
        if self.on_progress is not None:
            self.on_progress(phase, done, total)
        return False


def _failure(error: BaseException) -> dict[str, Any]:
    """Why a job failed, in words: a validation failure names its fields' reasons, not just "invalid data";
    a broken database rule is said as the API says it (409 / 422 with the constraint), never the driver's text."""
    if isinstance(error, IntegrityError):
        error = translate_integrity(error)
    if isinstance(error, AppError):
        fields = (error.details or {}).get("fields") or {}
        message = error.message
        if fields and message == error.kind.message:
            message = "; ".join(f"{name}: {' '.join(reasons)}" for name, reasons in fields.items())
        return error_of(error.kind, message, error.details)
    return error_of(INTERNAL)


def run_inline(job: Job, *, actor: Actor | None, on_progress=None) -> Job:
    """Run `job` now in the current transaction (tests, `flask` commands): its work in a savepoint that is
    rolled back if it fails; the caller commits."""
    job_kind = get_kind(job.kind)
    job.state, job.attempts, job.started_at = "running", job.attempts + 1, datetime.now(UTC)
    sink = _InlineSink(job, on_progress)
    context = JobContext(job_id=job.id, payload=job.payload, actor=actor, sink=sink, interval=0)
    savepoint = db.session.begin_nested()
    outside_request = not has_request_context()
    if outside_request:  # a `flask` command: the job's audit rows name the user it runs as
        g.job_actor = actor
    try:
        result = job_kind.run(context)
    except Exception as error:  # every failure becomes the job's error
        savepoint.rollback()
        if not isinstance(error, AppError):
            log.exception("job %s (%s) failed", job.id, job.kind)
        job.state, job.error = "failed", _failure(error)
        # Where it stopped (the rollback took the progress written inside the savepoint with it).
        job.phase, job.progress_done, job.progress_total = context.current_phase, context.done, context.total
        job_store().delete_results(job.id)
    else:
        savepoint.commit()
        job.state, job.result = "done", result
    finally:
        if outside_request:
            g.pop("job_actor", None)
    job.finished_at = datetime.now(UTC)
    db.session.flush()
    _forget_upload(job)
    return job


def actor_of(job: Job) -> Actor | None:
    """The job's owner as an Actor with the scope they have now (a deactivated owner's job fails)."""
    from server.auth.models import User
    from server.types import Role

    if job.created_by_id is None:
        return None
    user = db.session.get(User, job.created_by_id)
    if user is None or not user.active:
        raise AppError(FORBIDDEN, details={"reason": "account_inactive"})
    return Actor(user.id, user.username, Role(user.role), tuple(user.region_codes), None)


def execute_claimed(job: Job, *, sink, should_stop) -> str:
    """Run a job a worker has claimed (and committed the claim of). The work and the outcome are one
    transaction; on failure it is rolled back and the failure is written in a new one. Returns the state."""
    job_id, attempt, kind_name, payload = job.id, job.attempts, job.kind, dict(job.payload)
    job_kind = get_kind(kind_name)
    outcome: dict[str, Any]
    try:
        if job_kind is None:
            raise AppError(INTERNAL, details={"kind": kind_name})
        actor = actor_of(job)
        g.job_actor = actor
        context = JobContext(job_id=job_id, payload=payload, actor=actor, sink=sink, should_stop=should_stop)
        result = job_kind.run(context)
        if queries.finish_job(
            job_id=job_id, attempt=attempt, state="done", result=result, error=None, phase=context.current_phase
        ):
            db.session.commit()
            state = "done"
        else:
            db.session.rollback()
            log.warning("job %s lost its lease before it finished; its work was rolled back", job_id)
            return "lost"
    except JobInterrupted:
        db.session.rollback()
        queries.requeue_job(job_id=job_id, attempt=attempt)
        db.session.commit()
        return "queued"
    except JobCancelled:
        db.session.rollback()
        outcome = error_of(JOB_CANCELLED)
        state = _finish_failed(job_id, attempt, "cancelled", outcome)
    except Exception as error:  # every failure becomes the job's error
        db.session.rollback()
        if not isinstance(error, AppError):
            log.exception("job %s (%s) failed", job_id, kind_name)
        state = _finish_failed(job_id, attempt, "failed", _failure(error))
    except BaseException:
        # A second Ctrl-C / SIGTERM: give the job back to the queue and let the worker stop.
        db.session.rollback()
        queries.requeue_job(job_id=job_id, attempt=attempt)
        db.session.commit()
        raise
    finally:
        g.pop("job_actor", None)
    if state in FINAL_STATES:
        job_store().delete(payload.get("upload"))
    if state != "done":
        job_store().delete_results(job_id)
    return state


def _finish_failed(job_id: uuid.UUID, attempt: int, state: str, error: dict) -> str:
    if queries.finish_job(job_id=job_id, attempt=attempt, state=state, result=None, error=error, phase=None):
        record("job." + state, object_type="job", object_id=job_id, changes={"error": error["code"]})
        db.session.commit()
        return state
    db.session.rollback()
    return "lost"


def reap_expired() -> None:
    """Jobs whose worker vanished (killed, machine lost): retried from the start, or failed after their last
    attempt. Nothing of theirs was applied: PostgreSQL rolled back the dead worker's transaction."""
    lease = int(current_app.config["JOBS_LEASE_SECONDS"])
    reaped = queries.reap_expired(lease_seconds=lease, error=error_of(JOB_WORKER_LOST))
    queries.prune_workers(older_than_seconds=max(3600, 10 * lease))  # rows of workers killed long ago
    for job_id, state, _payload in reaped:
        log.warning("job %s lost its worker; now %s", job_id, state)
        record("job.worker_lost", object_type="job", object_id=job_id, changes={"state": ("running", state)})
    db.session.commit()
    for _job_id, state, payload in reaped:
        if state == "failed":
            job_store().delete(payload.get("upload"))


def _forget_upload(job: Job) -> None:
    job_store().delete((job.payload or {}).get("upload"))


def prune(*, days: int) -> dict[str, int]:
    """Delete result files of jobs finished more than `days` ago, and uploads no live job needs."""
    store = job_store()
    removed = {"results": 0, "uploads": 0}
    for _job_id, result, _payload in queries.finished_before(days=days):
        file = (result or {}).get("file")
        if file and store.exists(file["key"]):
            store.delete(file["key"])
            removed["results"] += 1
    removed["uploads"] += store.stale_incoming(older_than_seconds=3600)
    uploads = list(store.keys("uploads"))
    ids = []
    for key, _mtime in uploads:
        try:
            ids.append(uuid.UUID(key.rsplit("/", 1)[-1]))
        except ValueError:
            continue
    states = queries.states_of(job_ids=ids)
    now = datetime.now(UTC).timestamp()
    for key, mtime in uploads:
        try:
            job_id = uuid.UUID(key.rsplit("/", 1)[-1])
        except ValueError:
            continue
        state = states.get(job_id)
        # No job row (its request rolled back) after an hour, or a job that has finished: the upload can go.
        if (state is None and now - mtime > 3600) or state in FINAL_STATES:
            store.delete(key)
            removed["uploads"] += 1
    return removed
