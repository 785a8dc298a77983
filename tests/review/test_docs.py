"""docs/review.md prints the approval table of server/review/catalog.py: the same rows, word for word."""

from __future__ import annotations

from server.config import PROJECT_ROOT
from server.review.catalog import APPROVAL_EFFECTS


def test_the_docs_table_is_the_code_table():
    text = (PROJECT_ROOT / "docs" / "review.md").read_text()
    text = text.split("## What approval does, per outcome", 1)[1].split("\n## ", 1)[0]
    rows = {
        line.split("|")[1].strip(): [cell.strip() for cell in line.split("|")[2:6]]
        for line in text.splitlines()
        if line.startswith("| ") and not line.startswith("| outcome")
    }
    assert set(rows) == {outcome.value for outcome in APPROVAL_EFFECTS}
    for outcome, effect in APPROVAL_EFFECTS.items():
        status = effect.registry_status.value if effect.registry_status else "—"
        assert rows[outcome.value] == [effect.household, effect.members, effect.phones, status], outcome
