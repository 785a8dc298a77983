"""Serves the built PWA: files from `pwa/dist`, `index.html` for the app's own routes.

Caching: `sw.js`, `index.html` and the manifest must be revalidated on every load (`no-cache`) so a new
build reaches the phones; files under `assets/` carry a content hash in their name and are immutable.
The service worker does the offline part; nothing here caches API responses.
"""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, Response, current_app, send_from_directory
from werkzeug.security import safe_join

from server.errors import NOT_FOUND, AppError

bp = Blueprint("pwa", __name__)

NO_CACHE = {"sw.js", "index.html", "manifest.webmanifest"}
IMMUTABLE_PREFIX = "assets/"
LONG_CACHE = "public, max-age=31536000, immutable"


def dist_dir() -> Path:
    from server.config import PROJECT_ROOT

    return Path(current_app.config.get("PWA_DIST") or PROJECT_ROOT / "pwa" / "dist")


def _send(path: str) -> Response:
    response = send_from_directory(dist_dir(), path, max_age=0)
    if path in NO_CACHE:
        response.headers["Cache-Control"] = "no-cache"
    elif path.startswith(IMMUTABLE_PREFIX):
        response.headers["Cache-Control"] = LONG_CACHE
    else:
        response.headers["Cache-Control"] = "public, max-age=3600"
    if path == "sw.js":
        response.headers["Service-Worker-Allowed"] = "/"
    return response


@bp.get("/")
def index() -> Response:
    return _app_shell()


@bp.get("/<path:path>")
def static_or_app_route(path: str) -> Response:
    # Unknown API paths keep the JSON error envelope instead of getting the app shell.
    if path == "api" or path.startswith("api/"):
        raise AppError(NOT_FOUND)
    full = safe_join(str(dist_dir()), path)
    if full is not None and Path(full).is_file():
        return _send(path)
    if "." in path.rsplit("/", 1)[-1]:
        # A missing file (old hashed asset, typo): 404, not index.html served as JavaScript.
        raise AppError(NOT_FOUND)
    return _app_shell()


def _app_shell() -> Response:
    if not (dist_dir() / "index.html").is_file():
        raise AppError(NOT_FOUND, "Aplikasi belum dibangun (make pwa) / The app is not built (make pwa)")
    return _send("index.html")
