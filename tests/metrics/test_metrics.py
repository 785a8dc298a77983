"""`/metrics` (issue 20): Prometheus text with request counts and latency by route template, push items by
status and the review queue from the database; refused through the proxy and from outside addresses."""

from __future__ import annotations

import re

from tests.factories import make_user


def _value(text: str, name: str, **labels: str) -> float:
    wanted = ",".join(f'{key}="{value}"' for key, value in labels.items())
    pattern = rf"^{re.escape(name)}\{{{re.escape(wanted)}\}} (\S+)$" if labels else rf"^{re.escape(name)} (\S+)$"
    found = re.search(pattern, text, re.MULTILINE)
    return float(found.group(1)) if found else 0.0


def test_metrics_count_requests_by_route_template_and_read_the_queue(client, auth_headers):
    admin = make_user("admin")
    before = client.get("/metrics").get_data(as_text=True)
    client.get("/api/v1/health")
    client.get("/api/v1/households/00000000-0000-4000-8000-000000000000", headers=auth_headers(admin))
    after = client.get("/metrics")
    assert after.status_code == 200
    assert after.mimetype == "text/plain"
    text = after.get_data(as_text=True)
    health = {"method": "GET", "route": "/api/v1/health", "status": "200"}
    assert (
        _value(text, "verval_http_requests_total", **health)
        == _value(before, "verval_http_requests_total", **health) + 1
    )
    assert "00000000-0000-4000-8000-000000000000" not in text  # templates, never concrete paths
    assert 'route="/api/v1/households/<uuid:household_id>"' in text
    assert "verval_http_request_duration_seconds_bucket" in text
    assert re.search(r"^verval_reviews_pending \d", text, re.MULTILINE)
    assert re.search(r"^verval_jobs_queued \d", text, re.MULTILINE)


def test_metrics_are_not_for_the_outside(client):
    assert client.get("/metrics", headers={"X-Forwarded-For": "10.0.0.5"}).status_code == 404
    assert client.get("/metrics", environ_base={"REMOTE_ADDR": "203.0.113.9"}).status_code == 404
    assert client.get("/metrics", environ_base={"REMOTE_ADDR": "172.18.0.7"}).status_code == 200  # compose network
