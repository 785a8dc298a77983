"""The request boundary: the one place where incoming text is checked before any route or query sees it.

Every string a client sends (query arguments, path arguments, JSON bodies including their keys, plain
form fields) and every cell of an uploaded spreadsheet (see server.imports.reader) is refused when it
holds NUL, another C0/C1 control character (tab, line feed and carriage return are text) or a lone UTF-16
surrogate: PostgreSQL cannot store NUL, drivers cannot encode surrogates, and nobody types the rest. The
answer is the catalogue's 422 naming the field (`details.fields`), never a 500 from deep inside.

URLs longer than MAX_URL_LENGTH (4096) get 414 in the envelope. gunicorn (gunicorn.conf.py) lets request
lines up to 8190 bytes, its maximum, reach the app; only longer ones get gunicorn's own plain 414.

JSON bodies are checked where they are parsed (server.http.StrictJSONProvider calls `check_json`), so a
body is read only after the route's access check, as before. Multipart bodies are not read here either:
the import routes raise their own size limit first and then call `check_form()` themselves (reading the
form here would parse a 200 MB upload under the general limit).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from flask import Flask, current_app, request

from server.errors import CONTROL_CHARACTER_MESSAGE, URI_TOO_LONG, AppError, validation_error

# C0 controls except \t \n \r, DEL, C1 controls, lone surrogates (JSON "\ud800" decodes to one).
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")
MESSAGE = CONTROL_CHARACTER_MESSAGE


def bad_text(value: Any) -> bool:
    """True when `value` is a string holding a character the boundary refuses."""
    return isinstance(value, str) and CONTROL.search(value) is not None


def printable(name: str) -> str:
    """A field name safe to echo back: refused characters shown as escapes."""
    return CONTROL.sub(lambda match: f"\\x{ord(match.group()):02x}", name)[:200]


def bad_fields_of_pairs(pairs: Iterable[tuple[str, Any]], prefix: str = "") -> list[str]:
    bad = []
    for key, value in pairs:
        if bad_text(key) or bad_text(value):
            bad.append(prefix + printable(str(key)))
    return bad


def _json_has_bad_text(document: Any) -> bool:
    """Whether any string or key of a JSON document holds a refused character: one regex pass over all of its
    text joined (joining cannot make or hide a refused character), no paths built (a push of 100 visits: ~2 ms
    instead of ~30 ms for the path-building walk below, which now runs only for documents it will refuse)."""
    texts: list[str] = []
    stack = [document]
    while stack:
        value = stack.pop()
        if isinstance(value, str):
            texts.append(value)
        elif isinstance(value, Mapping):
            texts.extend(key for key in value if isinstance(key, str))
            stack.extend(value.values())
        elif isinstance(value, list):
            stack.extend(value)
    return CONTROL.search("".join(texts)) is not None


def bad_fields_of_json(document: Any) -> list[str]:
    """Dotted paths (`members.0.name`) of every string or key in a JSON document that the boundary refuses."""
    if not _json_has_bad_text(document):
        return []
    bad: list[str] = []
    stack: list[tuple[str, Any]] = [("", document)]
    while stack:
        path, value = stack.pop()
        if isinstance(value, Mapping):
            for key, item in value.items():
                child = f"{path}.{printable(str(key))}" if path else printable(str(key))
                if bad_text(key):
                    bad.append(child)
                    continue
                stack.append((child, item))
        elif isinstance(value, list):
            stack.extend((f"{path}.{index}" if path else str(index), item) for index, item in enumerate(value))
        elif bad_text(value):
            bad.append(path or "body")
    return sorted(bad)


def _refuse(fields: list[str]) -> None:
    if fields:
        raise validation_error({name: [MESSAGE] for name in fields[:50]})


def check_form() -> None:
    """Refuse control characters in the request's form fields (call after setting the upload's size limit)."""
    _refuse(bad_fields_of_pairs(request.form.items(multi=True)))


def check_request() -> None:
    """before_request: URL length, query and path arguments and urlencoded forms (JSON: see check_json)."""
    limit = current_app.config.get("MAX_URL_LENGTH", 4096)
    length = len(request.path) + len(request.query_string) + 1
    if length > limit:
        raise AppError(URI_TOO_LONG, details={"length": length, "limit": limit})
    fields = bad_fields_of_pairs(request.args.items(multi=True))
    fields += bad_fields_of_pairs((request.view_args or {}).items())
    if request.mimetype == "application/x-www-form-urlencoded":
        fields += bad_fields_of_pairs(request.form.items(multi=True))
    _refuse(fields)


# Escapes that decode to a refused character (\b, \f, \u0000, \ud800…); \n \r \t \" \\ \/ never do.
RISKY_ESCAPES = ("\\u", "\\b", "\\f")


def raw_json_is_clean(raw: str | bytes) -> bool:
    """True when the JSON text itself shows that no string or key in it can hold a refused character: none
    stands in it as is, and no escape in it could decode to one. False only means "look at the parsed
    document" (a phone's push has neither: this spares walking ~30,000 values per batch)."""
    if isinstance(raw, bytes | bytearray):
        try:
            raw = bytes(raw).decode("utf-8")
        except UnicodeDecodeError:
            return False
    if not isinstance(raw, str):
        return False
    return not any(escape in raw for escape in RISKY_ESCAPES) and CONTROL.search(raw) is None


def check_json(document: Any, raw: str | bytes | None = None) -> None:
    """Refuse control characters anywhere in a request's JSON body (called by the app's JSON provider with the
    body's text as `raw`, which settles most bodies without walking the parsed document)."""
    if raw is not None and raw_json_is_clean(raw):
        return
    _refuse(bad_fields_of_json(document))


def register_boundary(app: Flask) -> None:
    app.before_request(check_request)
