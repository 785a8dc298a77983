"""`flask photos prune-uploads`: drop uploads a phone started and never finished (bytes and session)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import click
from flask import current_app
from flask.cli import AppGroup

from server.photos import uploads
from server.unit_of_work import unit_of_work

photos_cli = AppGroup("photos", help="Photo store housekeeping.")


@photos_cli.command("prune-uploads")
@click.option("--days", default=None, type=int, help="Age of unfinished uploads to drop (UPLOAD_MAX_AGE_DAYS).")
def prune_uploads_command(days: int | None) -> None:
    days = days if days is not None else current_app.config["UPLOAD_MAX_AGE_DAYS"]
    with unit_of_work():
        dropped = uploads.drop_unfinished_before(datetime.now(UTC) - timedelta(days=days))
    click.echo(f"photos: {dropped} unfinished uploads older than {days} days dropped")
