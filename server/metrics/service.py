"""What is counted and how it is exposed.

Counted in the processes (prometheus_client): HTTP requests by route and status, their latency, sync push
items by result status, completed photo uploads. gunicorn runs several worker processes: gunicorn.conf.py
gives them one PROMETHEUS_MULTIPROC_DIR (fresh at each start) and the scrape sums every worker's files,
so whichever worker answers, the numbers are the server's. Without that variable (tests, flask CLI) the
process's own registry is used.

Read from the database at scrape time (shared by nature): visits pending review, jobs queued and running.
Labels are route templates (`/api/v1/households/<uuid:household_id>`), never concrete paths, so the
number of series stays bounded and no id or NIK becomes a label.
"""

from __future__ import annotations

import os
import time

import sqlalchemy as sa
from flask import Flask, g, request
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest, multiprocess

from server.extensions import db

REQUESTS = Counter("verval_http_requests_total", "HTTP requests answered", ["method", "route", "status"])
LATENCY = Histogram(
    "verval_http_request_duration_seconds",
    "Time from the request reaching the app to its answer",
    ["route"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
PUSH_ITEMS = Counter("verval_sync_push_items_total", "Visits pushed by phones, by result", ["status"])
PHOTO_UPLOADS = Counter("verval_photo_uploads_total", "Photo uploads completed (bytes verified and stored)")

FROM_DATABASE = {
    "verval_reviews_pending": (
        "Visits waiting for a reviewer",
        "SELECT count(*) FROM visits WHERE review_status = 'pending'",
    ),
    "verval_jobs_queued": ("Background jobs waiting for a worker", "SELECT count(*) FROM jobs WHERE state = 'queued'"),
    "verval_jobs_running": ("Background jobs running", "SELECT count(*) FROM jobs WHERE state = 'running'"),
}


def register_request_metrics(app: Flask) -> None:
    @app.before_request
    def _start_clock() -> None:
        g.metrics_started = time.perf_counter()

    @app.after_request
    def _count(response):
        started = g.pop("metrics_started", None)
        if started is not None and request.path != "/metrics":
            route = request.url_rule.rule if request.url_rule is not None else "unmatched"
            REQUESTS.labels(request.method, route, str(response.status_code)).inc()
            LATENCY.labels(route).observe(time.perf_counter() - started)
        return response


def count_push_results(results: list[dict]) -> None:
    for result in results:
        PUSH_ITEMS.labels(result.get("status", "unknown")).inc()


def count_photo_upload() -> None:
    PHOTO_UPLOADS.inc()


def exposition() -> bytes:
    """The metrics in Prometheus text format: the processes' counters plus the database's gauges."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        counted = generate_latest(registry)
    else:
        from prometheus_client import REGISTRY

        counted = generate_latest(REGISTRY)
    gauges = CollectorRegistry()
    with db.engine.connect() as connection:
        for name, (description, query) in FROM_DATABASE.items():
            Gauge(name, description, registry=gauges).set(connection.execute(sa.text(query)).scalar_one())
    return counted + generate_latest(gauges)
