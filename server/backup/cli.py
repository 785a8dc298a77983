"""`flask backup create DIR`, `flask backup restore DIR [--database-url URL]`, `flask backup verify DIR`."""

from __future__ import annotations

import os
from pathlib import Path

import click
from flask.cli import AppGroup

from server.backup import service

backup_cli = AppGroup("backup", help="Consistent backups of the database and the photo store, and restore.")


@backup_cli.command("create")
@click.argument("target", type=click.Path(file_okay=False, path_type=Path))
def create_command(target: Path) -> None:
    """Write a backup into the new folder TARGET."""
    try:
        manifest = service.create_backup(target)
    except service.BackupError as error:
        raise click.ClickException(str(error)) from error
    click.echo(
        f"backup: {target} ({manifest['households']} households, {manifest['visits']} visits, "
        f"{len(manifest['photos'])} photo objects, migration {manifest['migration']})"
    )


@backup_cli.command("verify")
@click.argument("source", type=click.Path(file_okay=False, exists=True, path_type=Path))
def verify_command(source: Path) -> None:
    """Check a backup's dump and photos against its manifest."""
    try:
        manifest = service.verify_backup(source)
    except service.BackupError as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"backup: {source} is whole ({len(manifest['photos'])} photo objects)")


@backup_cli.command("restore")
@click.argument("source", type=click.Path(file_okay=False, exists=True, path_type=Path))
@click.option("--database-url", default=None, help="Empty database to restore into (default: DATABASE_URL).")
def restore_command(source: Path, database_url: str | None) -> None:
    """Restore SOURCE into an empty database and the configured photo store."""
    url = database_url or os.environ.get("DATABASE_URL")
    if not url:
        raise click.ClickException("give --database-url or set DATABASE_URL")
    try:
        restored = service.restore_backup(source, url)
    except service.BackupError as error:
        raise click.ClickException(str(error)) from error
    click.echo(
        f"restore: {restored['visits']} visits, {restored['photos']} photo objects, migration {restored['migration']}"
    )
