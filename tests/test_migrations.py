"""Migrations: upgrade from empty, downgrade to nothing, and the models match the migrations exactly."""

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade

from server import create_app
from server.extensions import db

OUR_TABLES = {"households", "members", "visits", "photos", "audit_log", "users", "regions", "aid_receipts"}


def test_upgrade_from_empty_matches_models_then_downgrade_to_base(create_database):
    url = create_database("_migrations")
    app = create_app({"PROFILE": "test", "SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        upgrade()
        tables = set(sa.inspect(db.engine).get_table_names())
        assert tables >= OUR_TABLES

        with db.engine.connect() as connection:
            migration_context = MigrationContext.configure(
                connection,
                opts={"include_object": _include_object, "compare_type": True},
            )
            differences = compare_metadata(migration_context, db.metadata)
        assert differences == []

        with db.engine.connect() as connection:
            extensions = set(connection.execute(sa.text("SELECT extname FROM pg_extension")).scalars())
        assert {"postgis", "pg_trgm"} <= extensions

        downgrade(revision="base")
        remaining = set(sa.inspect(db.engine).get_table_names()) - {"alembic_version"}
        assert remaining == set()
        db.engine.dispose()


def _include_object(obj, name, type_, reflected, compare_to):
    return not (type_ == "table" and name == "spatial_ref_sys")


def test_the_migrations_have_exactly_one_head():
    """Several issues add migrations in parallel: two heads mean someone must re-point a down_revision."""
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    from server.config import PROJECT_ROOT

    config = Config()
    config.set_main_option("script_location", str(PROJECT_ROOT / "migrations"))
    assert len(ScriptDirectory.from_config(config).get_heads()) == 1
