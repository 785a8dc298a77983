"""The PWA's one string catalogue (pwa/src/i18n.js): both languages have the same keys, every key the
screens ask for exists, the keys built from server values (statuses, sexes, house-condition fields) cover
every value the server can send, and the server's form vocabularies (outcomes, presence, photo kinds) are
not copied into the phone (they come from the pull's `reference`). Reads the sources; no browser needed.
"""

from __future__ import annotations

import re

from server.config import PROJECT_ROOT
from server.types import Outcome, PhotoKind, Presence, ReceiptStatus, RegistryStatus, ReviewStatus
from server.visits.form import HOUSE_CONDITION, HOUSE_NUMBERS

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
    return "".join(path.read_text() for path in sorted(SRC.rglob("*.js")) if path.name != "i18n.js")


def test_both_languages_have_the_same_keys():
    keys = catalogue()
    assert len(keys["id"]) > 100
    assert keys["id"] - keys["en"] == set(), "missing in English"
    assert keys["en"] - keys["id"] == set(), "missing in Indonesian"


def test_every_literal_key_the_screens_use_exists():
    used = set(re.findall(r"\bt\('(\w+)'", screen_sources()))
    assert len(used) > 50
    assert used - catalogue()["id"] == set()


def test_keys_built_from_server_values_exist():
    keys = catalogue()["id"]
    families = {
        "status": {"todo", "visited", "sent", "revisit"},
        "state": {"pending", "sending", "refused", "held", "uploading", "draft"},
        "sex": {"1", "2"},
        "aid_status": {s.value for s in ReceiptStatus},
        "review": {s.value for s in ReviewStatus},
        "registry": {s.value for s in RegistryStatus},
        "hc": set(HOUSE_CONDITION) | set(HOUSE_NUMBERS),
    }
    for prefix, values in families.items():
        missing = {value for value in values if f"{prefix}_{value}" not in keys}
        assert missing == set(), prefix


def test_the_form_vocabularies_are_not_copied_into_the_phone():
    # Outcomes, presence and photo kinds are the server's (server/visits/form.py, sent in the pull's
    # `reference`): no catalogue keys for them and no list of their codes in the screens.
    keys = catalogue()["id"]
    assert not {key for key in keys if key.startswith(("outcome_", "presence_", "kind_"))}
    sources = "".join(path.read_text() for path in sorted((SRC / "screens").glob("*.js")))
    # 'found' (a proposal's default outcome), 'present' and 'new' (a member's default presence) are the
    # only codes the screens themselves need.
    codes = {o.value for o in Outcome} | {p.value for p in Presence} | {k.value for k in PhotoKind}
    named = {code for code in codes - {"found", "present", "new"} if f"'{code}'" in sources}
    assert named == set()
