"""`GET /api/v1/health`: is the database reachable, which PostGIS, which migration, is the job queue moving
(public, no personal data)."""

from __future__ import annotations

import functools

from alembic.config import Config
from alembic.script import ScriptDirectory
from flask import current_app
from sqlalchemy.exc import DBAPIError

from server import __version__
from server.api import Blueprint
from server.errors import DB_UNAVAILABLE, JOBS_STALLED, AppError
from server.health import queries
from server.health.schemas import HealthResponseSchema
from server.jobs.queries import queue_facts

bp = Blueprint("health", __name__, description="Kesehatan server / Server health")


@bp.get("/health")
@bp.response(200, HealthResponseSchema, description="Database reachable; PostGIS version and applied migration")
@bp.alt_response(
    503,
    response="ServiceUnavailable",
    description="Database unavailable, or a job has waited longer than JOBS_MAX_QUEUE_AGE_SECONDS for a worker "
    "(`jobs.stalled`, details = the jobs block)",
)
@bp.doc(summary="Health check", security=[])
def health():
    """Is the server up and its database reachable (public, no personal data)."""
    try:
        facts = queries.database_facts()
        jobs = queue_facts(alive_seconds=3 * int(current_app.config["JOBS_HEARTBEAT_SECONDS"]))
    except DBAPIError as error:
        raise AppError(DB_UNAVAILABLE, details={"database": "unreachable"}) from error
    jobs["max_queue_age_s"] = int(current_app.config["JOBS_MAX_QUEUE_AGE_SECONDS"])
    jobs["inline"] = bool(current_app.config.get("JOBS_INLINE"))
    if (jobs["oldest_queued_age_s"] or 0) > jobs["max_queue_age_s"]:
        raise AppError(JOBS_STALLED, details={"jobs": jobs})
    return {
        "data": {
            "status": "ok",
            "version": __version__,
            "database": "ok",
            "postgis": facts["postgis"],
            "migration": facts["migration"],
            "migration_head": _migration_head(current_app.extensions["migrate"].directory),
            "jobs": jobs,
        }
    }


@functools.cache
def _migration_head(migrations_dir: str) -> str | None:
    config = Config()
    config.set_main_option("script_location", migrations_dir)
    return ScriptDirectory.from_config(config).get_current_head()
