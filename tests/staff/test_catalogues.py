"""The workspace's catalogues (server/translations): compiled files match their sources, every string of
the pages and server code is in the English catalogue with its English (ids are the Indonesian text)."""

from __future__ import annotations

from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
TRANSLATIONS = ROOT / "server" / "translations"
METHODS = [("server/**/templates/**.html", "jinja2"), ("server/**.py", "python")]
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "_l": None, "lazy_gettext": None}


def _catalogue(language: str):
    with (TRANSLATIONS / language / "LC_MESSAGES" / "messages.po").open("rb") as source:
        return read_po(source, locale=language)


def _messages(catalogue) -> dict:
    return {message.id: message.string for message in catalogue if message.id and message.string}


def test_compiled_catalogues_match_their_sources():
    for language in ("id", "en"):
        with (TRANSLATIONS / language / "LC_MESSAGES" / "messages.mo").open("rb") as compiled:
            stored = read_mo(compiled)
        assert _messages(stored) == _messages(_catalogue(language)), f"run scripts/staff-i18n.sh ({language})"


def test_every_string_has_its_english():
    found = {
        message if isinstance(message, str) else message[0]
        for _file, _line, message, _comments, _context in extract_from_dir(
            str(ROOT), METHODS, keywords=KEYWORDS, options_map={"server/**/templates/**.html": {"trimmed": "true"}}
        )
        if message
    }
    english = {(m.id if isinstance(m.id, str) else m.id[0]): m.string for m in _catalogue("en") if m.id}
    missing = sorted(text for text in found if text not in english)
    untranslated = sorted(text for text in found if text in english and not english[text])
    assert missing == [], "not in the English catalogue: run scripts/staff-i18n.sh"
    assert untranslated == [], "no English yet"
