"""`GET /metrics` (Prometheus text format), for a scraper inside the network only.

Refused (404, as if it did not exist) when the request came through the reverse proxy (it carries
X-Forwarded-For; the proxy also answers /metrics with 404 itself) or from an address outside
METRICS_ALLOWED_NETWORKS (loopback and private networks by default). No personal data: counts only.
"""

from __future__ import annotations

import ipaddress

from flask import Blueprint, Response, abort, current_app, request

from server.metrics.service import exposition

bp = Blueprint("metrics", __name__)


@bp.get("/metrics")
def metrics() -> Response:
    if not _from_inside():
        abort(404)
    return Response(exposition(), mimetype="text/plain; version=0.0.4")


def _from_inside() -> bool:
    if request.headers.get("X-Forwarded-For") or request.environ.get("werkzeug.proxy_fix.orig"):
        return False
    try:
        address = ipaddress.ip_address(request.remote_addr or "")
    except ValueError:
        return False
    networks = current_app.config["METRICS_ALLOWED_NETWORKS"]
    return any(address in ipaddress.ip_network(network) for network in networks)
