"""The compose reverse proxy's own configuration (deploy/Caddyfile) in front of the production-like gunicorn,
with the Caddy found on this machine (skipped without one; Debian's package is enough): HSTS and no Server
header, /metrics refused, a body trickled in slowly reaches gunicorn whole (buffered), and 100 slow header
senders are cut by the proxy while health and a push keep answering within 5 s. Plain HTTP on loopback:
TLS itself is Caddy's and is not what is tested here."""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import socket
import subprocess
import threading
import time

import pytest
import requests

from server.config import PROJECT_ROOT
from tests.serving.conftest import free_port, login, visit

CADDY = shutil.which("caddy")


@pytest.fixture(scope="module")
def proxy(served, tmp_path_factory):
    assert CADDY, "no caddy on this machine: make test installs it (Debian package caddy)"
    folder = tmp_path_factory.mktemp("caddy")
    port = free_port()
    config = (PROJECT_ROOT / "deploy" / "Caddyfile").read_text()
    config = config.replace("{$VERVAL_DOMAIN:localhost}", f"http://127.0.0.1:{port}")
    config = config.replace("reverse_proxy app:8000", f"reverse_proxy 127.0.0.1:{served.port}")
    config = config.replace("{\n\tservers {", "{\n\tadmin off\n\tservers {", 1)
    version = subprocess.run([CADDY, "version"], capture_output=True, text=True, check=True).stdout
    if re.match(r"v?2\.[0-6]\.", version):  # before 2.7 the same buffering was spelled buffer_requests
        config = re.sub(r"request_buffers \S+", "buffer_requests", config)
    (folder / "Caddyfile").write_text(config)
    env = {**os.environ, "XDG_DATA_HOME": str(folder / "data"), "XDG_CONFIG_HOME": str(folder / "config")}
    process = subprocess.Popen(
        [CADDY, "run", "--config", str(folder / "Caddyfile"), "--adapter", "caddyfile"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=(folder / "caddy.log").open("wb"),
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            if requests.get(f"{url}/api/v1/health", timeout=2).status_code == 200:
                break
        except requests.RequestException:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            pytest.fail(f"caddy did not start: {(folder / 'caddy.log').read_text()[-2000:]}")
        time.sleep(0.2)
    yield url, port
    process.terminate()
    process.wait(10)


def test_the_proxy_adds_hsts_hides_the_server_and_refuses_metrics(proxy):
    url, _ = proxy
    health = requests.get(f"{url}/api/v1/health", timeout=5)
    assert health.headers["Strict-Transport-Security"].startswith("max-age=")
    assert "Server" not in health.headers
    assert re.fullmatch(r"[0-9a-f-]{36}", health.headers["X-Request-ID"])  # the proxy's id, kept by the app
    assert health.headers["Content-Security-Policy"]
    assert requests.get(f"{url}/metrics", timeout=5).status_code == 404


def test_a_body_trickled_in_slowly_reaches_gunicorn_whole(proxy, served):
    _url, port = proxy
    token = login(served).json()["data"]["access_token"]
    body = json.dumps({"items": [visit(served)]}).encode()
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        sock.sendall(
            f"POST /api/v1/sync/push HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nAuthorization: Bearer {token}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\nConnection: close\r\n\r\n".encode()
        )
        pieces = [body[i : i + len(body) // 6 + 1] for i in range(0, len(body), len(body) // 6 + 1)]
        for piece in pieces:  # about 6 s for the whole body, as a phone on a bad line
            sock.sendall(piece)
            time.sleep(1)
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    assert answer.startswith(b"HTTP/1.1 200"), answer[:200]
    request_id = re.search(rb"X-Request-Id: (\S+)", answer, re.IGNORECASE).group(1).decode()
    time.sleep(0.3)
    lines = [json.loads(line) for line in served.log_text().splitlines() if request_id in line]
    access = [line for line in lines if line["logger"] == "gunicorn.access"]
    assert len(access) == 1
    assert access[0]["duration_ms"] < 2000  # gunicorn got it whole, not over 6 s


def test_slow_header_senders_are_cut_by_the_proxy_while_the_app_answers(proxy, served):
    url, port = proxy
    headers = {"Authorization": f"Bearer {login(served).json()['data']['access_token']}"}
    opened: list[socket.socket] = []
    stop = threading.Event()

    def drip():
        for _ in range(100):
            sock = socket.create_connection(("127.0.0.1", port), timeout=5)
            sock.sendall(b"GET /api/v1/health HTTP/1.1\r\nHost: 127.0.0.1\r\n")
            opened.append(sock)
        number = 0
        while not stop.wait(3):
            number += 1
            for sock in opened:
                with contextlib.suppress(OSError):
                    sock.sendall(f"X-Slow-{number}: 1\r\n".encode())

    attacker = threading.Thread(target=drip, daemon=True)
    attacker.start()
    rounds: list[float] = []
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            started = time.monotonic()
            assert requests.get(f"{url}/api/v1/health", timeout=30).status_code == 200
            pushed = requests.post(
                f"{url}/api/v1/sync/push", json={"items": [visit(served)]}, headers=headers, timeout=30
            )
            assert pushed.status_code == 200
            rounds.append(time.monotonic() - started)
            time.sleep(1)
        cut = 0
        for sock in opened:  # after 20 s the proxy's 10 s header limit has closed them
            sock.settimeout(0.5)
            try:
                answer = sock.recv(1024)
                cut += answer == b"" or answer.startswith(b"HTTP/1.1 408") or answer.startswith(b"HTTP/1.1 400")
            except (TimeoutError, OSError) as error:
                cut += isinstance(error, ConnectionResetError)
    finally:
        stop.set()
        attacker.join(10)
        for sock in opened:
            sock.close()
    # every round answered; at least 90 % within 5 s (the shared machine's load, see test_slow_clients.py)
    assert sum(seconds < 5 for seconds in rounds) >= 0.9 * len(rounds), sorted(rounds)[-3:]
    assert cut >= 90, f"only {cut} of 100 slow connections were cut by the proxy"


def test_a_city_sized_import_passes_the_proxy_other_big_bodies_do_not(proxy, served, serving_world):
    """A city's registry is ~25 MB: the imports get 200 MB at the proxy, every other route keeps 16 MB."""
    from server import create_app
    from server.auth.passwords import hash_password
    from server.extensions import db
    from tests import factories

    app = create_app({"PROFILE": "test", "SQLALCHEMY_DATABASE_URI": serving_world["database_url"]})
    with app.app_context():
        supervisor = factories.make_user("supervisor", regions=("64.72.01",))
        supervisor.password_hash = hash_password(served.password)
        db.session.commit()
        username = supervisor.username
        db.session.remove()
        db.engine.dispose()
    url, _ = proxy
    token = login(served, username=username).json()["data"]["access_token"]
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "text/csv"}
    body = b"kolom,lain\n" + b"1,2\n" * (5 * 1024 * 1024)  # 20 MB
    imported = requests.post(f"{url}/api/v1/imports/registry", data=body, headers=headers, timeout=120)
    # The whole file reached the app, which took it as a job (one that fails: not a registry file).
    assert imported.status_code == 202, imported.text[:300]
    assert imported.json()["data"]["kind"] == "import.registry"
    upload = requests.post(f"{url}/api/v1/jobs/uploads", headers=headers, timeout=30).json()["data"]
    # Elsewhere 16 MB stays the limit: refused at the proxy. Caddy 2.6 answers 413 where it read the body
    # first, 502 when its limit cuts the body it is forwarding, and sometimes closes the connection in the
    # middle of that 502 (CI saw IncompleteRead): all three are the proxy's refusal.
    try:
        status = requests.patch(
            f"{url}{upload['links']['self']}", data=body, headers={**headers, "Upload-Offset": "0"}, timeout=120
        ).status_code
    except (requests.exceptions.ChunkedEncodingError, requests.exceptions.ConnectionError):
        status = "connection closed"
    assert status in (413, 502, "connection closed")
    # Nothing of the refused body was kept by the app.
    kept = requests.get(f"{url}{upload['links']['self']}", headers=headers, timeout=30)
    assert kept.json()["data"]["offset"] == 0, kept.text[:300]
