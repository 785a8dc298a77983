"""The schema-driven API (flask-smorest on marshmallow): one schema per request and per response drives the
validation, the serialisation and the OpenAPI document.

A route declares what it reads and what it answers, and nothing else::

    @bp.get("/households")
    @require(*ALL_ROLES)                      # access first: a refused caller never gets a 422
    @bp.arguments(HouseholdListQuerySchema, location="query")
    @bp.response(200, HouseholdListResponseSchema)
    @bp.alt_response(404, response="NotFound")
    def list_households(params): ...

flask-smorest's own error handler and error schema are not used: every failure goes through
`server.errors` and its envelope, webargs' validation errors included (`details.fields`), and a JSON body
is read by `server.http.json_body` (415 for another content type, 400 for malformed JSON). Its pagination
(headers) is not used either: lists page by cursor in `meta.next_cursor`. The document itself is built by
`server.openapi.spec`, which adds what every operation shares (security, 401/403/414/422, …).
"""

from __future__ import annotations

from typing import Any

import flask_smorest
from flask import Flask, request
from marshmallow import missing
from webargs.flaskparser import FlaskParser

from server import __version__
from server.errors import BAD_REQUEST, PRECONDITION_REQUIRED, AppError, validation_error
from server.http import json_body
from server.openapi.schemas import ErrorEnvelopeSchema


class EnvelopeParser(FlaskParser):
    """webargs' Flask parser speaking our envelope: every schema decides for itself about unknown fields
    (webargs would otherwise drop unknown query parameters silently), and a JSON body is read strictly."""

    DEFAULT_UNKNOWN_BY_LOCATION: dict[str, Any] = {}

    def _raw_load_json(self, req):
        if not req.content_length and not req.data:
            return missing  # no body at all: an optional body is absent, a required one is reported as such
        return json_body()

    def handle_error(self, error, req, schema, *, error_status_code, error_headers):
        messages = error.messages
        if isinstance(messages, dict) and len(messages) == 1:
            # webargs nests messages by location ({"json": {...}}); the envelope names the fields only.
            (messages,) = messages.values()
        if not isinstance(messages, dict):
            messages = {"_schema": messages}
        raise validation_error(messages)


class Blueprint(flask_smorest.Blueprint):
    """A blueprint whose operations are documented from their decorators."""

    ARGUMENTS_PARSER = EnvelopeParser()


class Api(flask_smorest.Api):
    """flask-smorest's registry of documented blueprints, without its error handling or its doc pages."""

    ERROR_SCHEMA = ErrorEnvelopeSchema
    # No catch-all `default` answer: every status an operation can give is documented by its number, which
    # the test profile's response check enforces.
    DEFAULT_ERROR_RESPONSE_NAME = None

    def _register_error_handlers(self) -> None:
        """`server.errors` renders every failure."""

    def _register_doc_blueprint(self) -> None:
        """`server.openapi.routes` serves the document and its page."""


def init_api(app: Flask) -> Api:
    """The app's Api: register every schema-driven blueprint through `api.register_blueprint`."""
    app.config.setdefault("API_TITLE", "Verval API")
    app.config.setdefault("API_VERSION", __version__)
    app.config.setdefault("OPENAPI_VERSION", "3.0.3")
    return Api(app)


def api_of(app: Flask) -> Api:
    return app.extensions["flask-smorest"]["apis"][""]["ext_obj"]


# What if_match_version reads, for the document: "<version>", quotes and W/ optional.
IF_MATCH_PATTERN = '^(W/)?"*[0-9]+"*$'


def if_match_version() -> int:
    """The version the caller last saw, from `If-Match: "<version>"` (428 when absent, 400 when unreadable)."""
    header = request.headers.get("If-Match")
    if not header:
        raise AppError(PRECONDITION_REQUIRED)
    value = header.strip()
    if value.startswith("W/"):
        value = value[2:]
    value = value.strip('"')
    if not (value.isascii() and value.isdigit()):  # '²'.isdigit() is true and int('²') fails
        raise AppError(BAD_REQUEST, details={"If-Match": 'expected "<version>"'})
    return int(value)
