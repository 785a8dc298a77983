"""`flask users create`: make an account from a shell (the first admin of a new installation)."""

from __future__ import annotations

import sys

import click
from flask.cli import AppGroup
from marshmallow import ValidationError

from server.errors import AppError
from server.unit_of_work import unit_of_work
from server.users.schemas import UserCreateSchema
from server.users.service import create_user

users_cli = AppGroup("users", help="User accounts.")


@users_cli.command("create")
@click.option("--username", required=True)
@click.option("--full-name", required=True)
@click.option("--role", required=True, type=click.Choice(["admin", "supervisor", "reviewer", "enumerator", "viewer"]))
@click.option("--region", "regions", multiple=True, help="Region code of the user's area (repeatable).")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input instead of a prompt.")
def create_command(username: str, full_name: str, role: str, regions: tuple[str, ...], password_stdin: bool) -> None:
    """Create a user; the password is asked for (never given on the command line, where `ps` shows it)."""
    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    data = {"username": username, "full_name": full_name, "role": role, "region_codes": list(regions)}
    try:
        with unit_of_work():
            user = create_user(UserCreateSchema().load({**data, "password": password}))
    except ValidationError as error:
        raise click.ClickException(f"invalid: {error.messages}") from error
    except AppError as error:
        raise click.ClickException(f"{error.message}: {error.details}") from error
    click.echo(f"user {user.username} ({user.role}) created with id {user.id}")
