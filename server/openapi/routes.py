"""`GET /api/openapi.json` (the document) and `GET /api/docs` (Swagger UI served from our own files, no CDN)."""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, Response, current_app, jsonify, send_from_directory
from swagger_ui_bundle import swagger_ui_path

from server.api import Blueprint as ApiBlueprint
from server.errors import NOT_FOUND, AppError
from server.openapi.schemas import DocumentSchema
from server.openapi.spec import build_spec

# The document is itself an operation of the API; the page that shows it is not.
document_bp = ApiBlueprint("documentation", __name__, description="Dokumentasi API / API documentation")
bp = Blueprint("openapi", __name__)

ASSETS = frozenset({"swagger-ui.css", "swagger-ui-bundle.js", "swagger-ui-standalone-preset.js", "favicon-32x32.png"})

PAGE = """<!doctype html>
<html lang="id">
<head>
  <meta charset="utf-8">
  <title>Verval API - dokumentasi / documentation</title>
  <link rel="stylesheet" href="/api/docs/assets/swagger-ui.css">
  <link rel="icon" href="/api/docs/assets/favicon-32x32.png">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="/api/docs/assets/swagger-ui-bundle.js"></script>
  <script src="/api/docs/assets/swagger-ui-standalone-preset.js"></script>
  <script src="/api/docs/init.js"></script>
</body>
</html>
"""

# Separate file rather than an inline script, so a strict Content-Security-Policy (script-src 'self') works.
INIT = """window.onload = function () {
  window.ui = SwaggerUIBundle({
    url: "/api/openapi.json",
    dom_id: "#swagger-ui",
    deepLinking: true,
    presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset],
    layout: "StandaloneLayout",
    validatorUrl: null,
    persistAuthorization: false
  });
};
"""


@document_bp.get("/openapi.json")
@document_bp.response(200, DocumentSchema, description="The OpenAPI 3.0 document")
@document_bp.doc(summary="OpenAPI document", security=[])
def openapi_document():
    """The OpenAPI 3 document of this API (public)."""
    return jsonify(build_spec(current_app))


@bp.get("/docs")
@bp.get("/docs/")
def docs_page():
    return Response(PAGE, mimetype="text/html")


@bp.get("/docs/init.js")
def docs_init():
    return Response(INIT, mimetype="text/javascript")


@bp.get("/docs/assets/<name>")
def docs_asset(name: str):
    if name not in ASSETS:
        raise AppError(NOT_FOUND)
    response = send_from_directory(Path(swagger_ui_path), name, max_age=86400)
    return response
