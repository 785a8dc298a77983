"""The staff workspace's built assets: Vite writes them (pwa/vite.staff.config.js) with content-hashed names
under pwa/dist/staff/assets and a manifest naming them; pages link them through `staff_assets()`."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from flask import Response
from werkzeug.security import safe_join

from server.errors import NOT_FOUND, AppError

ENTRY = "staff/main.js"


@dataclass(frozen=True)
class Assets:
    js: str
    css: tuple[str, ...]


def staff_dist() -> Path:
    from server.pwa.routes import dist_dir

    return dist_dir() / "staff"


@lru_cache(maxsize=4)
def _read(manifest: Path, mtime: float) -> Assets:
    entry = json.loads(manifest.read_text())[ENTRY]
    return Assets(js=f"/staff/{entry['file']}", css=tuple(f"/staff/{name}" for name in entry.get("css", ())))


def staff_assets() -> Assets:
    manifest = staff_dist() / ".vite" / "manifest.json"
    if not manifest.is_file():
        raise AppError(NOT_FOUND, "Halaman staf belum dibangun (make pwa) / The staff pages are not built (make pwa)")
    return _read(manifest, manifest.stat().st_mtime)


def send_asset(path: str) -> Response:
    """A file of the staff build, with the PWA's compression and immutable caching (names carry a hash)."""
    from server.pwa.routes import _send

    full = safe_join(str(staff_dist() / "assets"), path)
    if full is None or not Path(full).is_file():
        raise AppError(NOT_FOUND)
    return _send(f"staff/assets/{path}")
