"""`flask import registry FILE [--dry-run]` (and `flask import aid …`): the same imports as the API, from a shell."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import AppGroup

from server.errors import AppError
from server.imports import service
from server.unit_of_work import unit_of_work

import_cli = AppGroup("import", help="Import the registry or an agency's recipient list.")


def _one_line(error: Exception) -> click.ClickException:
    """What went wrong in one line (never a traceback): the message and the fields or file problem it names."""
    if isinstance(error, AppError):
        fields = error.details.get("fields") or {}
        named = "; ".join(f"{name}: {' '.join(map(str, messages))}" for name, messages in fields.items())
        extra = {key: value for key, value in error.details.items() if key != "fields"}
        text = error.message if not named or named.endswith(error.message) else f"{error.message} ({named})"
        return click.ClickException(text + (f" {extra}" if extra else ""))
    return click.ClickException(f"Impor gagal / import failed: {type(error).__name__}: {str(error)[:200]}")


def _run(work):
    try:
        with unit_of_work():
            imported = work()
            report = service.import_report(imported, rejection_limit=20)
    except Exception as error:
        raise _one_line(error) from None
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
def registry_command(file: Path, dry_run: bool) -> None:
    """Import a registry CSV/XLSX (one row per member with household columns)."""
    _run(lambda: service.import_registry(file.read_bytes(), file.name, actor=None, dry_run=dry_run))


@import_cli.command("aid")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--program", "program_code", required=True, help="Program code, e.g. PKH.")
@click.option("--period-start", type=click.DateTime(["%Y-%m-%d"]), required=True)
@click.option("--period-end", type=click.DateTime(["%Y-%m-%d"]), required=True)
@click.option("--dry-run", is_flag=True, help="Match and report; change nothing.")
def aid_command(file: Path, program_code: str, period_start, period_end, dry_run: bool) -> None:
    """Import an agency's recipient list for one program and period (exact keys applied, the rest proposed)."""
    _run(
        lambda: service.import_aid(
            file.read_bytes(),
            file.name,
            program_code=program_code,
            period_start=period_start.date(),
            period_end=period_end.date(),
            actor=None,
            dry_run=dry_run,
        )
    )
