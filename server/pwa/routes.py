"""Serves the built PWA: files from `pwa/dist`, `index.html` for the app's own routes.

Caching: `sw.js`, `index.html` and the manifest must be revalidated on every load (`no-cache`) so a new
build reaches the phones; files under `assets/` carry a content hash in their name and are immutable.
The service worker does the offline part; nothing here caches API responses.

Compression: the build writes `<file>.br` and `<file>.gz` beside each text file (pwa/scripts/compress.mjs);
a client that accepts them gets the Brotli or gzip bytes with `Content-Encoding`, and every compressible
file answers `Vary: Accept-Encoding` so caches keep the variants apart. Nothing is compressed per request.
"""

from __future__ import annotations

import mimetypes
from pathlib import Path

from flask import Blueprint, Response, current_app, request, send_from_directory
from werkzeug.routing import PathConverter
from werkzeug.security import safe_join

from server.errors import NOT_FOUND, AppError


class AppPathConverter(PathConverter):
    """Any path but the API's and the OGC API's: unknown API paths get the JSON 404, and an API path asked
    with a method it lacks gets 405 with its true Allow header, instead of matching the app shell."""

    regex = r"(?!(?:api|ogc)(?:/|$))[^/].*?"


bp = Blueprint("pwa", __name__)
# Before the routes below are added (deferred functions run in order).
bp.record_once(lambda state: state.app.url_map.converters.setdefault("app_path", AppPathConverter))

NO_CACHE = {"sw.js", "index.html", "manifest.webmanifest"}
# The PWA's and the staff workspace's (server/staff) built files carry a content hash in their name.
IMMUTABLE_PREFIXES = ("assets/", "staff/assets/")
LONG_CACHE = "public, max-age=31536000, immutable"
# Pre-compressed variants the build writes, best first.
ENCODINGS = (("br", ".br"), ("gzip", ".gz"))
COMPRESSIBLE = {".js", ".css", ".html", ".webmanifest", ".json", ".svg"}


def dist_dir() -> Path:
    from server.config import PROJECT_ROOT

    return Path(current_app.config.get("PWA_DIST") or PROJECT_ROOT / "pwa" / "dist")


def _accepted(encoding: str) -> bool:
    return request.accept_encodings[encoding] > 0


def _send(path: str) -> Response:
    compressible = Path(path).suffix in COMPRESSIBLE
    encoding = None
    if compressible:
        for name, suffix in ENCODINGS:
            if _accepted(name) and (dist_dir() / (path + suffix)).is_file():
                encoding = name
                break
    if encoding:
        mimetype = mimetypes.guess_type(path)[0] or "application/octet-stream"
        if path.endswith(".webmanifest"):
            mimetype = "application/manifest+json"
        suffix = dict(ENCODINGS)[encoding]
        response = send_from_directory(dist_dir(), path + suffix, max_age=0, mimetype=mimetype)
        response.headers["Content-Encoding"] = encoding
    else:
        response = send_from_directory(dist_dir(), path, max_age=0)
    if compressible:
        response.vary.add("Accept-Encoding")
    if path in NO_CACHE:
        response.headers["Cache-Control"] = "no-cache"
    elif path.startswith(IMMUTABLE_PREFIXES):
        response.headers["Cache-Control"] = LONG_CACHE
    else:
        response.headers["Cache-Control"] = "public, max-age=3600"
    if path == "sw.js":
        response.headers["Service-Worker-Allowed"] = "/"
    return response


@bp.get("/")
def index() -> Response:
    return _app_shell()


@bp.get("/<app_path:path>")
def static_or_app_route(path: str) -> Response:
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
