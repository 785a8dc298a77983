"""Hardening owned in one place: response security headers, request ids and structured logs, strict JSON."""
