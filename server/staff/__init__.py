"""The staff workspace (/staff/): server-rendered pages (Jinja + htmx) for Dinas Sosial staff, calling the same
services as the JSON API so scope, masking and audit are identical.

Adding a page (any domain may): a blueprint whose url_prefix starts with /staff/ (e.g. server/gis/pages.py
with `Blueprint("staff_maps", __name__, url_prefix="/staff/peta", template_folder="templates")`), every view
wrapped in `server.staff.access.staff_view(*roles)` (tests/staff/test_page_protection.py checks), templates
extending "staff/base.html" (blocks `title`, `content`), registered in `server/__init__.py` after
`init_staff(app)`, and a line in `server/staff/nav.py`. Sessions, CSRF on unsafe requests, language, error
pages and no-store caching apply to every path under /staff/ by themselves.
"""

from __future__ import annotations

from flask import Flask, request
from flask_wtf.csrf import CSRFError, generate_csrf

from server.errors import PAGE_RENDERERS


def init_staff(app: Flask) -> None:
    from server.staff import i18n
    from server.staff.access import check_csrf, csrf, staff_actor
    from server.staff.assets import staff_assets
    from server.staff.errors import render_csrf_error, render_error
    from server.staff.nav import is_current, menu, role_label
    from server.staff.routes import bp
    from server.staff.sessions import StaffSessionInterface, is_staff_path

    app.session_interface = StaffSessionInterface()
    csrf.init_app(app)
    i18n.install(app)
    app.before_request(check_csrf)
    app.register_error_handler(CSRFError, render_csrf_error)
    PAGE_RENDERERS["/staff"] = render_error
    app.jinja_env.globals.update(
        staff_assets=staff_assets,
        csrf_token=generate_csrf,
        staff_menu=menu,
        nav_current=is_current,
        role_label=role_label,
        staff_actor=staff_actor,
        current_language=i18n.current_language,
    )
    app.jinja_env.policies["ext.i18n.trimmed"] = True
    from server.staff import labels
    from server.staff.formats import FILTERS, GLOBALS

    app.jinja_env.filters.update(FILTERS)
    app.jinja_env.globals.update(GLOBALS)
    app.jinja_env.globals.update(labels.GLOBALS)

    @app.after_request
    def _no_store(response):
        # Pages carry personal data: never kept by a browser or proxy cache (the assets are immutable instead).
        # Versioned map tiles (server/gis/pages.py) ask for a private cache themselves.
        if is_staff_path(request.path) and "private" not in response.headers.get("Cache-Control", ""):
            response.headers["Cache-Control"] = "no-store"
        return response

    app.register_blueprint(bp)
    from server.staff.review_pages import bp as review_bp

    app.register_blueprint(review_bp)
