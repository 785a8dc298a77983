"""How the pages write numbers, shares, dates and labels: in the reader's language (Flask-Babel, id-ID or
en-GB conventions), times in WITA (Samarinda), and links only to pages that exist."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from flask import current_app, g, url_for
from flask_babel import format_date, format_datetime, format_decimal, format_percent

from server.staff.i18n import current_language

# What an empty value shows: an en dash.
NONE = "\u2013"


def num(value: Any) -> str:
    return NONE if value is None else format_decimal(value)


def pct(value: Any) -> str:
    return NONE if value is None else format_percent(value, format="#,##0.#%")


def when(value: datetime | date | str | None) -> str:
    """A date or time (also as the API's ISO 8601 text) in the reader's conventions, times in WITA, saying so."""
    if value is None or value == "":
        return NONE
    if isinstance(value, str):
        try:
            value = date.fromisoformat(value) if len(value) == 10 else datetime.fromisoformat(value)
        except ValueError:
            return value
    if isinstance(value, datetime):
        return format_datetime(value, "d MMM yyyy HH:mm 'WITA'")
    return format_date(value, "d MMM yyyy")


def day(value: date | None) -> str:
    return NONE if value is None else format_date(value, "d MMM")


def label(choice: Any) -> str:
    """A catalogue choice ({code, label_id, label_en}, or an object with those attributes) in the reader's
    language."""
    key = "label_en" if current_language() == "en" else "label_id"
    return choice[key] if isinstance(choice, dict) else getattr(choice, key)


def link(endpoint: str, **values: Any) -> str | None:
    """The URL of a page, or None when that page is not there (yet) or not open to the reader's role (a
    viewer's Beranda must not lead to the review queue's refusal): numbers then show without a link."""
    view = current_app.view_functions.get(endpoint)
    if view is None:
        return None
    roles, actor = getattr(view, "staff_roles", None), g.get("actor")
    if roles and actor is not None and actor.role not in roles:
        return None
    return url_for(endpoint, **{key: value for key, value in values.items() if value is not None})


def dict_without(values: dict, *keys: str) -> dict:
    return {key: value for key, value in values.items() if key not in keys}


def localized_filter(text: str | None) -> str:
    from server.staff.i18n import localized

    return localized(text)


FILTERS = {
    "localized": localized_filter,
    "num": num,
    "pct": pct,
    "when": when,
    "day": day,
    "label": label,
    "dict_without": dict_without,
}
GLOBALS = {"link": link}
