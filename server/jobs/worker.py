"""`flask jobs worker`: claims queued jobs one at a time and runs them, until SIGTERM / Ctrl-C.

- Wakes on NOTIFY (sent by the enqueuing transaction at commit) or every JOBS_POLL_SECONDS.
- A heartbeat thread renews the worker's row and the running job's lease every JOBS_HEARTBEAT_SECONDS on a
  connection of its own; progress is written on another short-lived autocommit connection, so both are
  visible while the job's own transaction is still open.
- Every loop reaps running jobs whose lease expired (their worker was killed): retried or failed; every
  hour it deletes result files past their retention (`flask jobs prune` does the same on demand).
- SIGTERM / SIGINT: the running job stops at its next progress report, is rolled back and goes back to the
  queue; the worker then exits. A second signal stops at once (the job is put back as well).
"""

from __future__ import annotations

import contextlib
import logging
import os
import secrets
import select
import signal
import socket
import threading
import time
import uuid

import psycopg2
import sqlalchemy as sa
from flask import Flask

from server.extensions import db
from server.jobs import queries, service

log = logging.getLogger("verval.worker")


class _Sink:
    """Progress on its own autocommit connection (seen by GET /jobs/<id> while the work is uncommitted)."""

    def __init__(self, engine: sa.Engine, job_id: uuid.UUID, attempt: int) -> None:
        self.connection = engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        self.job_id, self.attempt = job_id, attempt

    def report(self, phase: str | None, done: int, total: int | None) -> bool:
        return queries.report_progress(
            self.connection, job_id=self.job_id, attempt=self.attempt, phase=phase, done=done, total=total
        )

    def close(self) -> None:
        self.connection.close()


class Worker:
    def __init__(self, app: Flask, *, name: str | None = None) -> None:
        self.app = app
        self.name = name or f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"[:96]
        self.stopping = threading.Event()
        self.current: tuple[uuid.UUID, int] | None = None
        self._signals = 0
        self._next_prune = 0.0  # monotonic time of the next housekeeping (at start, then every hour)

    # --- signals ---------------------------------------------------------------------------------------------
    def _on_signal(self, signum, _frame) -> None:
        self._signals += 1
        if self._signals == 1:
            log.info("worker %s: %s received, stopping after putting back any running job", self.name, signum)
            self.stopping.set()
        else:
            raise KeyboardInterrupt()

    def install_signal_handlers(self) -> None:
        signal.signal(signal.SIGTERM, self._on_signal)
        signal.signal(signal.SIGINT, self._on_signal)

    # --- heartbeat -------------------------------------------------------------------------------------------
    def _heartbeat_loop(self, engine: sa.Engine, every: float) -> None:
        while not self.stopping.wait(every):
            try:
                with engine.connect() as connection, connection.begin():
                    current = self.current
                    queries.heartbeat(
                        connection,
                        worker=self.name,
                        job_id=current[0] if current else None,
                        attempt=current[1] if current else None,
                    )
            except Exception:  # the database may be restarting: try again next beat
                log.warning("worker %s: heartbeat failed", self.name, exc_info=True)

    # --- the loop --------------------------------------------------------------------------------------------
    def run(self, *, once: bool = False) -> int:
        """Run jobs until stopped (or, with `once`, until the queue is empty); returns the number run."""
        config = self.app.config
        engine = db.engine
        beat = threading.Thread(
            target=self._heartbeat_loop, args=(engine, float(config["JOBS_HEARTBEAT_SECONDS"])), daemon=True
        )
        beat.start()
        poll = float(config["JOBS_POLL_SECONDS"])
        listener = None
        registered = False
        log.info("worker %s: waiting for jobs", self.name)
        done = 0
        try:
            while not self.stopping.is_set():
                try:
                    if not registered:  # inside the retry: the schema may not be migrated yet
                        with engine.connect() as connection, connection.begin():
                            queries.heartbeat(connection, worker=self.name, job_id=None, attempt=None)
                        registered = True
                    if listener is None:
                        listener = self._listen(engine)
                    service.reap_expired()
                    self._housekeeping()
                    job = queries.claim_next(worker=self.name)
                    db.session.commit()
                    if job is None:
                        if once:
                            break
                        self._wait(listener, poll)
                        continue
                    self._run_one(engine, job)
                    done += 1
                except (sa.exc.DBAPIError, psycopg2.Error, OSError) as error:
                    # The database went away (restart, network) or is not migrated yet: a running job's
                    # transaction is gone with it and its lease will expire; keep trying instead of dying.
                    reason = type(getattr(error, "orig", None) or error).__name__  # never the text (parameters)
                    log.warning("worker %s: database unavailable (%s), retrying in %.0f s", self.name, reason, poll)
                    self._forget_connections(listener)
                    listener = None
                    self.stopping.wait(poll)
        finally:
            self.stopping.set()
            self._forget_connections(listener)
            with contextlib.suppress(sa.exc.DBAPIError), engine.connect() as connection, connection.begin():
                queries.unregister_worker(connection, worker=self.name)
            log.info("worker %s: stopped after %d job(s)", self.name, done)
        return done

    def _housekeeping(self) -> None:
        """Hourly: result files past JOBS_RESULT_MAX_AGE_DAYS (exports hold personal data) and uploads no job
        needs are deleted, so retention holds even where nobody scheduled `flask jobs prune`."""
        if time.monotonic() < self._next_prune:
            return
        self._next_prune = time.monotonic() + 3600
        removed = service.prune(days=int(self.app.config["JOBS_RESULT_MAX_AGE_DAYS"]))
        db.session.commit()
        if removed["results"] or removed["uploads"]:
            log.info("worker %s: pruned %d result file(s), %d upload(s)", self.name, *removed.values())

    @staticmethod
    def _listen(engine: sa.Engine):
        listener = engine.raw_connection()
        listener.driver_connection.set_session(autocommit=True)
        listener.cursor().execute(f"LISTEN {queries.NOTIFY_CHANNEL}")
        return listener

    @staticmethod
    def _forget_connections(listener) -> None:
        with contextlib.suppress(Exception):
            db.session.rollback()
        db.session.remove()
        if listener is not None:
            with contextlib.suppress(Exception):
                listener.invalidate()

    def _run_one(self, engine: sa.Engine, job) -> None:
        job_id, kind, attempt = job.id, job.kind, job.attempts
        self.current = (job_id, attempt)
        sink = _Sink(engine, job_id, attempt)
        started = time.monotonic()
        log.info("worker %s: job %s (%s) attempt %d", self.name, job_id, kind, attempt)
        try:
            state = service.execute_claimed(job, sink=sink, should_stop=self.stopping.is_set)
        finally:
            sink.close()
            self.current = None
            db.session.remove()
        queries.count_done(worker=self.name)
        db.session.commit()
        log.info("worker %s: job %s (%s) %s in %.1f s", self.name, job_id, kind, state, time.monotonic() - started)

    def _wait(self, listener, seconds: float) -> None:
        connection = listener.driver_connection
        end = time.monotonic() + seconds
        while not self.stopping.is_set():
            remaining = end - time.monotonic()
            if remaining <= 0:
                return
            ready, _, _ = select.select([connection], [], [], min(remaining, 0.5))
            if ready:
                connection.poll()
                if connection.notifies:
                    connection.notifies.clear()
                    return
