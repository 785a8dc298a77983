"""The map page's basemap. None by default: the office network may be closed, and the page never loads a
third-party map service at run time. An administrator chooses one of two settings (environment or config):

- `MAP_BASEMAP_PMTILES`: the path of a raster PMTiles file (one file holding a whole tile pyramid, e.g. cut
  from an office orthophoto with `pmtiles convert`); this server serves it to the workspace's users at
  /staff/peta/latar.pmtiles with HTTP range requests, and the map reads it through the pmtiles protocol.
- `MAP_BASEMAP_STYLE`: the URL of a MapLibre style JSON (its sources and layers go under ours), or a raster
  tile URL template with {z}/{x}/{y}, on a tile server the office runs. A URL of another origin is added to
  the map page's Content-Security-Policy `connect-src`, on that page only.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from flask import current_app, url_for


def _setting(name: str) -> str | None:
    return current_app.config.get(name) or os.environ.get(name) or None


def pmtiles_file() -> Path | None:
    """The configured PMTiles file, if it exists."""
    path = _setting("MAP_BASEMAP_PMTILES")
    return Path(path) if path and Path(path).is_file() else None


def basemap_style() -> dict[str, Any] | None:
    """{"kind": "pmtiles" | "raster" | "style", "url": …} for the page's script, or None."""
    if pmtiles_file() is not None:
        return {"kind": "pmtiles", "url": url_for("staff_maps.basemap_file")}
    style = _setting("MAP_BASEMAP_STYLE")
    if not style:
        return None
    return {"kind": "raster" if "{z}" in style else "style", "url": style}


def basemap_origins() -> list[str]:
    """Origins other than ours that the configured style URL needs the page to reach."""
    style = _setting("MAP_BASEMAP_STYLE")
    if not style or pmtiles_file() is not None:
        return []
    parts = urlsplit(style)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return []
    return [f"{parts.scheme}://{parts.netloc}"]
