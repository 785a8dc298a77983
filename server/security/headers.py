"""Security headers of every response, set in one after-request hook (issue 20).

- Content-Security-Policy: scripts, styles and connections only from this origin, no inline script and no
  eval; `worker-src blob:` for the image-compression worker the PWA starts from a blob URL; photos are
  previewed from `blob:` URLs and the compression library draws from `data:` URLs. Swagger UI (`/api/docs`)
  sets inline styles from its own script, so only there `style-src` also allows them.
- `frame-ancestors 'none'` (and the older `X-Frame-Options: DENY`), `X-Content-Type-Options: nosniff`,
  `Referrer-Policy: no-referrer`, `Cross-Origin-Opener-Policy: same-origin`.
- Permissions-Policy: camera and geolocation for the PWA's own pages only, nothing for the API and docs.
- A page whose script must reach another origin sets its own CSP built by `csp_connecting(origins)` (the same
  policy, those origins added to `connect-src`), which is then kept: the map page does for a basemap on the
  office's tile server.
- Cache-Control: every `/api/v1/` and `/ogc/` answer is personal data or may be: `no-store`, unless the route asked for
  a `private` cache itself (e.g. versioned tiles). The PWA's static files keep the caching they set.
- HSTS is the reverse proxy's (it is the one that knows the request came over TLS), see deploy/Caddyfile.
"""

from __future__ import annotations

from flask import Flask, Response, request

CSP = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "worker-src 'self' blob:",
        "style-src 'self'",
        "img-src 'self' blob: data:",
        "connect-src 'self'",
        "font-src 'self'",
        "manifest-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)
CSP_START = CSP.split("; ", 1)[0] + "; "


def csp_connecting(origins: list[str]) -> str:
    """The policy with `origins` (http or https origins only) added to `connect-src`."""
    extra = [origin for origin in origins if origin.startswith(("https://", "http://")) and " " not in origin]
    return CSP.replace("connect-src 'self'", " ".join(("connect-src 'self'", *extra)))


DOCS_CSP = CSP.replace("style-src 'self'", "style-src 'self' 'unsafe-inline'")
PWA_PERMISSIONS = "camera=(self), geolocation=(self), microphone=(), payment=(), usb=(), interest-cohort=()"
NO_PERMISSIONS = "camera=(), geolocation=(), microphone=(), payment=(), usb=(), interest-cohort=()"
COMMON = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
}


def register_security_headers(app: Flask) -> None:
    app.after_request(secure_response)


def secure_response(response: Response) -> Response:
    path = request.path
    api = path in ("/api", "/ogc") or path.startswith(("/api/", "/ogc/"))
    if not (response.headers.get("Content-Security-Policy", "").startswith(CSP_START)):
        response.headers["Content-Security-Policy"] = DOCS_CSP if path.startswith("/api/docs") else CSP
    response.headers["Permissions-Policy"] = NO_PERMISSIONS if api else PWA_PERMISSIONS
    for name, value in COMMON.items():
        response.headers[name] = value
    if path.startswith(("/api/v1/", "/ogc/")) or path in ("/api/v1", "/ogc"):
        cache = response.headers.get("Cache-Control", "")
        if "private" not in cache and "no-store" not in cache:
            response.headers["Cache-Control"] = "no-store"
    response.headers.pop("Server", None)
    return response
