"""`GET /api/v1/health`: is the database reachable, which PostGIS, which migration, is the job queue moving
(public, no personal data)."""

from __future__ import annotations

import functools

from alembic.config import Config
from alembic.script import ScriptDirectory
from flask import Blueprint, current_app
from sqlalchemy.exc import DBAPIError

from server import __version__
from server.errors import DB_UNAVAILABLE, JOBS_STALLED, AppError
from server.health import queries
from server.http import ok
from server.jobs.queries import queue_facts

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
                      jobs:
                        type: object
                        description: Background job queue (see README, "Background jobs")
                        properties:
                          worker_heartbeat_age_s: {type: number, nullable: true}
                          workers_alive: {type: integer}
                          oldest_queued_age_s: {type: number, nullable: true}
                          max_queue_age_s: {type: integer}
                          queued: {type: integer}
                          running: {type: integer}
                          inline: {type: boolean}
        503:
          description: >
            Database unavailable, or a job has waited longer than JOBS_MAX_QUEUE_AGE_SECONDS for a worker
            (`jobs.stalled`, details = the jobs block)
          content:
            application/json:
              schema: ErrorEnvelope
    """
    try:
        facts = queries.database_facts()
        jobs = queue_facts(alive_seconds=3 * int(current_app.config["JOBS_HEARTBEAT_SECONDS"]))
    except DBAPIError as error:
        raise AppError(DB_UNAVAILABLE, details={"database": "unreachable"}) from error
    jobs["max_queue_age_s"] = int(current_app.config["JOBS_MAX_QUEUE_AGE_SECONDS"])
    jobs["inline"] = bool(current_app.config.get("JOBS_INLINE"))
    if (jobs["oldest_queued_age_s"] or 0) > jobs["max_queue_age_s"]:
        raise AppError(JOBS_STALLED, details={"jobs": jobs})
    return ok(
        {
            "status": "ok",
            "version": __version__,
            "database": "ok",
            "postgis": facts["postgis"],
            "migration": facts["migration"],
            "migration_head": _migration_head(current_app.extensions["migrate"].directory),
            "jobs": jobs,
        }
    )


@functools.cache
def _migration_head(migrations_dir: str) -> str | None:
    config = Config()
    config.set_main_option("script_location", migrations_dir)
    return ScriptDirectory.from_config(config).get_current_head()
