"""Logs without personal data: one JSON object per line, a request id on every line, digit runs masked.

- Every request gets an id (a proxy's `X-Request-ID` when it is a plausible one, else a new one), kept in
  `g.request_id`, answered in the `X-Request-ID` header, and written on each log line of that request and
  on its access-log line, so one request's lines can be found together.
- `JsonFormatter` writes `{"time", "level", "logger", "message", "request_id"?, "exception"?}`. Before it
  writes, runs of 10 or more digits (NIK and No. KK have 16, phone numbers 10-13) and anything shaped like
  a JWT become `«masked»`: a message or a traceback that quotes a value cannot leak it.
- `GunicornLogger` (gunicorn.conf.py) writes gunicorn's own lines in the same form; its access line has
  method, path (never the query string: `?q=<NIK>` searches stay out), status, bytes, duration and request
  id. A custom `--access-logformat` (the benchmarks) is still honoured, with the query string blanked.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import uuid
from datetime import UTC, datetime

from flask import Flask, g, has_request_context, request
from gunicorn.glogging import Logger

SENSITIVE = re.compile(r"\d{10,}|eyJ[\w-]{4,}\.[\w-]{4,}\.[\w-]*")
MASK = "«masked»"
REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


def mask(text: str) -> str:
    return SENSITIVE.sub(MASK, text)


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": mask(record.getMessage()),
        }
        request_id = getattr(record, "request_id", None) or _current_request_id()
        if request_id:
            entry["request_id"] = request_id
        for key in ("method", "path", "status", "bytes", "duration_ms", "remote"):
            if hasattr(record, key):
                entry[key] = getattr(record, key)
        if record.exc_info:
            entry["exception"] = mask(self.formatException(record.exc_info))
        return json.dumps(entry, ensure_ascii=False)


def _current_request_id() -> str | None:
    if has_request_context():
        return g.get("request_id")
    return None


def configure_logging(app: Flask) -> None:
    """JSON lines on stderr for the app's loggers (once per process), and the request-id hooks."""
    root = logging.getLogger()
    if not any(isinstance(handler.formatter, JsonFormatter) for handler in root.handlers):
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(JsonFormatter())
        root.addHandler(handler)
        if root.level == logging.WARNING or root.level == logging.NOTSET:
            root.setLevel(logging.INFO)
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)

    @app.before_request
    def _request_id() -> None:
        offered = request.headers.get("X-Request-ID", "")
        g.request_id = offered if REQUEST_ID.match(offered) else uuid.uuid4().hex

    @app.after_request
    def _answer_request_id(response):
        if "request_id" in g:
            response.headers["X-Request-ID"] = g.request_id
        return response


class GunicornLogger(Logger):
    """gunicorn's error and access logs as JSON lines (gunicorn.conf.py sets it as `logger_class`)."""

    def setup(self, cfg) -> None:
        super().setup(cfg)
        for log in (self.error_log, self.access_log):
            for handler in log.handlers:
                handler.setFormatter(JsonFormatter())

    def access(self, resp, req, environ, request_time) -> None:
        if not self.cfg.accesslog:
            return
        if self.cfg.access_log_format != self.cfg.settings["access_log_format"].default:
            # Somebody asked for their own format (bench/harness.py): theirs, minus the query string.
            environ = {**environ, "QUERY_STRING": ""}
            req.query = ""
            return super().access(resp, req, environ, request_time)
        headers = dict((name.lower(), value) for name, value in (resp.headers or []))
        record = {
            "request_id": headers.get("x-request-id"),
            "method": environ.get("REQUEST_METHOD"),
            "path": mask(environ.get("PATH_INFO", "")),
            "status": int(str(resp.status).split()[0]) if resp.status else None,
            "bytes": getattr(resp, "sent", None),
            "duration_ms": round(request_time.total_seconds() * 1000, 1),
            "remote": environ.get("REMOTE_ADDR"),
        }
        self.access_log.info("%s %s %s", record["method"], record["path"], record["status"], extra=record)
