"""`flask sync prune`: forget tombstones older than the cursor lifetime (a phone that old resyncs anyway)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import click
from flask import current_app
from flask.cli import AppGroup

from server.sync import queries
from server.unit_of_work import unit_of_work

sync_cli = AppGroup("sync", help="Offline sync housekeeping.")


@sync_cli.command("prune")
def prune_command() -> None:
    """Delete tombstones no valid cursor can still need (run daily, e.g. from cron)."""
    days = current_app.config["SYNC_CURSOR_MAX_AGE_DAYS"]
    # One day of margin beyond the cursor lifetime, so a cursor issued just before the cut still finds them.
    with unit_of_work():
        deleted = queries.delete_tombstones_before(at=datetime.now(UTC) - timedelta(days=days + 1))
    click.echo(f"sync: {deleted} tombstones older than {days + 1} days deleted")
