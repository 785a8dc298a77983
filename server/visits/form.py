"""The visit form's vocabulary: outcomes, member presence, relationships, house-condition choices and photo
kinds, with Indonesian and English labels (DESIGN.md §2). The phones get it through the sync pull; the
push validates answers against the same lists, so the two can never disagree.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from server.review.catalog import REASONS
from server.types import Outcome, PhotoKind, Presence


def _choices(*pairs: tuple[str, str, str]) -> list[dict[str, str]]:
    return [{"code": code, "label_id": label_id, "label_en": label_en} for code, label_id, label_en in pairs]


OUTCOMES = _choices(
    (Outcome.FOUND, "Ditemukan", "Found"),
    (Outcome.NOT_FOUND, "Tidak ditemukan", "Not found"),
    (Outcome.MOVED_WITHIN, "Pindah (dalam kota)", "Moved (within the city)"),
    (Outcome.MOVED_OUTSIDE, "Pindah (luar kota)", "Moved (outside the city)"),
    (Outcome.DECEASED, "Semua anggota meninggal", "All members deceased"),
    (Outcome.DUPLICATE, "Data ganda", "Duplicate record"),
    (Outcome.MERGED, "Bergabung dengan keluarga lain", "Merged into another household"),
    (Outcome.REFUSED, "Menolak", "Refused"),
    (Outcome.BUILDING_GONE, "Bangunan tidak ada", "Building gone"),
)
# What an enumerator can say about a member at the door (NO_DOCUMENTS and DUPLICATE are office findings).
VISIT_PRESENCE = _choices(
    (Presence.PRESENT, "Ada", "Present"),
    (Presence.MOVED, "Pindah", "Moved"),
    (Presence.DECEASED, "Meninggal", "Deceased"),
    (Presence.NOT_FOUND, "Tidak ditemukan", "Not found"),
    (Presence.NEW, "Anggota baru", "New member"),
)
RELATIONSHIPS = [
    {"code": code, "label_id": label_id, "label_en": label_en}
    for code, label_id, label_en in (
        (1, "Kepala keluarga", "Head of family"),
        (2, "Istri/suami", "Spouse"),
        (3, "Anak", "Child"),
        (4, "Menantu", "Child-in-law"),
        (5, "Cucu", "Grandchild"),
        (6, "Orang tua/mertua", "Parent/in-law"),
        (7, "Pembantu rumah tangga", "Household help"),
        (8, "Lainnya", "Other"),
    )
]
HOUSE_CONDITION: dict[str, list[dict[str, str]]] = {
    "ownership": _choices(
        ("own", "Milik sendiri", "Own"),
        ("rent", "Sewa/kontrak", "Rent"),
        ("rent_free", "Bebas sewa", "Rent-free"),
        ("official", "Dinas", "Official housing"),
        ("other", "Lainnya", "Other"),
    ),
    "floor": _choices(
        ("ceramic", "Keramik", "Ceramic"),
        ("cement", "Semen/plester", "Cement"),
        ("wood", "Kayu/papan", "Wood"),
        ("bamboo", "Bambu", "Bamboo"),
        ("earth", "Tanah", "Earth"),
    ),
    "wall": _choices(
        ("brick", "Tembok", "Brick"),
        ("wood", "Kayu/papan", "Wood"),
        ("bamboo", "Bambu/anyaman", "Bamboo"),
        ("other", "Lainnya", "Other"),
    ),
    "roof": _choices(
        ("tile", "Genteng", "Tile"),
        ("metal", "Seng/asbes", "Metal/asbestos"),
        ("wood", "Kayu/sirap", "Wood"),
        ("thatch", "Rumbia/ijuk", "Thatch"),
    ),
    "water": _choices(
        ("piped", "Air ledeng (PDAM)", "Piped (PDAM)"),
        ("bottled", "Air kemasan/isi ulang", "Bottled/refill"),
        ("well", "Sumur", "Well"),
        ("river", "Sungai/mata air", "River/spring"),
        ("rain", "Air hujan", "Rain water"),
    ),
    "lighting": _choices(
        ("pln_450", "PLN 450 VA", "PLN 450 VA"),
        ("pln_900", "PLN 900 VA", "PLN 900 VA"),
        ("pln_1300_plus", "PLN ≥1300 VA", "PLN ≥1300 VA"),
        ("pln_no_meter", "PLN tanpa meteran", "PLN without meter"),
        ("non_pln", "Non-PLN", "Non-PLN"),
        ("none", "Tidak ada", "None"),
    ),
    "cooking_fuel": _choices(
        ("lpg_3kg", "Elpiji 3 kg", "LPG 3 kg"),
        ("lpg_large", "Elpiji 5.5 kg ke atas", "LPG 5.5 kg or more"),
        ("electric", "Listrik", "Electric"),
        ("kerosene", "Minyak tanah", "Kerosene"),
        ("wood", "Kayu bakar", "Firewood"),
        ("none", "Tidak memasak", "No cooking"),
    ),
    "toilet": _choices(
        ("own", "Sendiri", "Own"),
        ("shared", "Bersama", "Shared"),
        ("public", "Umum", "Public"),
        ("none", "Tidak ada", "None"),
    ),
}
PHOTO_KINDS = _choices(
    (PhotoKind.HOUSE_FRONT, "Tampak depan rumah", "House front"),
    (PhotoKind.LIVING_ROOM, "Ruang tamu", "Living room"),
    (PhotoKind.KITCHEN, "Dapur", "Kitchen"),
    (PhotoKind.BATHROOM, "Kamar mandi", "Bathroom"),
    (PhotoKind.FAMILY_CARD, "Kartu keluarga", "Family card"),
    (PhotoKind.OTHER, "Lainnya", "Other"),
)
# Numeric house-condition answers and their plausible range.
HOUSE_NUMBERS = {"floor_area": (1.0, 2000.0)}


def form_reference(programs: list[dict[str, Any]]) -> dict[str, Any]:
    """Everything the phone's form needs, with a `schema_version` that changes whenever any of it does."""
    reference = {
        "programs": programs,
        "outcomes": OUTCOMES,
        "relationships": RELATIONSHIPS,
        "presence": VISIT_PRESENCE,
        "house_condition": HOUSE_CONDITION,
        "photo_kinds": PHOTO_KINDS,
        "review_reasons": [
            {"code": reason["code"], "label_id": reason["label_id"], "label_en": reason["label_en"]}
            for reason in REASONS
        ],
    }
    digest = hashlib.sha256(json.dumps(reference, sort_keys=True, default=str).encode()).hexdigest()
    return {"schema_version": digest[:16], **reference}
