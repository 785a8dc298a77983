"""Figures the workspace computes over every visit of an area (the Beranda's aggregates) are kept a short
while per area, filter and process: a reload is then instant, and the page says how fresh they are. A page
that has just changed the numbers (a decision) forgets them. (The review queue's facet counts are not cached:
the database keeps them current, `visit_tally`.)"""

from __future__ import annotations

import time
from collections.abc import Callable, Hashable
from typing import Any

from server.auth.access import Actor

_caches: list[AreaCache] = []


class AreaCache:
    def __init__(self, seconds: float, size: int = 500):
        self.seconds = seconds
        self.size = size
        self._entries: dict[tuple, tuple[float, Any]] = {}
        _caches.append(self)

    def get(self, actor: Actor, key: Hashable, compute: Callable[[], Any]) -> Any:
        """The figures for the actor's area and `key`, computed again when older than `seconds`."""
        full = ("all" if actor.is_admin else tuple(sorted(actor.region_codes)), key)
        now = time.monotonic()
        cached = self._entries.get(full)
        if cached and cached[0] > now:
            return cached[1]
        value = compute()
        if len(self._entries) >= self.size:
            self._entries.clear()
        self._entries[full] = (now + self.seconds, value)
        return value

    def clear(self) -> None:
        self._entries.clear()


def forget_all() -> None:
    """Drop every cached figure (tests; a page that has just changed the numbers)."""
    for cache in _caches:
        cache.clear()
