"""The kinds of job and what a running job sees: its payload, its owner, and a way to report progress.

A kind is a function `run(ctx) -> result dict` registered with `@job_kind(...)` in its own domain
(`server/imports/jobs.py`, `server/households/jobs.py`). It does its work on `db.session` and only flushes:
the runner commits the work and the job's outcome together, or rolls both back, so a failed job changes
nothing. Progress goes through `ctx.phase()` / `ctx.advance()`, which the runner writes on a separate short
transaction (the worker) or onto the job row itself (inline), and which raise when the job was cancelled or
the worker is shutting down.
"""

from __future__ import annotations

import importlib
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from server.auth.access import Actor

# Modules that register kinds (imported on first use, so the jobs domain depends on no other domain).
KIND_MODULES = (
    "server.imports.jobs",
    "server.households.jobs",
    "server.review.jobs",
    "server.analytics.jobs",
    "server.musyawarah.jobs",
)


class JobCancelled(Exception):
    """The owner asked to cancel; the work is rolled back."""


class JobInterrupted(Exception):
    """The worker is stopping; the work is rolled back and the job goes back to the queue."""


class ProgressSink(Protocol):
    def report(self, phase: str | None, done: int, total: int | None) -> bool:
        """Write progress; returns True when the job should stop (cancel requested)."""


@dataclass(frozen=True)
class JobKind:
    name: str
    run: Callable[[JobContext], dict]
    title: str  # words for people: "Impor registri / Registry import"
    cancellable: bool = True
    # A job whose worker died is run again from the start (its work is one transaction) up to this many times.
    max_attempts: int = 2
    # The phases it reports, in order (documentation for clients; progress is per phase).
    phases: tuple[str, ...] = ()


KINDS: dict[str, JobKind] = {}


def job_kind(
    name: str, *, title: str, cancellable: bool = True, max_attempts: int = 2, phases: tuple[str, ...] = ()
) -> Callable[[Callable[[JobContext], dict]], Callable[[JobContext], dict]]:
    def register(run: Callable[[JobContext], dict]) -> Callable[[JobContext], dict]:
        KINDS[name] = JobKind(name, run, title, cancellable, max_attempts, phases)
        return run

    return register


def get_kind(name: str) -> JobKind | None:
    if name not in KINDS:
        for module in KIND_MODULES:
            importlib.import_module(module)
    return KINDS.get(name)


def all_kinds() -> dict[str, JobKind]:
    for module in KIND_MODULES:
        importlib.import_module(module)
    return KINDS


class JobContext:
    """What a running job gets: its id, payload, owner, and progress reporting (throttled to ~2 writes/s)."""

    def __init__(
        self,
        *,
        job_id: uuid.UUID,
        payload: dict[str, Any],
        actor: Actor | None,
        sink: ProgressSink,
        should_stop: Callable[[], bool] = lambda: False,
        interval: float = 0.5,
    ) -> None:
        self.job_id = job_id
        self.payload = payload
        self.actor = actor
        self._sink = sink
        self._should_stop = should_stop
        self._interval = interval
        self._last = 0.0
        self.current_phase: str | None = None
        self.done = 0
        self.total: int | None = None

    def phase(self, name: str, total: int | None = None) -> None:
        """A new phase starts (reading, validating, staging, applying, writing…); always written."""
        self.current_phase, self.done, self.total = name, 0, total
        self._write(force=True)

    def advance(self, done: int, total: int | None = None) -> None:
        """Progress inside the phase; written at most every `interval` seconds."""
        self.done = done
        if total is not None:
            self.total = total
        self._write(force=False)

    def check(self) -> None:
        """Stop here if the job was cancelled or the worker is shutting down."""
        self._write(force=False)

    def _write(self, *, force: bool) -> None:
        if self._should_stop():
            raise JobInterrupted()
        now = time.monotonic()
        if not force and now - self._last < self._interval:
            return
        self._last = now
        if self._sink.report(self.current_phase, self.done, self.total):
            raise JobCancelled()
