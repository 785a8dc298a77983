"""The review page's small map of a visit: where the phone's GPS fix was (with its accuracy circle) and the
household's registered point. `drawing` lays both out on a local plane in metres for the server-drawn SVG
every browser shows (no WebGL, no script); `map_settings` is what the MapLibre island (pwa/staff/visitmap.js)
draws over it when WebGL is there."""

from __future__ import annotations

import math
from typing import Any

# Metres per degree of latitude; a degree of longitude is this times cos(latitude).
METRES_PER_DEGREE = 111_320
SIZE = 240  # the SVG's square viewBox, in its own units
MARGIN = 14
NICE = (1, 2, 5)


def _offset(lon: float, lat: float, origin: tuple[float, float]) -> tuple[float, float]:
    """Metres east and north of `origin` (an equirectangular plane: exact enough across a few kilometres)."""
    east = (lon - origin[0]) * METRES_PER_DEGREE * math.cos(math.radians(origin[1]))
    north = (lat - origin[1]) * METRES_PER_DEGREE
    return east, north


def _scale_bar(metres: float) -> int:
    """A round length (1, 2 or 5 times a power of ten) no longer than `metres`."""
    power = 10 ** math.floor(math.log10(max(metres, 1)))
    return max(step * power for step in NICE if step * power <= max(metres, 1))


def drawing(place: dict[str, Any]) -> dict[str, Any]:
    """SVG coordinates of the fix, its accuracy circle and the registered point, and a scale bar."""
    origin = (place["lon"], place["lat"])
    accuracy = float(place["accuracy_m"] or 0)
    home = None
    if place.get("home_lon") is not None:
        home = _offset(place["home_lon"], place["home_lat"], origin)
    # Half the width shown, in metres: both points and the whole circle, never closer than 25 m.
    reach = max(accuracy, math.hypot(*home) if home else 0, 25) * 1.15
    per_metre = (SIZE / 2 - MARGIN) / reach
    centre = SIZE / 2

    def at(east: float, north: float) -> dict[str, float]:
        return {"x": round(centre + east * per_metre, 1), "y": round(centre - north * per_metre, 1)}

    bar = _scale_bar(reach * 0.6)
    return {
        "size": SIZE,
        "visit": at(0, 0),
        "radius": round(accuracy * per_metre, 1),
        "home": at(*home) if home else None,
        "bar_m": bar,
        "bar_px": round(bar * per_metre, 1),
    }


def map_settings(place: dict[str, Any]) -> dict[str, Any]:
    return {
        "visit": [place["lon"], place["lat"]],
        "accuracy": float(place["accuracy_m"] or 0),
        "home": [place["home_lon"], place["home_lat"]] if place.get("home_lon") is not None else None,
    }
