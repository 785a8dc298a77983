"""`flask import registry FILE [--dry-run]` (and `flask import aid …`): the same import jobs as the API,
run inline in the shell (progress on stderr), recorded as jobs started by `cli`."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask.cli import AppGroup

from server.imports import jobs as import_jobs
from server.imports import service
from server.jobs.service import enqueue
from server.unit_of_work import unit_of_work

import_cli = AppGroup("import", help="Import the registry or an agency's recipient list.")


def _progress(phase: str | None, done: int, total: int | None) -> None:
    if sys.stderr.isatty():
        click.echo(f"  … {phase}: {done}" + (f"/{total}" if total else ""), err=True)


def _one_line(error: dict) -> click.ClickException:
    """Why the job failed in one line (never a traceback): its message and any details beyond the fields."""
    extra = {key: value for key, value in (error.get("details") or {}).items() if key != "fields"}
    return click.ClickException(str(error.get("message")) + (f" {extra}" if extra else ""))


def _run(kind: str, path: Path, payload: dict) -> None:
    """Run the import job inline; the job row (done or failed, with its words) is committed either way."""
    with unit_of_work(), path.open("rb") as upload:
        job = enqueue(
            kind, {"filename": path.name, **payload}, actor=None, upload=upload, inline=True, on_progress=_progress
        )
        report = None
        if job.state == "done":
            report = service.import_report(service.require_import(job.result["import_id"]), rejection_limit=20)
    if report is None:
        raise _one_line(job.error or {})
    _echo_report(report)


def _echo_report(report: dict) -> None:
    counts = report["counts"]
    click.echo(f"import #{report['id']} ({'dry run' if report['dry_run'] else 'applied'}), sha256 {report['sha256']}")
    for key, value in counts.items():
        click.echo(f"  {key}: {value}")
    for item in report["rejections"][:20]:
        click.echo(f"  row {item['row']} [{item['column']}] {item['reason']}")
    if counts.get("rows_rejected"):
        click.echo(f"  all rejections: GET {report['rejections_csv']}")


@import_cli.command("registry")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Validate and report; change nothing.")
@click.option(
    "--as-of",
    type=click.DateTime(["%Y-%m-%d"]),
    help="The file's extract date: fields a settled change set after it keep their value (listed as warnings).",
)
def registry_command(file: Path, dry_run: bool, as_of) -> None:
    """Import a registry CSV/XLSX (one row per member with household columns)."""
    _run(import_jobs.REGISTRY, file, {"dry_run": dry_run, "as_of": as_of.date().isoformat() if as_of else None})


@import_cli.command("aid")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--program", "program_code", required=True, help="Program code, e.g. PKH.")
@click.option("--period-start", type=click.DateTime(["%Y-%m-%d"]), required=True)
@click.option("--period-end", type=click.DateTime(["%Y-%m-%d"]), required=True)
@click.option("--dry-run", is_flag=True, help="Match and report; change nothing.")
def aid_command(file: Path, program_code: str, period_start, period_end, dry_run: bool) -> None:
    """Import an agency's recipient list for one program and period (exact keys applied, the rest proposed)."""
    payload = {
        "program": program_code,
        "period_start": period_start.date().isoformat(),
        "period_end": period_end.date().isoformat(),
        "dry_run": dry_run,
    }
    _run(import_jobs.AID, file, payload)
