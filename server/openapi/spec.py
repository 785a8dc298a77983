"""Building the OpenAPI 3 document: the operations as their decorators declare them (server.api, flask-smorest),
completed with what every operation shares (path parameters, security, the shared failures)."""

from __future__ import annotations

import re
import threading
from typing import Any

import marshmallow
from apispec.ext.marshmallow.common import resolve_schema_instance
from apispec_webframeworks.flask import FlaskPlugin
from flask import Flask
from werkzeug.routing import Rule

from server.api import api_of
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

DESCRIPTION = (
    "Verifikasi dan validasi data kesejahteraan sosial / field verification of social-assistance households. "
    'Success: `{"data": …}` (lists add `meta`); errors: `{"error": {"code", "message", "details"}}`.'
)

# Our name for each failure status, where flask-smorest would name it after http.HTTPStatus.
NAMED_BY_STATUS = {"400": "BadRequest", "422": "ValidationFailed"}

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
    "ServiceUnavailable": "Layanan belum siap / Service unavailable",
    "ServerBusy": "Server sibuk / Server busy (code server.busy): every database connection of the process is in"
    " use; nothing was written, retry after Retry-After seconds",
}


def is_documented(rule: Rule) -> bool:
    """An API rule the document must describe (not the documentation's own pages)."""
    return rule.rule.startswith("/api/") and not rule.rule.startswith(UNDOCUMENTED_PREFIXES)


def documented_rules(app: Flask) -> list[Rule]:
    """Every API rule the document must describe."""
    return sorted((rule for rule in app.url_map.iter_rules() if is_documented(rule)), key=lambda rule: rule.rule)


def build_spec(app: Flask) -> dict[str, Any]:
    """The OpenAPI 3.0 document of every `/api/` route, as a dict (built once per app). Every `/api/` blueprint
    is registered through the Api (server.api), so its operations are in the Api's spec already."""
    with _BUILDING:  # two first requests at once must not register the same components twice
        document = app.extensions.get("verval_openapi")
        if document is None:
            document = app.extensions["verval_openapi"] = _build(app)
        return document


_BUILDING = threading.Lock()


def _build(app: Flask) -> dict[str, Any]:
    spec = api_of(app).spec
    spec.options["info"] = {"description": DESCRIPTION}
    spec.components.security_scheme("bearerAuth", {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"})
    for name, schema in (("ErrorEnvelope", ErrorEnvelopeSchema), ("ListMeta", ListMetaSchema)):
        if name not in spec.components.schemas:
            spec.components.schema(name, schema=schema)
    for name, description in COMMON_RESPONSES.items():
        spec.components.response(
            name,
            {"description": description, "content": {"application/json": {"schema": "ErrorEnvelope"}}},
        )
    _close_request_schemas(spec, api_of(app).ma_plugin)
    document = spec.to_dict()
    _complete(document, app)
    _use_our_response_names(document)
    _text_rule(document)
    return document


def _close_request_schemas(spec, plugin) -> None:
    """`additionalProperties` from each schema's `unknown` (apispec leaves it out when the schema has a
    Meta.description): a body with a field the server refuses is not a valid body. A schema whose
    validators check a rule across fields says it in `OPENAPI_RULES` (oneOf, not …), added here."""
    components = spec.components.schemas
    for key, name in plugin.converter.refs.items():
        instance = resolve_schema_instance(key[0] if isinstance(key, tuple) else key)
        if name not in components:
            continue
        closed = instance.unknown != marshmallow.EXCLUDE
        if "additionalProperties" not in components[name] and closed:
            components[name]["additionalProperties"] = instance.unknown == marshmallow.INCLUDE
        components[name].update(getattr(instance, "OPENAPI_RULES", {}))


# The request boundary's rule (server.boundary.CONTROL) as a JSON Schema pattern: no C0 control but tab, line
# feed and carriage return, no DEL, no C1 control. (Lone surrogates, refused too, are not Unicode text at all,
# and a surrogate range makes the pattern unusable for common regex engines, Rust's among them.)
TEXT_PATTERN = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]*$"


def _text_rule(document: dict) -> None:
    """Every free string a request can carry (parameters, JSON and form bodies) says what the boundary
    refuses, so a client (and schemathesis) can know that a control character is not valid input."""
    seen: set[int] = set()

    def visit(schema: Any) -> None:
        if isinstance(schema, list):
            for item in schema:
                visit(item)
            return
        if not isinstance(schema, dict) or id(schema) in seen:
            return
        seen.add(id(schema))
        if "$ref" in schema:
            target: Any = document
            for part in schema["$ref"].lstrip("#/").split("/"):
                target = target[part]
            visit(target)
            return
        if schema.get("type") == "string" and not {"enum", "format", "pattern"} & schema.keys():
            schema["pattern"] = TEXT_PATTERN
        for key in ("items", "additionalProperties", "allOf", "anyOf", "oneOf", "not"):
            visit(schema.get(key))
        for item in (schema.get("properties") or {}).values():
            visit(item)

    for operations in document.get("paths", {}).values():
        for method, operation in operations.items():
            if method not in {"get", "put", "post", "delete", "patch", "head", "options"}:
                continue
            for parameter in operation.get("parameters", []):
                visit(parameter.get("schema"))
            for media_type, content in (operation.get("requestBody") or {}).get("content", {}).items():
                if media_type in {"application/json", "multipart/form-data", "application/x-www-form-urlencoded"}:
                    visit(content.get("schema"))


def _complete(document: dict, app: Flask) -> None:
    """Fill in what every operation shares: path parameters from the rule, security, the shared failures."""
    for rule in documented_rules(app):
        path = FlaskPlugin.flaskpath2openapi(rule.rule)
        operations = document.get("paths", {}).get(path, {})
        arguments = [(converter, name) for converter, name in _RULE_ARG.findall(rule.rule)]
        for method, operation in operations.items():
            if method not in {"get", "put", "post", "delete", "patch", "head", "options", "trace"}:
                continue
            if method.upper() not in (rule.methods or ()):
                continue  # another rule of the same path (another view) serves this method
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
            view = app.view_functions[rule.endpoint]
            tus_version = getattr(view, "tus_version", None)
            # tus: every request but OPTIONS (the capability probe) carries the protocol version.
            if tus_version and method != "options" and ("header", "Tus-Resumable") not in declared:
                operation.setdefault("parameters", []).append(
                    {
                        "in": "header",
                        "name": "Tus-Resumable",
                        "required": True,
                        "schema": {"type": "string", "enum": [tus_version]},
                        "description": "The tus protocol version; another or none is answered 412",
                    }
                )
            responses = operation.setdefault("responses", {"200": {"description": "OK"}})
            if tus_version and method != "options":
                responses.setdefault("412", {"$ref": "#/components/responses/PreconditionFailed"})
            for status, name in _shared_failures(app.view_functions[rule.endpoint], operation):
                responses.setdefault(status, {"$ref": f"#/components/responses/{name}"})


def _use_our_response_names(document: dict) -> None:
    """flask-smorest refers to failures by their HTTPStatus name (`UNPROCESSABLE_ENTITY`); the document uses
    the catalogue's bilingual ones (`ValidationFailed`) throughout."""
    smorest_names = set()
    for operations in document.get("paths", {}).values():
        for operation in operations.values():
            for status, response in operation.get("responses", {}).items() if isinstance(operation, dict) else ():
                ref = response.get("$ref", "") if isinstance(response, dict) else ""
                name = ref.rsplit("/", 1)[-1]
                if status in NAMED_BY_STATUS and name != NAMED_BY_STATUS[status] and name.isupper():
                    smorest_names.add(name)
                    response["$ref"] = f"#/components/responses/{NAMED_BY_STATUS[status]}"
    for name in smorest_names:
        document["components"]["responses"].pop(name, None)


def _shared_failures(view, operation: dict) -> list[tuple[str, str]]:
    """The failures any operation of its kind can answer, whatever its own code does: the request boundary
    refuses a URL that is too long (414) and control characters in any query or field (422); a role check
    answers 403; a body can be too large, malformed or of another type; a process whose database connections
    are all busy answers 503 `server.busy` (server/errors.py), whichever operation it was."""
    failures = [("414", "UriTooLong"), ("422", "ValidationFailed"), ("503", "ServerBusy")]
    if operation.get("security") != []:
        operation.setdefault("security", [{"bearerAuth": []}])
        failures.append(("401", "Unauthorized"))
    if getattr(view, "required_roles", ()):
        failures.append(("403", "Forbidden"))
    if "requestBody" in operation:
        failures += [("400", "BadRequest"), ("413", "TooLarge"), ("415", "UnsupportedMediaType")]
    return failures
