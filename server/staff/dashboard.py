"""The Beranda dashboard: what a supervisor looks at first, assembled from server/staff/queries.py."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from server.auth.access import Actor
from server.households import queries as household_queries
from server.staff import queries
from server.staff.cache import AreaCache, forget_all
from server.visits.flags import FLAGS
from server.visits.form import OUTCOMES

# A phone not seen for longer than this is shown as a warning.
STALE_AFTER = timedelta(days=2)


# The dashboard's figures are aggregates over every visit of the area: computed at most once a minute per
# area and process, and the page says when (a supervisor's reload is then instant, bench/README.md).
CACHE_SECONDS = 60
_cache = AreaCache(CACHE_SECONDS)


def overview(actor: Actor, kecamatan: str | None = None) -> dict[str, Any]:
    return _cache.get(actor, kecamatan, lambda: _compute(actor, kecamatan))


def forget() -> None:
    """Drop every cached figure (tests; a page that has just changed the numbers)."""
    forget_all()


# What the field found, shown even at 0 (the found, moved, deceased, not found, duplicate); the other
# outcomes only once they occur.
ALWAYS_SHOWN = frozenset({"found", "not_found", "moved_within", "moved_outside", "deceased", "duplicate"})


def _compute(actor: Actor, kecamatan: str | None) -> dict[str, Any]:
    queries.without_jit()
    everything = household_queries.scope_covers_everything(actor)
    areas, enumerators = queries.progress(
        actor=actor, group="kelurahan" if kecamatan else "kecamatan", within=kecamatan
    )
    found = queries.findings(actor=actor, everything=everything)
    per_day = queries.visits_per_day(actor=actor, everything=everything)
    now = datetime.now(UTC)
    phones = queries.phones(actor=actor)
    for phone in phones:
        seen = phone["last_seen_at"]
        phone["stale"] = seen is None or now - seen > STALE_AFTER
    quality = queries.quality(actor=actor, everything=everything)
    for row in quality:
        row["rejection_rate"] = row["rejected"] / row["decided"] if row["decided"] else None
        row["far_share"] = row["far"] / row["visits"] if row["visits"] else None
    return {
        "kecamatan": kecamatan,
        "areas": areas,
        "totals": _totals(areas),
        "enumerators": enumerators,
        "phones": phones,
        "findings": [
            {**outcome, "households": found["outcomes"].get(outcome["code"], 0)}
            for outcome in OUTCOMES
            if found["outcomes"].get(outcome["code"]) or outcome["code"] in ALWAYS_SHOWN
        ],
        "found": found["outcomes"].get("found", 0),
        "households": found["households"],
        "chart": _chart(per_day, today=now.astimezone().date()),
        "quality": quality,
        "far_metres": round(FLAGS["far_from_registered"].threshold),
        "computed_at": now,
    }


def _totals(rows: list[dict[str, Any]]) -> dict[str, int]:
    keys = ("assigned", "visited", "pending", "approved", "rejected", "revisit")
    return {key: sum(row[key] for row in rows) for key in keys}


def _chart(rows: list[dict[str, Any]], *, today: date, days: int = 30) -> dict[str, Any]:
    """Bars for the last `days` days (days without visits included), scaled for an SVG 600x160."""
    counts = {row["day"]: row["visits"] for row in rows}
    series = [(today - timedelta(days=offset), 0) for offset in range(days - 1, -1, -1)]
    series = [(day, counts.get(day, 0)) for day, _ in series]
    top = max((count for _, count in series), default=0) or 1
    width = 600 / days
    bars = [
        {
            "day": day,
            "visits": count,
            "x": round(index * width + 1, 1),
            "width": round(width - 2, 1),
            "height": round(count / top * 130, 1),
            "y": round(140 - count / top * 130, 1),
        }
        for index, (day, count) in enumerate(series)
    ]
    return {"bars": bars, "top": top, "total": sum(count for _, count in series)}
