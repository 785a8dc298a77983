"""`flask demo-data --households N --seed S [--if-empty]`: load the synthetic demo city."""

from __future__ import annotations

import time

import click
from flask.cli import with_appcontext

from server.demo.service import load_demo_city
from server.errors import AppError
from server.unit_of_work import unit_of_work


@click.command("demo-data")
@click.option("--households", default=42_124, show_default=True, help="How many households to generate.")
@click.option("--seed", default=1, show_default=True, help="Same seed, same city.")
@click.option("--if-empty", is_flag=True, help="Do nothing when the database already holds households.")
@with_appcontext
def demo_data_command(households: int, seed: int, if_empty: bool) -> None:
    """Generate a realistic synthetic Samarinda with demo users (password from DEMO_PASSWORD)."""
    started = time.perf_counter()
    try:
        with unit_of_work():
            summary = load_demo_city(households=households, seed=seed, if_empty=if_empty)
    except AppError as error:
        raise click.ClickException(error.message) from error
    if summary["skipped"]:
        click.echo(f"demo-data: database already holds {summary['households']} households; nothing loaded")
        return
    click.echo(
        f"demo-data: {summary['households']} households, {summary['members']} members, "
        f"{summary['receipts']} aid receipts, {summary['assignments']} assignments, {summary['visits']} visits "
        f"({summary['flagged_visits']} flagged) in "
        f"{time.perf_counter() - started:.1f} s; users: {', '.join(summary['users'])}"
    )
