"""The review's data as data: reason codes of reject / revisit decisions, and what approval does per outcome.

`APPROVAL_EFFECTS` is the one table of what approving a visit does (docs/review.md prints the same table;
tests/review/test_outcomes.py walks it row by row). Data corrections are applied at approval; eligibility
changes are proposed and wait for the kelurahan's musyawarah (server/history/ keeps both).
"""

from __future__ import annotations

from dataclasses import dataclass

from server.types import Outcome, RegistryStatus

REASONS: list[dict[str, str]] = [
    {"code": code, "decisions": decisions, "label_id": label_id, "label_en": label_en}
    for code, decisions, label_id, label_en in (
        ("not_a_real_visit", "reject", "Bukan kunjungan sungguhan", "Not a real visit"),
        ("wrong_household", "reject,revisit", "Rumah tangga salah", "Wrong household visited"),
        ("duplicate_submission", "reject", "Kiriman ganda", "Duplicate submission"),
        ("location_doubtful", "reject,revisit", "Lokasi meragukan", "Location doubtful"),
        ("photos_missing", "revisit", "Foto kurang", "Photos missing"),
        ("photos_unclear", "revisit", "Foto tidak jelas", "Photos unclear"),
        ("members_incomplete", "revisit", "Data anggota tidak lengkap", "Member data incomplete"),
        ("data_inconsistent", "reject,revisit", "Data tidak konsisten", "Data inconsistent"),
        ("nobody_home", "revisit", "Tidak ada orang di rumah", "Nobody at home"),
        ("no_consent", "reject,revisit", "Tanpa persetujuan", "No consent recorded"),
        ("other", "reject,revisit", "Lainnya (lihat komentar)", "Other (see comment)"),
    )
]
REASON_CODES = {reason["code"]: set(reason["decisions"].split(",")) for reason in REASONS}
REASON_LABELS = {reason["code"]: reason for reason in REASONS}
# Decisions a reviewer (or a policy) may take; `supersede` is the system's alone.
DECISIONS = ("approve", "reject", "revisit")


@dataclass(frozen=True)
class Effect:
    """What approving a visit with this outcome does."""

    household: str  # words for the docs
    members: str
    phones: str
    registry_status: RegistryStatus | None  # proposed for the household (None: no eligibility change)
    corrections: bool  # data corrections (household and members) applied
    member_presence: bool  # member presence changes and new members proposed
    all_members: str | None = None  # every present member's presence proposed as this
    needs_target: bool = False  # the household it duplicates / merged into must be named
    verification: str = "approved"  # the household's verification status after approval


APPROVAL_EFFECTS: dict[Outcome, Effect] = {
    Outcome.FOUND: Effect(
        "verified; data corrections applied",
        "presence changes proposed; new members proposed; corrections applied",
        "updated household pulled",
        None,
        corrections=True,
        member_presence=True,
    ),
    Outcome.MOVED_WITHIN: Effect(
        "move proposed (new address if given)", "—", "stays until settled, marked", RegistryStatus.MOVED, False, False
    ),
    Outcome.MOVED_OUTSIDE: Effect(
        "move proposed (new address if given)", "—", "stays until settled, marked", RegistryStatus.MOVED, False, False
    ),
    Outcome.DECEASED: Effect(
        "removal proposed",
        "deaths proposed",
        "stays until settled, marked",
        RegistryStatus.DECEASED,
        False,
        False,
        all_members="deceased",
    ),
    Outcome.NOT_FOUND: Effect(
        "removal proposed", "—", "stays until settled, marked", RegistryStatus.NOT_FOUND, False, False
    ),
    Outcome.BUILDING_GONE: Effect(
        "removal proposed", "—", "stays until settled, marked", RegistryStatus.NOT_FOUND, False, False
    ),
    Outcome.DUPLICATE: Effect(
        "merge into the named household proposed",
        "members moved on settlement",
        "stays until settled, marked",
        RegistryStatus.DUPLICATE,
        False,
        False,
        needs_target=True,
    ),
    Outcome.MERGED: Effect(
        "merge into the named household proposed",
        "members moved on settlement",
        "stays until settled, marked",
        RegistryStatus.MERGED,
        False,
        False,
        needs_target=True,
    ),
    Outcome.REFUSED: Effect(
        "no change; counted as refusal",
        "—",
        "back on the list if the campaign says so",
        None,
        False,
        False,
        verification="visited",
    ),
}
# Member fields a visit may correct (applied at approval); presence is an eligibility change (proposed).
MEMBER_CORRECTIONS = ("name", "nik", "sex", "birth_date", "relationship_code")
# A visit's fix replaces a registered point that is missing, when it is at least this accurate.
LOCATION_ACCURACY_M = 50.0
