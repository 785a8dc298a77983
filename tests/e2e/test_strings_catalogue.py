"""The PWA's one string catalogue (pwa/src/i18n.js): both languages have the same keys, every key the
screens ask for exists, and the keys built from server vocabularies (outcomes, presence, photo kinds)
cover every value the server can send. Reads the sources; no browser needed.
"""

from __future__ import annotations

import re

from server.config import PROJECT_ROOT
from server.types import Outcome, PhotoKind, Presence

SRC = PROJECT_ROOT / "pwa" / "src"
KEY = re.compile(r"^\s*(\w+): '", re.MULTILINE)
KEY_INLINE = re.compile(r"[{,]\s*(\w+): '")


def catalogue() -> dict[str, set[str]]:
    text = (SRC / "i18n.js").read_text()
    id_start, en_start = text.index("\n  id: {"), text.index("\n  en: {")
    end = text.index("\n};", en_start)
    blocks = {"id": text[id_start:en_start], "en": text[en_start:end]}
    return {lang: set(KEY.findall(block)) | set(KEY_INLINE.findall(block)) for lang, block in blocks.items()}


def screen_sources() -> str:
    return "".join(path.read_text() for path in sorted(SRC.glob("*.js")) if path.name != "i18n.js")


def test_both_languages_have_the_same_keys():
    keys = catalogue()
    assert len(keys["id"]) > 100
    assert keys["id"] - keys["en"] == set(), "missing in English"
    assert keys["en"] - keys["id"] == set(), "missing in Indonesian"


def test_every_literal_key_the_screens_use_exists():
    used = set(re.findall(r"\bt\('(\w+)'", screen_sources()))
    assert len(used) > 50
    assert used - catalogue()["id"] == set()


def test_keys_built_from_vocabularies_exist():
    keys = catalogue()["id"]
    families = {
        "outcome": {o.value for o in Outcome},
        # What an enumerator can choose at the door (duplicate / no documents are office findings).
        "presence": {"present", "moved", "deceased", "not_found", "new"},
        "kind": {k.value for k in PhotoKind},
        "status": {"todo", "visited", "sent", "revisit"},
        "state": {"pending", "sending", "refused", "held", "uploading"},
        "sex": {"1", "2"},
    }
    assert families["presence"] <= {p.value for p in Presence}
    for prefix, values in families.items():
        assert f"t(`{prefix}_${{" in screen_sources()
        missing = {value for value in values if f"{prefix}_{value}" not in keys}
        assert missing == set(), prefix
