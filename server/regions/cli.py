"""`flask regions load`: load the shipped reference list of regions."""

import click
from flask.cli import AppGroup

from server.extensions import db
from server.regions.service import load_regions

regions_cli = AppGroup("regions", help="Reference list of regions.")


@regions_cli.command("load")
def load_command() -> None:
    """Upsert Samarinda's kecamatan and kelurahan (idempotent)."""
    count = load_regions()
    db.session.commit()
    click.echo(f"regions: {count} loaded")
