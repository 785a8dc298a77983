"""`flask jobs worker` (run background jobs until stopped) and `flask jobs prune` (delete old result files)."""

from __future__ import annotations

import os

import click
from flask import current_app
from flask.cli import AppGroup

from server.jobs import service
from server.unit_of_work import unit_of_work

jobs_cli = AppGroup("jobs", help="Background jobs: run a worker, prune old files.")


@jobs_cli.command("worker")
@click.option("--once", is_flag=True, help="Run the queued jobs, then exit (no waiting).")
def worker_command(once: bool) -> None:
    """Claim and run queued jobs until SIGTERM or Ctrl-C (a running job is put back in the queue)."""
    from server.jobs.worker import Worker

    # Named in pg_stat_activity (libpq reads it when the first connection opens, which is after this).
    os.environ.setdefault("PGAPPNAME", "verval-worker")
    worker = Worker(current_app._get_current_object())
    worker.install_signal_handlers()
    done = worker.run(once=once)
    click.echo(f"worker {worker.name}: {done} job(s) run")


@jobs_cli.command("prune")
@click.option("--days", type=int, default=None, help="Keep result files this many days (JOBS_RESULT_MAX_AGE_DAYS).")
def prune_command(days: int | None) -> None:
    """Delete result files of jobs finished long ago and uploads no job needs any more."""
    with unit_of_work():
        removed = service.prune(days=days if days is not None else current_app.config["JOBS_RESULT_MAX_AGE_DAYS"])
    click.echo(f"removed {removed['results']} result file(s) and {removed['uploads']} upload(s)")
