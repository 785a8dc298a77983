"""`GET /api/v1/health`: is the database reachable, which PostGIS, which migration (public, no personal data)."""

from __future__ import annotations

import functools

from alembic.config import Config
from alembic.script import ScriptDirectory
from flask import Blueprint, current_app
from sqlalchemy.exc import DBAPIError

from server import __version__
from server.errors import DB_UNAVAILABLE, AppError
from server.health import queries
from server.http import ok

bp = Blueprint("health", __name__)


@bp.get("/health")
def health():
    """Is the server up and its database reachable (public, no personal data).
    ---
    get:
      tags: [health]
      summary: Health check
      security: []
      responses:
        200:
          description: Database reachable; PostGIS version and applied migration
          content:
            application/json:
              schema:
                type: object
                properties:
                  data:
                    type: object
                    properties:
                      status: {type: string, example: ok}
                      version: {type: string}
                      database: {type: string}
                      postgis: {type: string, nullable: true}
                      migration: {type: string, nullable: true}
                      migration_head: {type: string, nullable: true}
        503:
          description: Database unavailable
          content:
            application/json:
              schema: ErrorEnvelope
    """
    try:
        facts = queries.database_facts()
    except DBAPIError as error:
        raise AppError(DB_UNAVAILABLE, details={"database": "unreachable"}) from error
    return ok(
        {
            "status": "ok",
            "version": __version__,
            "database": "ok",
            "postgis": facts["postgis"],
            "migration": facts["migration"],
            "migration_head": _migration_head(current_app.extensions["migrate"].directory),
        }
    )


@functools.cache
def _migration_head(migrations_dir: str) -> str | None:
    config = Config()
    config.set_main_option("script_location", migrations_dir)
    return ScriptDirectory.from_config(config).get_current_head()
