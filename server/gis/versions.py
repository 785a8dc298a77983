"""Data versions of the map, one per kecamatan, and the freshness of the cached household facts.

A kecamatan's version changes with any committed change to its households, visits or boundaries, with
any aid receipt change (one shared counter): see `queries.kecamatan_versions`, and when the refresh job
has computed new analytics figures for its kelurahan (`server.analytics.service.figure_versions`).
Versions are read at most every TILE_VERSION_TTL_S seconds per process, in the background after the first
read. Tile URLs carry them (server/gis/tiles.py); the household facts
cache (`map_household_facts`) is recomputed for a kecamatan whose version moved, before a tile, an OGC page
or an export reads it.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Iterable
from typing import Any

from flask import current_app

from server.analytics.service import figure_versions
from server.auth.access import Actor, within
from server.gis import queries

_lock = threading.Lock()
# Per database (a test process serves several): {"at", "value", "refreshing"}.
_states: dict[str, dict[str, Any]] = {}


def _state() -> dict[str, Any]:
    key = str(current_app.config.get("SQLALCHEMY_DATABASE_URI"))
    with _lock:
        return _states.setdefault(key, {"at": 0.0, "value": None, "refreshing": False})


def _compute() -> dict[str, str]:
    figures = figure_versions()
    return {
        code: hashlib.sha1("|".join((*parts, figures.get(code, ""))).encode()).hexdigest()[:12]
        for code, parts in queries.kecamatan_versions().items()
    }


def _refresh_in_background(app, state: dict[str, Any]) -> None:
    try:
        with app.app_context():
            try:
                value = _compute()
            finally:
                from server.extensions import db

                db.session.remove()
        with _lock:
            state.update(at=time.monotonic(), value=value)
    finally:
        with _lock:
            state["refreshing"] = False


def kecamatan_versions() -> dict[str, str]:
    """{kecamatan code: short version}. The first read computes them (~20-100 ms for a city); later reads
    get the last value and, once it is older than TILE_VERSION_TTL_S, start one refresh in a background
    thread, so a cached tile never waits for it. TTL 0 (tests): computed on every read."""
    ttl = float(current_app.config.get("TILE_VERSION_TTL_S", 2.0))
    now = time.monotonic()
    state = _state()
    with _lock:
        value, age = state["value"], now - state["at"]
        if value is not None and age < ttl:
            return value
        background = value is not None and ttl > 0
        if background and state["refreshing"]:
            return value
        if background:
            state["refreshing"] = True
    if background:
        app = current_app._get_current_object()
        threading.Thread(target=_refresh_in_background, args=(app, state), daemon=True).start()
        return value
    value = _compute()
    with _lock:
        state.update(at=now, value=value)
    return value


def forget() -> None:
    with _lock:
        _states.clear()


def overlaps(kecamatan: str, codes: Iterable[str]) -> bool:
    return any(within(kecamatan, [code]) or within(code, [kecamatan]) for code in codes)


def kecamatan_for(actor: Actor | None, region: str | None) -> list[str]:
    """The kecamatan whose data a request about `region` (None: the whole area) by `actor` may touch."""
    codes = sorted(kecamatan_versions())
    if region:
        codes = [code for code in codes if overlaps(code, [region])]
    if actor is not None and not actor.is_admin:
        codes = [code for code in codes if overlaps(code, actor.region_codes)]
    return codes


def fresh_facts(kecamatan: Iterable[str]) -> int:
    """Recompute the cached household facts of the kecamatan whose version moved; how many were recomputed.
    In code order, so two requests refreshing overlapping sets never wait on each other in a cycle."""
    versions = kecamatan_versions()
    stored = queries.fact_versions()
    refreshed = 0
    for code in sorted(set(kecamatan)):
        if code in versions and stored.get(code) != versions[code]:
            refreshed += queries.refresh_facts(kecamatan=code, version=versions[code])
    return refreshed
