"""The catalogue of a visit's quality flags, their thresholds and priority weights, and the review policy.

Data, not code paths: each flag has a weight in the review queue's priority score (`visits.priority`, the
sum of the weights of the flags a visit carries) and, where it compares a measurement, a threshold. A
campaign may override both, per flag, in its settings (`campaigns.settings`):

    {"flags": {"far_from_registered": {"threshold": 300}, "clock_skew": {"weight": 0}},
     "review_policy": {"mode": "hold_flagged", "clean_sample_percent": 10}}

A weight of 0 keeps the flag visible but gives it no priority. Whether a flag applies is decided by the
pure functions below from facts the push gathers set-based (one lookup per batch); photo flags are
recomputed when a photo's bytes arrive (`server/visits/photo_flags.py`). Missing data is "unknown" and
never raises a flag (a photo without a capture time has no time mismatch).
"""

from __future__ import annotations

import hashlib
import math
import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from typing import Any

WITA = timezone(timedelta(hours=8), "WITA")


@dataclass(frozen=True)
class Flag:
    code: str
    weight: int
    label_id: str
    label_en: str
    threshold: float | None = None
    unit: str | None = None
    # Conflicts (the visit stands beside other data) make the push answer `accepted_with_conflict`.
    conflict: bool = False


FLAGS: dict[str, Flag] = {
    flag.code: flag
    for flag in (
        Flag("stale_base_version", 30, "Data berubah sejak diunduh", "Household changed since download", conflict=True),
        Flag("second_visit", 20, "Kunjungan kedua", "Second visit of the household", conflict=True),
        Flag("far_from_registered", 40, "Jauh dari titik terdaftar", "Far from the registered point", 150, "m"),
        Flag("poor_accuracy", 15, "Akurasi GPS rendah", "Poor GPS accuracy", 50, "m"),
        Flag("no_fix", 25, "Tanpa GPS", "No GPS fix"),
        Flag("clock_skew", 10, "Jam ponsel menyimpang", "Phone clock off", 15 * 60, "s"),
        Flag("status_change", 35, "Status berubah", "Outcome other than found"),
        Flag("member_changes", 15, "Perubahan anggota", "Member changes"),
        Flag("aid_mismatch", 20, "Bantuan tidak sesuai catatan", "Aid reported differs from records"),
        Flag("nik_elsewhere", 30, "NIK terdaftar di keluarga lain", "NIK listed in another household"),
        Flag("photos_missing", 10, "Foto belum masuk", "Photos not yet received"),
        Flag("photo_mismatch", 30, "Foto tidak cocok", "Photo time or place differs from the visit", 250, "m"),
        # The kelurahan's musyawarah round is locked (berita acara signed): stored, never refused, for a
        # later round or an admin's unlock (server/musyawarah/).
        Flag("after_lock", 40, "Sesudah musyawarah dikunci", "Sent after the kelurahan's musyawarah was locked"),
    )
}
CONFLICT_FLAGS = frozenset(code for code, flag in FLAGS.items() if flag.conflict)

HOLD_ALL, HOLD_FLAGGED = "hold_all", "hold_flagged"
REVIEW_POLICY_MODES = (HOLD_ALL, HOLD_FLAGGED)
DEFAULT_POLICY = {"mode": HOLD_ALL, "clean_sample_percent": 0}


@dataclass(frozen=True)
class Rules:
    """The catalogue as one campaign sees it (its overrides applied)."""

    weights: dict[str, int]
    thresholds: dict[str, float | None]
    policy_mode: str
    clean_sample_percent: float

    def priority(self, flags: list[str]) -> int:
        return sum(self.weights.get(code, 0) for code in flags)


def rules_for(settings: dict[str, Any] | None) -> Rules:
    """The catalogue with a campaign's overrides (`settings` as stored; None or {} = the defaults)."""
    settings = settings or {}
    overrides = settings.get("flags") or {}
    weights, thresholds = {}, {}
    for code, flag in FLAGS.items():
        override = overrides.get(code) or {}
        weights[code] = int(override.get("weight", flag.weight))
        thresholds[code] = override.get("threshold", flag.threshold)
    policy = {**DEFAULT_POLICY, **(settings.get("review_policy") or {})}
    return Rules(weights, thresholds, policy["mode"], float(policy["clean_sample_percent"] or 0))


def catalogue() -> list[dict[str, Any]]:
    """The flags as data for clients (review screens, campaign settings forms)."""
    return [
        {
            "code": flag.code,
            "label_id": flag.label_id,
            "label_en": flag.label_en,
            "weight": flag.weight,
            "threshold": flag.threshold,
            "unit": flag.unit,
            "conflict": flag.conflict,
        }
        for flag in FLAGS.values()
    ]


# --- the facts → flags rules ---------------------------------------------------------------------------


def distance_m(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """Great-circle distance in metres (haversine, mean Earth radius)."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dphi, dlmb = phi2 - phi1, math.radians(lon2 - lon1)
    a = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlmb / 2) ** 2
    return 2 * 6_371_008.8 * math.asin(min(1.0, math.sqrt(a)))


def quality_flags(
    rules: Rules,
    *,
    data: dict[str, Any],
    skew_s: float | None,
    registered: tuple[float, float] | None,
    aid_on_record: set[str] | None,
    nik_elsewhere: bool,
    photos_missing: bool,
    after_lock: bool = False,
) -> list[str]:
    """The push-time quality flags of one validated visit item (in catalogue order).

    `registered`: the household's registered (lon, lat), None when it has none (unknown, no distance flag);
    `aid_on_record`: program codes with a receipt covering the visit's day, None for a field proposal;
    `after_lock`: the household's kelurahan has a locked musyawarah round.
    """
    gps, found = data["gps"], data["outcome"] == "found"
    fixed = not gps.get("no_fix")
    raised = set()
    if not fixed:
        raised.add("no_fix")
    else:
        if gps["accuracy_m"] > rules.thresholds["poor_accuracy"]:
            raised.add("poor_accuracy")
        if registered is not None and (
            distance_m(gps["lon"], gps["lat"], *registered) > rules.thresholds["far_from_registered"]
        ):
            raised.add("far_from_registered")
    if skew_s is not None and abs(skew_s) > rules.thresholds["clock_skew"]:
        raised.add("clock_skew")
    if not found:
        raised.add("status_change")
    if found and any(member["presence"] != "present" for member in data["members"]):
        raised.add("member_changes")
    if found and aid_on_record is not None and set(data["aid_reported"]) != aid_on_record:
        raised.add("aid_mismatch")
    if nik_elsewhere:
        raised.add("nik_elsewhere")
    if photos_missing:
        raised.add("photos_missing")
    if after_lock:
        raised.add("after_lock")
    return [code for code in FLAGS if code in raised]


def visit_day(device_time: datetime, utc_offset_min: int | None) -> date:
    """The visit's calendar day where it was made (the phone's own offset, else Samarinda's WITA)."""
    zone = WITA if utc_offset_min is None else timezone(timedelta(minutes=utc_offset_min))
    return device_time.astimezone(zone).date()


def photo_mismatch(
    rules: Rules,
    *,
    visit_day_: date,
    visit_fix: tuple[float, float] | None,
    taken_at: datetime | None,
    taken_where: tuple[float, float] | None,
    utc_offset_min: int | None,
) -> bool:
    """A photo taken on another day than the visit, or farther from the visit's fix than the threshold.

    `taken_at`: the app's capture time, else EXIF's (zone-less EXIF is read as WITA when extracted);
    `taken_where`: the app's capture fix, else EXIF GPS. Unknown (None) never mismatches."""
    if taken_at is not None and visit_day(taken_at, utc_offset_min) != visit_day_:
        return True
    if taken_where is not None and visit_fix is not None:
        return distance_m(*taken_where, *visit_fix) > rules.thresholds["photo_mismatch"]
    return False


def held_in_sample(visit_id: uuid.UUID, percent: float) -> bool:
    """Whether a clean visit is drawn into the random sample held for review: a uniform draw derived from
    the visit's id, so the decision is the same on every replay and every server."""
    if percent <= 0:
        return False
    draw = int.from_bytes(hashlib.sha256(visit_id.bytes).digest()[:8], "big") / 2**64
    return draw * 100 < percent
