"""Kelurahan polygons for the demo city: read from the bundled GeoJSON, sampled for points that lie well inside.

The boundaries (`server/regions/data/samarinda_kelurahan.geojson`, a copy of the shared reference data; see
its README) are simplified and not
topologically clean: neighbours overlap and leave sliver gaps a few metres wide. A point counts as inside
a kelurahan only when it is inside its ring *and* at least `inset_m` from every edge, so a point-in-polygon
lookup (PostGIS or any other) finds it in its own kelurahan and in no neighbour. Pure Python, no database:
the generator stays a function of its seed. Coordinates are projected to local metres (equirectangular
around Samarinda, good to well under 1 % at this size).
"""

from __future__ import annotations

import json
import math
import random
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path

# Equirectangular metres per degree around Samarinda (lat ≈ -0.5°).
M_PER_DEG_LAT = 110_574.0
M_PER_DEG_LON = 111_320.0 * math.cos(math.radians(-0.5))
CELL_M = 100.0


@dataclass
class Kelurahan:
    code: str
    kecamatan_code: str
    ring: list[tuple[float, float]]  # (x, y) metres, closed
    bbox: tuple[float, float, float, float]  # min x, min y, max x, max y
    area_m2: float

    def __post_init__(self) -> None:
        self._edges_near: dict[tuple[int, int], list] = {}
        self._cell_inside: dict[tuple[int, int], bool] = {}
        # Each edge is listed in every grid cell its box (grown by the largest inset used) touches, so
        # a point's distance to the boundary is measured against the few edges of its own cell.
        grow = 200.0
        for (x1, y1), (x2, y2) in pairwise(self.ring):
            for i in range(int((min(x1, x2) - grow) // CELL_M), int((max(x1, x2) + grow) // CELL_M) + 1):
                for j in range(int((min(y1, y2) - grow) // CELL_M), int((max(y1, y2) + grow) // CELL_M) + 1):
                    self._edges_near.setdefault((i, j), []).append((x1, y1, x2, y2))

    def contains(self, x: float, y: float, inset_m: float = 0.0) -> bool:
        """Inside the ring and at least `inset_m` (at most 200 m) from its boundary."""
        min_x, min_y, max_x, max_y = self.bbox
        if not (min_x + inset_m <= x <= max_x - inset_m and min_y + inset_m <= y <= max_y - inset_m):
            return False
        cell = (int(x // CELL_M), int(y // CELL_M))
        edges = self._edges_near.get(cell)
        if edges is None:
            # No boundary within 200 m of this cell: the whole cell lies on one side of it.
            inside = self._cell_inside.get(cell)
            if inside is None:
                inside = self._cell_inside[cell] = self._ray_cast((cell[0] + 0.5) * CELL_M, (cell[1] + 0.5) * CELL_M)
            return inside
        limit = inset_m * inset_m
        for x1, y1, x2, y2 in edges:
            dx, dy = x2 - x1, y2 - y1
            length = dx * dx + dy * dy
            t = 0.0 if length == 0 else max(0.0, min(1.0, ((x - x1) * dx + (y - y1) * dy) / length))
            ex, ey = x1 + t * dx - x, y1 + t * dy - y
            if ex * ex + ey * ey < limit:
                return False
        return self._ray_cast(x, y)

    def _ray_cast(self, x: float, y: float) -> bool:
        ring, inside = self.ring, False
        for (x1, y1), (x2, y2) in pairwise(ring):
            if (y1 > y) != (y2 > y) and x < x1 + (y - y1) * (x2 - x1) / (y2 - y1):
                inside = not inside
        return inside

    def uniform_point(self, rng: random.Random, inset_m: float, tries: int = 200) -> tuple[float, float] | None:
        min_x, min_y, max_x, max_y = self.bbox
        for _ in range(tries):
            x, y = rng.uniform(min_x, max_x), rng.uniform(min_y, max_y)
            if self.contains(x, y, inset_m):
                return x, y
        return None


def to_metres(lon: float, lat: float) -> tuple[float, float]:
    return lon * M_PER_DEG_LON, lat * M_PER_DEG_LAT


def to_degrees(x: float, y: float) -> tuple[float, float]:
    """(lon, lat) rounded to 6 decimals (about 0.1 m), as the registry stores them."""
    return round(x / M_PER_DEG_LON, 6), round(y / M_PER_DEG_LAT, 6)


def load_kelurahan(path: str | Path) -> dict[str, Kelurahan]:
    """Kelurahan code → polygon, from a FeatureCollection of Polygons with `code` and `kecamatan_code`."""
    with open(path, encoding="utf-8") as handle:
        collection = json.load(handle)
    result = {}
    for feature in collection["features"]:
        geometry, properties = feature["geometry"], feature["properties"]
        if geometry["type"] != "Polygon":
            raise ValueError(f"{properties['code']}: expected a Polygon, got {geometry['type']}")
        ring = [to_metres(lon, lat) for lon, lat in geometry["coordinates"][0]]
        if ring[0] != ring[-1]:
            ring.append(ring[0])
        xs, ys = [x for x, _ in ring], [y for _, y in ring]
        area = abs(sum(x1 * y2 - x2 * y1 for (x1, y1), (x2, y2) in pairwise(ring))) / 2
        result[properties["code"]] = Kelurahan(
            code=properties["code"],
            kecamatan_code=properties["kecamatan_code"],
            ring=ring,
            bbox=(min(xs), min(ys), max(xs), max(ys)),
            area_m2=area,
        )
    return result


class Settlements:
    """Where a kelurahan's people live: a few settlement centres, households scattered around them.

    Samarinda's big kelurahan (Palaran, Samarinda Utara) are mostly forest and plantation with people in a
    few kampung along roads and the river; the small central ones are built up throughout. So each kelurahan
    gets 2-12 centres (more for bigger ones) and a spread that grows with its size; one household in six
    lies anywhere in the kelurahan.
    """

    INSET_M = 30.0

    def __init__(self, kelurahan: Kelurahan, rng: random.Random) -> None:
        self.kelurahan = kelurahan
        area_km2 = kelurahan.area_m2 / 1e6
        count = max(2, min(12, round(2 * math.sqrt(area_km2))))
        self.centres = []
        for _ in range(count):
            centre = kelurahan.uniform_point(rng, 150.0) or kelurahan.uniform_point(rng, self.INSET_M)
            if centre is not None:
                self.centres.append(centre)
        if not self.centres:
            raise ValueError(f"{kelurahan.code}: no point {self.INSET_M} m inside the polygon")
        self.weights = [rng.uniform(1, 4) for _ in self.centres]
        self.spread_m = max(80.0, min(700.0, 0.18 * math.sqrt(kelurahan.area_m2 / len(self.centres))))

    def place(self, rng: random.Random) -> tuple[float, float]:
        """A household's position (x, y metres), at least INSET_M inside the kelurahan."""
        if rng.random() < 1 / 6:
            point = self.kelurahan.uniform_point(rng, self.INSET_M, tries=50)
            if point is not None:
                return point
        centre = rng.choices(self.centres, self.weights)[0]
        for _ in range(30):
            x, y = centre[0] + rng.gauss(0, self.spread_m), centre[1] + rng.gauss(0, self.spread_m)
            if self.kelurahan.contains(x, y, self.INSET_M):
                return x, y
        return centre
