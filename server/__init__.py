"""Verval server: `create_app` wires configuration, extensions, error handling, blueprints and CLI commands."""

from __future__ import annotations

from flask import Flask

from server.config import config_from_env

__version__ = "0.1.0"


def create_app(config: dict | str | None = None) -> Flask:
    """Build the app. `config` is a profile name or a dict of overrides on the environment's profile."""
    from server.http import StrictJSONProvider

    app = Flask(__name__, static_folder=None)
    from server.jobs.storage import SpoolingRequest

    app.request_class = SpoolingRequest
    app.json = StrictJSONProvider(app)
    if isinstance(config, dict):
        profile = config.get("PROFILE")
        app.config.update(config_from_env(profile, **config))
    else:
        app.config.update(config_from_env(config))
    from server.logs import configure_logging

    configure_logging(app)
    if app.config["TRUST_PROXY_HOPS"]:
        # Behind the reverse proxy: the client's address (rate limits, audit) from X-Forwarded-For.
        from werkzeug.middleware.proxy_fix import ProxyFix

        hops = app.config["TRUST_PROXY_HOPS"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=0)

    from server import models  # noqa: F401  (registers every table on the metadata)
    from server.auth import passwords
    from server.errors import register_error_handlers
    from server.extensions import db, jwt, limiter, migrate

    db.init_app(app)
    passwords.install(app)
    migrate.init_app(app, db, directory=str(_migrations_dir()))
    jwt.init_app(app)
    limiter.init_app(app)
    register_error_handlers(app)

    from server.boundary import register_boundary

    register_boundary(app)

    from server.security.headers import register_security_headers

    register_security_headers(app)

    from server.metrics.service import register_request_metrics

    register_request_metrics(app)

    from server.auth.jwt_handlers import register_jwt_handlers

    register_jwt_handlers(jwt)

    from server.api import init_api

    api = init_api(app)

    from server.health.routes import bp as health_bp

    api.register_blueprint(health_bp, url_prefix="/api/v1")

    from server.openapi.routes import bp as openapi_bp
    from server.openapi.routes import document_bp

    api.register_blueprint(document_bp, url_prefix="/api")
    app.register_blueprint(openapi_bp, url_prefix="/api")

    from server.auth.routes import bp as auth_bp

    api.register_blueprint(auth_bp, url_prefix="/api/v1")

    from server.tokens.routes import bp as tokens_bp

    api.register_blueprint(tokens_bp, url_prefix="/api/v1")

    from server.users.routes import bp as users_bp

    api.register_blueprint(users_bp, url_prefix="/api/v1")

    from server.audit.routes import bp as audit_bp

    api.register_blueprint(audit_bp, url_prefix="/api/v1")

    from server.visits.routes import bp as visits_bp

    api.register_blueprint(visits_bp, url_prefix="/api/v1")

    from server.sync.routes import bp as sync_bp

    api.register_blueprint(sync_bp, url_prefix="/api/v1")

    from server.photos.routes import bp as photos_bp

    api.register_blueprint(photos_bp, url_prefix="/api/v1")

    from server.campaigns.routes import bp as campaigns_bp

    api.register_blueprint(campaigns_bp, url_prefix="/api/v1")

    from server.households.routes import bp as households_bp

    api.register_blueprint(households_bp, url_prefix="/api/v1")

    from server.aid.routes import bp as aid_bp

    api.register_blueprint(aid_bp, url_prefix="/api/v1")

    from server.analytics.routes import bp as analytics_bp

    api.register_blueprint(analytics_bp, url_prefix="/api/v1")

    from server.imports.routes import bp as imports_bp

    api.register_blueprint(imports_bp, url_prefix="/api/v1")

    from server.review.routes import bp as review_bp

    api.register_blueprint(review_bp, url_prefix="/api/v1")

    from server.jobs.routes import bp as jobs_bp

    api.register_blueprint(jobs_bp, url_prefix="/api/v1")

    from server.musyawarah.routes import bp as musyawarah_bp

    api.register_blueprint(musyawarah_bp, url_prefix="/api/v1")

    from server.gis.routes import ogc_bp, tiles_bp

    app.register_blueprint(ogc_bp, url_prefix="/ogc")
    api.register_blueprint(tiles_bp, url_prefix="/api/v1")

    from server.metrics.routes import bp as metrics_bp

    app.register_blueprint(metrics_bp)

    from server.staff import init_staff

    # The staff workspace (/staff/): sessions, CSRF, languages, error pages and its frame's routes.
    init_staff(app)

    from server.analytics.pages import bp as staff_analytics_bp

    app.register_blueprint(staff_analytics_bp)

    from server.musyawarah.pages import bp as staff_musyawarah_bp

    app.register_blueprint(staff_musyawarah_bp)

    from server.gis.pages import bp as staff_maps_bp

    app.register_blueprint(staff_maps_bp)

    from server.tokens.pages import bp as staff_tokens_bp

    app.register_blueprint(staff_tokens_bp)

    from server.pwa.routes import bp as pwa_bp

    app.register_blueprint(pwa_bp)

    from server.unit_of_work import transactional

    # One unit of work per request: every view commits once at its end, or rolls back (server/unit_of_work.py).
    for endpoint, view in app.view_functions.items():
        app.view_functions[endpoint] = transactional(view)

    if app.config.get("CHECK_RESPONSES"):
        from server.openapi import check

        check.install(app)

    from server.cli import register_cli

    register_cli(app)
    return app


def _migrations_dir():
    from server.config import PROJECT_ROOT

    return PROJECT_ROOT / "migrations"
