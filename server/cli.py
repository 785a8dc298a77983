"""Registers every `flask` sub-command the project offers."""

from __future__ import annotations

from flask import Flask


def register_cli(app: Flask) -> None:
    from server.regions.cli import regions_cli

    app.cli.add_command(regions_cli)

    from server.imports.cli import import_cli

    app.cli.add_command(import_cli)

    from server.aid.cli import programs_cli

    app.cli.add_command(programs_cli)

    from server.sync.cli import sync_cli

    app.cli.add_command(sync_cli)

    from server.photos.cli import photos_cli

    app.cli.add_command(photos_cli)

    from server.users.cli import users_cli

    app.cli.add_command(users_cli)

    from server.households.cli import households_cli

    app.cli.add_command(households_cli)

    from server.backup.cli import backup_cli

    app.cli.add_command(backup_cli)

    from server.jobs.cli import jobs_cli

    app.cli.add_command(jobs_cli)

    from server.demo.cli import demo_data_command

    app.cli.add_command(demo_data_command)
