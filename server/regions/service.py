"""Loading the reference list of regions (Samarinda's kecamatan and kelurahan, Kemendagri codes) and their
boundaries: the bundled public dataset at start, an official file through `flask regions import-boundaries`.

The bundled polygons (server/regions/data/*.geojson, MIT, attribution in their `attribution` member and in
../shared/data/README.md) are approximate; an imported official boundary is never overwritten by them.
After any boundary change the households of the changed regions get their `outside_kelurahan` flag
recomputed (the rule lives in the database: migration 0011).
"""

from __future__ import annotations

import csv
import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from server.regions import queries

DATA = Path(__file__).parent / "data"
SAMARINDA_CSV = DATA / "samarinda_regions.csv"
BUNDLED_BOUNDARIES = (DATA / "samarinda_kecamatan.geojson", DATA / "samarinda_kelurahan.geojson")
# The CSV starts at the city; its parent province must exist for the foreign key.
PROVINCE = {
    "code": "64",
    "name": "Kalimantan Timur",
    "level": "provinsi",
    "parent_code": None,
    "lat": None,
    "lon": None,
}
# Field names an official file may use for the Kemendagri code, tried in this order.
CODE_FIELDS = ("code", "kode", "kode_wilayah", "kd_wilayah", "kode_kel", "kd_kel", "kdepum", "kode_kec")
DOTTED = re.compile(r"^\d{2}(\.\d{2}(\.\d{2}(\.\d{4})?)?)?$")
PLAIN = re.compile(r"^\d{2}(\d{2}(\d{2}(\d{4})?)?)?$")


def load_regions(path: Path = SAMARINDA_CSV, *, boundaries: tuple[Path, ...] = BUNDLED_BOUNDARIES) -> int:
    """Upsert the province and every region of the CSV, then the bundled boundaries; running it again
    changes nothing."""
    rows = [PROVINCE]
    with path.open(newline="", encoding="utf-8") as handle:
        for record in csv.DictReader(handle):
            rows.append(
                {
                    "code": record["code"].strip(),
                    "name": record["name"].strip(),
                    "level": record["level"].strip(),
                    "parent_code": record["parent_code"].strip() or None,
                    "lat": float(record["approx_lat"]) if record["approx_lat"].strip() else None,
                    "lon": float(record["approx_lon"]) if record["approx_lon"].strip() else None,
                }
            )
    count = queries.upsert_regions(rows=rows)
    for boundary_file in boundaries:
        load_bundled_boundaries(boundary_file)
    return count


def load_bundled_boundaries(path: Path) -> list[str]:
    """Load a bundled GeoJSON's polygons where no official boundary was imported; the codes that changed."""
    collection = json.loads(path.read_text(encoding="utf-8"))
    attribution = collection.get("attribution") or {}
    source = f"{queries.BUNDLED_PREFIX} {path.name} ({attribution.get('license', 'see data/README.md')})"
    existing = queries.boundary_sources()
    rows = [
        {"code": feature["properties"]["code"], "geojson": json.dumps(feature["geometry"])}
        for feature in collection["features"]
        if feature["properties"]["code"] in existing
        and (existing[feature["properties"]["code"]] or queries.BUNDLED_PREFIX).startswith(queries.BUNDLED_PREFIX)
    ]
    queries.stage_boundaries(rows=rows, srid=4326)
    changed = [row["code"] for row in queries.compare_staged() if row["change"] != "unchanged"]
    queries.apply_staged(codes=changed, source=source)
    queries.set_boundary_source(
        codes=[row["code"] for row in rows if existing.get(row["code"]) != source and row["code"] not in changed],
        source=source,
    )
    if changed:
        queries.refresh_outside_flags(region_codes=changed)
    return changed


class BoundaryImportError(Exception):
    """The file cannot be imported as it is; `problems` says why, per kind, with the codes concerned."""

    def __init__(self, problems: dict):
        super().__init__("; ".join(f"{kind}: {len(items)}" for kind, items in problems.items()))
        self.problems = problems


@dataclass
class BoundaryReport:
    source: str
    features: int
    new: list[dict] = field(default_factory=list)
    changed: list[dict] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    repaired: list[dict] = field(default_factory=list)
    households_flagged: int = 0
    households_unflagged: int = 0
    households_outside: int = 0


def normalise_code(value) -> str | None:
    """A Kemendagri code as stored (64.72.01.1001), from the dotted or the plain-digit form."""
    text = str(value).strip() if value is not None else ""
    if DOTTED.match(text):
        return text
    if PLAIN.match(text):
        parts = [text[0:2], text[2:4], text[4:6], text[6:10]]
        return ".".join(part for part in parts if part)
    return None


def read_boundary_file(path: Path, *, layer: str | None = None, code_field: str | None = None) -> tuple[list, int]:
    """(rows of code + WKB, SRID) from any vector file GDAL reads (GeoJSON, GeoPackage, Shapefile …)."""
    import pyogrio.raw

    meta, _fids, geometries, field_data = pyogrio.raw.read(str(path), layer=layer)[:4]
    names = [str(name) for name in meta["fields"]]
    lower = {name.lower(): index for index, name in enumerate(names)}
    wanted = [code_field.lower()] if code_field else list(CODE_FIELDS)
    index = next((lower[name] for name in wanted if name in lower), None)
    if index is None:
        raise BoundaryImportError({"code_field_missing": [{"looked_for": wanted, "fields": names}]})
    srid = _srid(meta.get("crs"))
    codes = field_data[index]
    return [{"raw_code": code, "wkb": geometry} for code, geometry in zip(codes, geometries, strict=True)], srid


def _srid(crs: str | None) -> int:
    if not crs:
        raise BoundaryImportError({"crs_missing": [{"hint": "the file declares no coordinate system"}]})
    match = re.match(r"^EPSG:(\d+)$", crs.strip(), re.IGNORECASE)
    if not match:
        raise BoundaryImportError({"crs_unsupported": [{"crs": crs[:200]}]})
    return int(match.group(1))


def import_boundaries(
    path: Path, *, layer: str | None = None, code_field: str | None = None, repair: bool = False
) -> BoundaryReport:
    """Check and load an official boundary file; raises BoundaryImportError (nothing written) when a code is
    unknown or repeated, a geometry is missing, not a polygon, invalid (unless `repair`) or not in Indonesia."""
    from server.audit.service import record

    rows, srid = read_boundary_file(path, layer=layer, code_field=code_field)
    known = queries.boundary_sources()
    problems: dict[str, list] = {}
    seen: set[str] = set()
    staged = []
    for row in rows:
        code = normalise_code(row["raw_code"])
        if code is None or code not in known:
            problems.setdefault("unknown_code", []).append({"code": str(row["raw_code"])[:40]})
        elif code in seen:
            problems.setdefault("duplicate_code", []).append({"code": code})
        elif row["wkb"] is None:
            problems.setdefault("no_geometry", []).append({"code": code})
        else:
            seen.add(code)
            staged.append({"code": code, "wkb": bytes(row["wkb"])})
    if problems:
        raise BoundaryImportError(problems)
    queries.stage_boundaries(rows=staged, srid=srid)
    geometry_problems = queries.staged_problems()
    repaired = []
    if repair and set(geometry_problems) == {"invalid"}:
        repaired = geometry_problems.pop("invalid")
        queries.repair_staged()
        geometry_problems = queries.staged_problems()
    if geometry_problems:
        raise BoundaryImportError(geometry_problems)

    digest = hashlib.sha256(path.read_bytes()).hexdigest()[:16]
    report = BoundaryReport(source=f"import: {path.name} sha256:{digest}", features=len(staged), repaired=repaired)
    for row in queries.compare_staged():
        if row["change"] == "new":
            report.new.append({"code": row["code"], "area_km2": float(row["area_after_km2"])})
        elif row["change"] == "changed":
            report.changed.append(
                {
                    "code": row["code"],
                    "area_before_km2": float(row["area_before_km2"]),
                    "area_after_km2": float(row["area_after_km2"]),
                    "max_shift_m": float(row["max_shift_m"]),
                }
            )
        else:
            report.unchanged.append(row["code"])
    written = [item["code"] for item in report.new + report.changed]
    queries.apply_staged(codes=written, source=report.source)
    # Unchanged geometry from an official file is official from now on: start-up loads leave it alone.
    queries.set_boundary_source(codes=report.unchanged, source=report.source)
    if written:
        flags = queries.refresh_outside_flags(region_codes=written)
        report.households_flagged, report.households_unflagged = flags["flagged"], flags["unflagged"]
    report.households_outside = queries.count_outside()
    record(
        "regions.boundaries_imported",
        object_type="regions",
        object_id=report.source,
        changes={
            "new": len(report.new),
            "changed": len(report.changed),
            "unchanged": len(report.unchanged),
            "repaired": len(report.repaired),
            "households_flagged": report.households_flagged,
            "households_unflagged": report.households_unflagged,
        },
    )
    return report
