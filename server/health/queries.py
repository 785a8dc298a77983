"""SQL for the health check: database reachability, PostGIS version, applied migration."""

from __future__ import annotations

import sqlalchemy as sa

from server.extensions import db


def database_facts() -> dict:
    """PostGIS version and the applied Alembic revision; raises OperationalError when unreachable."""
    postgis = db.session.execute(sa.text("SELECT postgis_lib_version()")).scalar_one()
    revision = db.session.execute(sa.text("SELECT version_num FROM alembic_version")).scalar_one_or_none()
    return {"postgis": postgis, "migration": revision}
