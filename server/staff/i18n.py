"""Languages of the staff workspace (Flask-Babel): Bahasa Indonesia first, English second.

Message ids are the Indonesian text itself, so `id` needs no translation and a string nobody translated
still reads as Indonesian; `server/translations/en/LC_MESSAGES/messages.po` holds the English. The
catalogues are compiled (`.mo`) and committed; tests/staff/test_catalogues.py checks that the compiled
files match their sources and that every string of the pages has its English.
Regenerate after changing texts: `scripts/staff-i18n.sh` (extract, update, compile).
"""

from __future__ import annotations

from flask import Flask, request, session
from flask_babel import Babel, get_locale

LANGUAGES = ("id", "en")


def select_locale() -> str:
    chosen = session.get("lang") if _has_session() else None
    return chosen if chosen in LANGUAGES else "id"


def _has_session() -> bool:
    return request.path.startswith("/staff")


def current_language() -> str:
    return str(get_locale() or "id")


def localized(message: str | None) -> str:
    """One language of a catalogue message written 'Indonesia / English' (server/errors.py)."""
    if not message:
        return ""
    parts = message.split(" / ", 1)
    if len(parts) == 1:
        return message
    return parts[1] if current_language() == "en" else parts[0]


def install(app: Flask) -> None:
    Babel(app, locale_selector=select_locale)
