"""Building the OpenAPI 3 document from the app's URL map and its views' docstrings (apispec)."""

from __future__ import annotations

import re
from typing import Any

from apispec import APISpec, yaml_utils
from apispec.ext.marshmallow import MarshmallowPlugin
from apispec_webframeworks.flask import FlaskPlugin
from flask import Flask
from werkzeug.routing import Rule

from server import __version__
from server.openapi.schemas import ErrorEnvelopeSchema, ListMetaSchema

# Routes that describe the API rather than being part of it (the page and its static files).
UNDOCUMENTED_PREFIXES = ("/api/docs",)
AUTOMATIC_METHODS = frozenset({"HEAD", "OPTIONS"})
_RULE_ARG = re.compile(r"<(?:([^:<>]+):)?([^<>]+)>")
_CONVERTER_TYPES = {
    "int": {"type": "integer"},
    "float": {"type": "number"},
    "uuid": {"type": "string", "format": "uuid"},
    "path": {"type": "string"},
    "string": {"type": "string"},
    None: {"type": "string"},
}

COMMON_RESPONSES = {
    "BadRequest": "Permintaan tidak valid / Bad request",
    "Unauthorized": "Perlu masuk / Authentication required (missing, expired or revoked token)",
    "Forbidden": "Tidak diizinkan / The role may not do this",
    "NotFound": "Tidak ditemukan / Not found (also for records outside the caller's area)",
    "Conflict": "Bertentangan dengan data yang ada / Conflicts with existing data",
    "Gone": "Sudah tidak tersedia / No longer available",
    "PreconditionFailed": "Versi lama / Stale If-Match: details carry the current version",
    "PreconditionRequired": "Header If-Match wajib / If-Match header required",
    "TooLarge": "Permintaan terlalu besar / Request body too large",
    "UnsupportedMediaType": "Jenis konten tidak didukung / Unsupported media type",
    "ValidationFailed": "Data tidak valid / Invalid data: details.fields = {field: [messages]}",
    "TooManyRequests": "Terlalu banyak percobaan / Too many requests",
    "UriTooLong": "URL terlalu panjang / URL longer than MAX_URL_LENGTH",
}


class RuleFlaskPlugin(FlaskPlugin):
    """FlaskPlugin that documents one URL rule at a time (an endpoint may have several rules)."""

    def path_helper(self, path=None, operations=None, parameters=None, *, view=None, app=None, rule=None, **kwargs):
        if rule is None:
            return super().path_helper(path, operations, parameters, view=view, app=app, **kwargs)
        assert operations is not None
        documented = yaml_utils.load_operations_from_docstring(view.__doc__ or "")
        methods = {method.lower() for method in (rule.methods or set()) - AUTOMATIC_METHODS}
        if "HEAD" in (rule.methods or set()) and "head" in documented:
            methods.add("head")
        if "OPTIONS" in (rule.methods or set()) and "options" in documented:
            methods.add("options")
        operations.update({method: op for method, op in documented.items() if method in methods})
        return self.flaskpath2openapi(rule.rule)


def is_documented(rule: Rule) -> bool:
    """An API rule the document must describe (not the documentation's own pages)."""
    return rule.rule.startswith("/api/") and not rule.rule.startswith(UNDOCUMENTED_PREFIXES)


def documented_rules(app: Flask) -> list[Rule]:
    """Every API rule the document must describe."""
    return sorted((rule for rule in app.url_map.iter_rules() if is_documented(rule)), key=lambda rule: rule.rule)


def build_spec(app: Flask) -> dict[str, Any]:
    """The OpenAPI 3.0 document of every `/api/` route, as a dict."""
    spec = APISpec(
        title="Verval API",
        version=__version__,
        openapi_version="3.0.3",
        plugins=[RuleFlaskPlugin(), MarshmallowPlugin()],
        info={
            "description": "Verifikasi dan validasi data kesejahteraan sosial / field verification of "
            'social-assistance households. Success: `{"data": …}` (lists add `meta`); errors: '
            '`{"error": {"code", "message", "details"}}`.'
        },
    )
    spec.components.security_scheme("bearerAuth", {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"})
    spec.components.schema("ErrorEnvelope", schema=ErrorEnvelopeSchema)
    spec.components.schema("ListMeta", schema=ListMetaSchema)
    for name, description in COMMON_RESPONSES.items():
        spec.components.response(
            name,
            {"description": description, "content": {"application/json": {"schema": "ErrorEnvelope"}}},
        )
    for rule in documented_rules(app):
        view = app.view_functions[rule.endpoint]
        spec.path(view=view, app=app, rule=rule, operations={})
    document = spec.to_dict()
    _complete(document, app)
    return document


def _complete(document: dict, app: Flask) -> None:
    """Fill in what every operation shares: path parameters from the rule, security, the shared failures."""
    for rule in documented_rules(app):
        path = FlaskPlugin.flaskpath2openapi(rule.rule)
        operations = document.get("paths", {}).get(path, {})
        arguments = [(converter, name) for converter, name in _RULE_ARG.findall(rule.rule)]
        for method, operation in operations.items():
            if method not in {"get", "put", "post", "delete", "patch", "head", "options", "trace"}:
                continue
            declared = {(p.get("in"), p.get("name")) for p in operation.get("parameters", []) if isinstance(p, dict)}
            for converter, name in arguments:
                if ("path", name) not in declared:
                    operation.setdefault("parameters", []).append(
                        {
                            "in": "path",
                            "name": name,
                            "required": True,
                            "schema": dict(_CONVERTER_TYPES.get(converter or None, {"type": "string"})),
                        }
                    )
            responses = operation.setdefault("responses", {"200": {"description": "OK"}})
            for status, name in _shared_failures(app.view_functions[rule.endpoint], operation):
                responses.setdefault(status, {"$ref": f"#/components/responses/{name}"})


def _shared_failures(view, operation: dict) -> list[tuple[str, str]]:
    """The failures any operation of its kind can answer, whatever its own code does: the request boundary
    refuses a URL that is too long (414) and control characters in any query or field (422); a role check
    answers 403; a body can be too large, malformed or of another type."""
    failures = [("414", "UriTooLong"), ("422", "ValidationFailed")]
    if operation.get("security") != []:
        operation.setdefault("security", [{"bearerAuth": []}])
        failures.append(("401", "Unauthorized"))
    if getattr(view, "required_roles", ()):
        failures.append(("403", "Forbidden"))
    if "requestBody" in operation:
        failures += [("400", "BadRequest"), ("413", "TooLarge"), ("415", "UnsupportedMediaType")]
    return failures
