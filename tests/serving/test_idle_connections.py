"""Connections that open and send nothing (a browser's preconnect, a phone whose network stalls) never freeze
a worker. gunicorn 23's gthread worker stopped polling its sockets once its open connections reached
`worker_connections` (= threads, gunicorn.conf.py) while none had a request running: the requests already
sent on those connections were never read, and the worker answered nothing again (gunicorn issues 3146 and
3407). The staff map's tile requests met it in the browser tests (1 worker x 4 threads): every later page
timed out. One worker with two threads here, so two idle connections are enough."""

from __future__ import annotations

import socket
import time

import requests

from tests.serving.conftest import start_gunicorn, stop

THREADS = 2
ANSWER_WITHIN_S = 20


def test_idle_connections_do_not_freeze_a_worker(serving_world, tmp_path):
    process, url, port, _log = start_gunicorn(
        serving_world["database_url"], tmp_path, WORKERS="1", THREADS=str(THREADS)
    )
    idle = []
    try:
        for _ in range(THREADS + 1):
            idle.append(socket.create_connection(("127.0.0.1", port), timeout=ANSWER_WITHIN_S))
        time.sleep(1.5)  # the worker has accepted them and found nothing to read
        # A request sent late on an idle connection is read and answered (or the connection is closed by
        # the server after its wait: the client then retries on a new one, as browsers do).
        late = idle[0]
        late.sendall(b"GET /api/v1/health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        try:
            first_line = late.recv(64)
        except OSError:
            first_line = b""
        assert first_line == b"" or first_line.startswith(b"HTTP/1.1 200"), first_line
        # A new client is served while the other idle connections stay open.
        start = time.monotonic()
        answer = requests.get(f"{url}/api/v1/health", timeout=ANSWER_WITHIN_S)
        assert answer.status_code == 200
        assert time.monotonic() - start < ANSWER_WITHIN_S
    finally:
        for sock in idle:
            sock.close()
        stop(process)
