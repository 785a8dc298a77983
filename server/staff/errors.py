"""Failures under /staff/ as pages in the user's language: the catalogue's kind (server/errors.py) and its
message, never a stack trace or a protocol word. htmx requests get the message alone, which the layout's
alert region shows (htmx-config `responseHandling` in base.html)."""

from __future__ import annotations

from flask import render_template
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from marshmallow import ValidationError

from server.errors import BAD_REQUEST, AppError, ErrorKind
from server.staff.access import is_htmx, staff_actor
from server.staff.i18n import localized

# What a clerk can do about it, per status.
ADVICE = {
    400: _l("Periksa isian lalu coba lagi."),
    401: _l("Silakan masuk lagi."),
    403: _l("Halaman ini tidak tersedia untuk peran Anda."),
    404: _l("Periksa alamatnya, atau kembali ke Beranda."),
    409: _l("Muat ulang halaman untuk melihat data terbaru."),
    412: _l("Muat ulang halaman untuk melihat data terbaru."),
    413: _l("Berkas terlalu besar."),
    422: _l("Periksa isian lalu coba lagi."),
    429: _l("Tunggu sebentar, lalu coba lagi."),
    500: _l("Coba lagi sebentar lagi. Bila terus terjadi, hubungi admin."),
    503: _l("Coba lagi sebentar lagi. Bila terus terjadi, hubungi admin."),
}


def field_problems(fields: dict) -> list[str]:
    """Every message of an error's `details.fields` ({field: message or [messages]}), in the user's language."""
    return [
        localized(str(m))
        for messages in fields.values()
        for m in (messages if isinstance(messages, list) else [messages])
    ]


def problems_of(error: ValidationError | AppError) -> list[str]:
    """What a refused form lists above it: each field's message, or the error's own when it names no field."""
    fields = error.messages if isinstance(error, ValidationError) else error.details.get("fields") or {}
    if isinstance(error, AppError) and not fields:
        return [localized(error.message)]
    return field_problems(fields)


def render_error(kind: ErrorKind, message: str | None, details: dict | None):
    text = localized(message or kind.message)
    problems = field_problems((details or {}).get("fields") or {})
    advice = str(ADVICE.get(kind.status, ADVICE[500]))
    template = "staff/_error.html" if is_htmx() else "staff/error.html"
    body = render_template(
        template, status=kind.status, message=text, problems=problems[:10], advice=advice, actor=staff_actor()
    )
    return body, kind.status


def render_csrf_error(error: CSRFError):
    message = (
        "Formulir kedaluwarsa atau tidak sah: muat ulang halaman lalu coba lagi"
        " / The form expired or is not valid: reload the page and try again"
    )
    return render_error(BAD_REQUEST, message, {})
