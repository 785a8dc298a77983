"""Small helpers every route uses: the success envelope, reading a JSON body strictly, and the app's JSON
provider: dates and times written in ISO 8601 (Flask's default writes RFC 822, which the API never speaks),
and a body nested too deeply for the parser (RecursionError) read as malformed JSON (400), not a 500."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import has_request_context, jsonify, request
from flask.json.provider import DefaultJSONProvider

from server.boundary import check_json
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


class StrictJSONProvider(DefaultJSONProvider):
    """`request.get_json()` everywhere (routes, rate-limit keys) and every answer go through this."""

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        # A body nested deeper than Python's parser can follow is malformed like any other.
        try:
            document = super().loads(s, **kwargs)
        except RecursionError as error:
            raise ValueError("JSON nested too deeply") from error
        if has_request_context():
            # The request boundary's rule (server.boundary): checked where every request body is parsed,
            # that is after the route's access check, never for a body nobody reads.
            check_json(document, raw=s)
        return document

    @staticmethod
    def default(o: Any) -> Any:
        if isinstance(o, date):  # datetime is a date too: `2026-01-01`, `2026-11-30T06:51:00+00:00`
            return o.isoformat()
        return DefaultJSONProvider.default(o)
