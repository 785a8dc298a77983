"""`flask households export --user NAME --output FILE [--region CODE]`: the household CSV export job run
inline in the shell, with that user's area and name in the audit trail (the same code as the API's job)."""

from __future__ import annotations

import shutil
from pathlib import Path

import click
import sqlalchemy as sa
from flask.cli import AppGroup

from server.auth.access import Actor
from server.extensions import db
from server.households import jobs as household_jobs
from server.jobs.service import enqueue
from server.jobs.storage import job_store
from server.types import Role
from server.unit_of_work import unit_of_work

households_cli = AppGroup("households", help="Households: export.")


@households_cli.command("export")
@click.option("--user", "username", required=True, help="An active admin or supervisor: their area, their audit.")
@click.option("--output", type=click.Path(dir_okay=False, path_type=Path), required=True, help="CSV file to write.")
@click.option("--region", default=None, help="Region code prefix (kecamatan or kelurahan).")
def export_command(username: str, output: Path, region: str | None) -> None:
    """Export households as CSV (one row per member, the registry import's columns)."""
    from server.auth.models import User

    with unit_of_work():
        user = db.session.execute(sa.select(User).where(User.username == username)).scalar_one_or_none()
        if user is None or not user.active or user.role not in (Role.ADMIN, Role.SUPERVISOR):
            raise click.ClickException(f"{username}: bukan admin/supervisor aktif / not an active admin or supervisor")
        actor = Actor(user.id, user.username, Role(user.role), tuple(user.region_codes), None)
        job = enqueue(household_jobs.EXPORT, {"region": region}, actor=actor, inline=True)
        if job.state != "done":
            raise click.ClickException(str((job.error or {}).get("message")))
        shutil.copyfile(job_store().path(job.result["file"]["key"]), output)
        rows = job.result["rows"]
    click.echo(f"{rows} rows written to {output} (job {job.id})")
