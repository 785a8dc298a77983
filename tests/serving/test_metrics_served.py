"""Through 4 gunicorn workers, /metrics is the whole server's: every worker's counters summed, whichever
worker answers the scrape (prometheus_client's multiprocess mode, set up by gunicorn.conf.py)."""

from __future__ import annotations

import re

import requests

from tests.serving.conftest import login, visit


def _count(text: str, pattern: str) -> float:
    return sum(float(value) for value in re.findall(pattern, text, re.MULTILINE))


def test_metrics_sum_every_worker(served):
    health = r'^verval_http_requests_total\{method="GET",route="/api/v1/health",status="200"\} (\S+)$'
    created = r'^verval_sync_push_items_total\{status="(?:created|accepted_with_conflict)"\} (\S+)$'
    before = requests.get(f"{served.url}/metrics", timeout=10).text
    for _ in range(40):
        assert requests.get(f"{served.url}/api/v1/health", timeout=10).status_code == 200
    token = login(served).json()["data"]["access_token"]
    pushed = requests.post(
        f"{served.url}/api/v1/sync/push",
        json={"items": [visit(served), visit(served)]},
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    )
    assert pushed.status_code == 200
    for _ in range(3):  # any worker may answer: each must see the same sums
        after = requests.get(f"{served.url}/metrics", timeout=10).text
        assert _count(after, health) - _count(before, health) == 40
        assert _count(after, created) - _count(before, created) == 2
