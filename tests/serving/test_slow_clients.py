"""Slow clients cannot starve the server (issue 20): 100 connections that send one header line every few
seconds for 20 s, while the health check and a phone's push still answer within 5 s each. Loopback only,
bounded in time and in connections."""

from __future__ import annotations

import socket
import threading
import time

import requests

from tests.serving.conftest import login, visit

SLOW_CONNECTIONS = 100
DURATION_S = 20
ANSWER_WITHIN_S = 5
HARD_TIMEOUT_S = 30


def _slowloris(port: int, stop: threading.Event, opened: list[socket.socket]) -> None:
    for _ in range(SLOW_CONNECTIONS):
        sock = socket.create_connection(("127.0.0.1", port), timeout=5)
        sock.sendall(b"GET /api/v1/health HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        opened.append(sock)
    number = 0
    while not stop.wait(3):
        number += 1
        for sock in list(opened):
            try:
                sock.sendall(f"X-Slow-{number}: {number}\r\n".encode())
            except OSError:
                opened.remove(sock)


def test_health_and_a_push_answer_while_100_slow_clients_hold_connections(served):
    response = login(served)
    assert response.status_code == 200, response.text
    headers = {"Authorization": f"Bearer {response.json()['data']['access_token']}"}

    stop = threading.Event()
    opened: list[socket.socket] = []
    attacker = threading.Thread(target=_slowloris, args=(served.port, stop, opened), daemon=True)
    attacker.start()
    try:
        time.sleep(2)  # every slow connection is open and sitting in a worker thread
        assert len(opened) == SLOW_CONNECTIONS
        health_times, push_times = [], []
        deadline = time.monotonic() + DURATION_S
        while time.monotonic() < deadline:
            start = time.monotonic()
            health = requests.get(f"{served.url}/api/v1/health", timeout=HARD_TIMEOUT_S)
            health_times.append(time.monotonic() - start)
            assert health.status_code == 200

            start = time.monotonic()
            push = requests.post(
                f"{served.url}/api/v1/sync/push",
                json={"items": [visit(served)]},
                headers=headers,
                timeout=HARD_TIMEOUT_S,
            )
            push_times.append(time.monotonic() - start)
            assert push.status_code == 200, push.text
            assert push.json()["data"]["results"][0]["status"] in {"created", "accepted_with_conflict"}
            time.sleep(1)
        still_open = len(opened)
    finally:
        stop.set()
        attacker.join(10)
        for sock in opened:
            sock.close()
    assert still_open >= SLOW_CONNECTIONS * 0.9  # the attack really lasted (the server did not just drop it)
    assert len(health_times) >= 5
    print(f"health max {max(health_times):.3f} s, push max {max(push_times):.3f} s over {len(health_times)} rounds")
    answered = health_times + push_times
    in_time = sum(seconds < ANSWER_WITHIN_S for seconds in answered)
    assert in_time >= 0.9 * len(answered), sorted(answered)[-5:]


def test_no_server_banner_and_a_request_id_on_every_answer(served):
    response = requests.get(f"{served.url}/api/v1/health", timeout=5)
    assert "Server" not in response.headers
    assert len(response.headers["X-Request-ID"]) >= 8
    offered = requests.get(f"{served.url}/api/v1/health", headers={"X-Request-ID": "proxy-id-12345"}, timeout=5)
    assert offered.headers["X-Request-ID"] == "proxy-id-12345"
