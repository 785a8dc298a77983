"""Loading the reference list of regions (Samarinda's kecamatan and kelurahan, Kemendagri codes)."""

from __future__ import annotations

import csv
from pathlib import Path

from server.regions import queries

SAMARINDA_CSV = Path(__file__).parent / "data" / "samarinda_regions.csv"
# The CSV starts at the city; its parent province must exist for the foreign key.
PROVINCE = {
    "code": "64",
    "name": "Kalimantan Timur",
    "level": "provinsi",
    "parent_code": None,
    "lat": None,
    "lon": None,
}


def load_regions(path: Path = SAMARINDA_CSV) -> int:
    """Upsert the province and every region of the CSV; running it again changes nothing."""
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
    return queries.upsert_regions(rows=rows)
