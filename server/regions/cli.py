"""`flask regions load`: load the shipped reference list of regions."""

import click
from flask.cli import AppGroup

from server.regions.service import load_regions
from server.unit_of_work import unit_of_work

regions_cli = AppGroup("regions", help="Reference list of regions.")


@regions_cli.command("load")
def load_command() -> None:
    """Upsert Samarinda's kecamatan and kelurahan (idempotent)."""
    with unit_of_work():
        count = load_regions()
    click.echo(f"regions: {count} loaded")
