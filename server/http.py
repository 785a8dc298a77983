"""Small helpers every route uses: the success envelope and reading a JSON body strictly."""

from __future__ import annotations

from typing import Any

from flask import jsonify, request

from server.errors import MALFORMED_JSON, UNSUPPORTED_MEDIA, AppError


def ok(data: Any, status: int = 200, meta: dict | None = None, headers: dict | None = None):
    body: dict[str, Any] = {"data": data}
    if meta is not None:
        body["meta"] = meta
    response = jsonify(body)
    response.status_code = status
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def json_body() -> Any:
    """The request's JSON, or the catalogue's error: 415 for another content type, 400 for bad JSON."""
    if not request.is_json:
        raise AppError(UNSUPPORTED_MEDIA, details={"expected": "application/json"})
    body = request.get_json(silent=True)
    if body is None:
        raise AppError(MALFORMED_JSON)
    return body
