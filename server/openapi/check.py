"""The OpenAPI document checked against reality: every `/api/` answer compared with what the document promises.

On in the test profile (`CHECK_RESPONSES`), so the whole suite is the check: each answer's status code must
be documented for its operation, its JSON body must match the documented schema, and every date and time in
it must be ISO 8601 (never Flask's RFC 822 default). A mismatch does not change the answer; it is recorded
in `recorded` (and appended to the file `RESPONSE_MISMATCH_LOG` names, for servers the tests run in other
processes), and the test harness fails the test that produced it.
"""

from __future__ import annotations

import gzip
import json
import re
from typing import Any

from apispec_webframeworks.flask import FlaskPlugin
from flask import Flask, Response, current_app, request
from openapi_schema_validator import OAS30Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4

from server.openapi.spec import build_spec, is_documented

# "Thu, 01 Jan 2026 00:00:00 GMT": what Flask's JSON provider writes for a date it was not told how to write.
RFC822_DATE = re.compile(r"^[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT$")
DOCUMENT_URI = "urn:verval:openapi"
# Every mismatch of every checked app in this process, in order; the test harness empties it per test.
recorded: list[str] = []


class ResponseChecker:
    def __init__(self, app: Flask):
        self.app = app
        self._document: dict | None = None
        self._registry: Registry | None = None
        # One validator per documented body schema (the document is built once per app).
        self._validators: dict[int, OAS30Validator] = {}

    def document(self) -> dict:
        if self._document is None:
            self._document = build_spec(self.app)
            resource = Resource.from_contents(self._document, default_specification=DRAFT4)
            self._registry = Registry().with_resource(DOCUMENT_URI, resource)
        return self._document

    def check(self, response: Response) -> None:
        rule = request.url_rule
        if rule is None or not is_documented(rule) or request.method == "HEAD":
            return None
        where = f"{request.method} {rule.rule} → {response.status_code}"
        operation = self.document().get("paths", {}).get(FlaskPlugin.flaskpath2openapi(rule.rule), {})
        operation = operation.get(request.method.lower())
        if operation is None:
            # Flask answers OPTIONS by itself on every route; only the documented ones (tus) are checked.
            return None if request.method == "OPTIONS" else self._mismatch(where, "operation not in the document")
        documented = operation.get("responses", {})
        answer = documented.get(str(response.status_code)) or documented.get("default")
        if answer is None:
            return self._mismatch(where, f"status not documented (documented: {', '.join(sorted(documented))})")
        if response.is_streamed or response.mimetype != "application/json":
            return None
        body = self._json(response)
        if body is None:
            return self._mismatch(where, "body is not JSON")
        for path, text in _strings(body):
            if RFC822_DATE.match(text):
                self._mismatch(where, f"RFC 822 date at {path}: {text!r} (ISO 8601 expected)")
        schema = (self._resolve(answer).get("content") or {}).get("application/json", {}).get("schema")
        if schema is None:
            return self._mismatch(where, "JSON body where the document declares none")
        validator = self._validators.get(id(schema))
        if validator is None:
            validator = self._validators[id(schema)] = OAS30Validator(_absolute_refs(schema), registry=self._registry)
        for error in sorted(validator.iter_errors(body), key=lambda e: list(e.absolute_path))[:5]:
            location = "/".join(str(part) for part in error.absolute_path) or "(body)"
            self._mismatch(where, f"body at {location}: {error.message[:200]}")
        return None

    def _resolve(self, item: dict) -> dict:
        while "$ref" in item:
            target: Any = self.document()
            for part in item["$ref"].lstrip("#/").split("/"):
                target = target[part]
            item = target
        return item

    def _json(self, response: Response) -> Any:
        data = response.get_data()
        if response.headers.get("Content-Encoding") == "gzip":
            data = gzip.decompress(data)
        try:
            return json.loads(data)
        except ValueError:
            return None

    def _mismatch(self, where: str, what: str) -> None:
        line = f"{where}: {what}"
        recorded.append(line)
        log_file = current_app.config.get("RESPONSE_MISMATCH_LOG")
        if log_file:
            with open(log_file, "a", encoding="utf-8") as log:
                log.write(line + "\n")


def _absolute_refs(schema: Any) -> Any:
    """The schema with its document-local `$ref`s made absolute, so the registry resolves them."""
    if isinstance(schema, dict):
        return {
            key: DOCUMENT_URI + value if key == "$ref" and value.startswith("#") else _absolute_refs(value)
            for key, value in schema.items()
        }
    if isinstance(schema, list):
        return [_absolute_refs(item) for item in schema]
    return schema


def _strings(value: Any, path: str = "") -> list[tuple[str, str]]:
    if isinstance(value, str):
        return [(path or "(body)", value)]
    if isinstance(value, dict):
        return [found for key, item in value.items() for found in _strings(item, f"{path}/{key}")]
    if isinstance(value, list):
        return [found for index, item in enumerate(value) for found in _strings(item, f"{path}/{index}")]
    return []


def install(app: Flask) -> None:
    """Check every answer of this app against its own document (test profile)."""
    checker = ResponseChecker(app)
    app.extensions["response_checker"] = checker

    @app.after_request
    def _check(response: Response) -> Response:
        checker.check(response)
        return response
