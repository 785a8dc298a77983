"""`flask photos prune-uploads`: drop uploads a phone started and never finished (bytes and session)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import click
from flask import current_app
from flask.cli import AppGroup

from server.extensions import db
from server.photos import uploads

photos_cli = AppGroup("photos", help="Photo store housekeeping.")


@photos_cli.command("prune-uploads")
@click.option("--days", default=None, type=int, help="Age of unfinished uploads to drop (UPLOAD_MAX_AGE_DAYS).")
def prune_uploads_command(days: int | None) -> None:
    days = days if days is not None else current_app.config["UPLOAD_MAX_AGE_DAYS"]
    dropped = uploads.drop_unfinished_before(datetime.now(UTC) - timedelta(days=days))
    db.session.commit()
    click.echo(f"photos: {dropped} unfinished uploads older than {days} days dropped")
