"""`flask programs seed`: put the program catalogue of DESIGN.md §2 into the database (idempotent)."""

import click
from flask.cli import AppGroup

from server.aid.catalog import seed_programs
from server.unit_of_work import unit_of_work

programs_cli = AppGroup("programs", help="The aid program catalogue.")


@programs_cli.command("seed")
def seed_command() -> None:
    """Insert or restore the catalogue programs; programs added by admins are left alone."""
    with unit_of_work():
        counts = seed_programs()
    click.echo("programs: " + ", ".join(f"{count} {what}" for what, count in counts.items()))
