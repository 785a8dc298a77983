"""The PWA blueprint: app shell at `/` and app routes, cache headers per file kind, API paths keep JSON 404s."""

from __future__ import annotations

import pytest


@pytest.fixture
def dist(app, tmp_path, monkeypatch):
    (tmp_path / "assets").mkdir()
    (tmp_path / "index.html").write_text("<!doctype html><title>Verval</title>")
    (tmp_path / "sw.js").write_text("self.__WB_MANIFEST;")
    (tmp_path / "manifest.webmanifest").write_text("{}")
    (tmp_path / "assets" / "index-abc123.js").write_text("console.log(1)")
    (tmp_path / "icons").mkdir()
    (tmp_path / "icons" / "icon-192.png").write_bytes(b"\x89PNG\r\n")
    monkeypatch.setitem(app.config, "PWA_DIST", str(tmp_path))
    return tmp_path


def test_root_and_app_routes_get_the_shell_revalidated(client, dist):
    for url in ("/", "/outbox", "/households/123"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert b"<title>Verval</title>" in response.data
        assert response.headers["Cache-Control"] == "no-cache"


def test_service_worker_and_manifest_are_never_cached_stale(client, dist):
    sw = client.get("/sw.js")
    assert sw.status_code == 200
    assert sw.headers["Cache-Control"] == "no-cache"
    assert "javascript" in sw.headers["Content-Type"]
    assert sw.headers["Service-Worker-Allowed"] == "/"
    assert client.get("/manifest.webmanifest").headers["Cache-Control"] == "no-cache"


def test_hashed_assets_are_cached_for_a_year(client, dist):
    response = client.get("/assets/index-abc123.js")
    assert response.status_code == 200
    assert "immutable" in response.headers["Cache-Control"]
    assert "max-age=31536000" in response.headers["Cache-Control"]
    assert client.get("/icons/icon-192.png").headers["Cache-Control"] == "public, max-age=3600"


def test_missing_files_and_api_paths_are_404_not_the_shell(client, dist):
    assert client.get("/assets/index-old.js").status_code == 404
    response = client.get("/api/v1/no-such-thing")
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "not_found"
    assert client.get("/../server/config.py").status_code == 404


def test_api_routes_still_win_over_the_catch_all(client, dist):
    assert client.get("/api/v1/health").status_code == 200


def test_precompressed_brotli_and_gzip_are_served_with_vary(client, dist):
    import gzip

    body = b"console.log('verval');" * 50
    (dist / "assets" / "app-1a2b3c.js").write_bytes(body)
    (dist / "assets" / "app-1a2b3c.js.gz").write_bytes(gzip.compress(body))
    (dist / "assets" / "app-1a2b3c.js.br").write_bytes(b"brotli-bytes")
    url = "/assets/app-1a2b3c.js"

    brotli = client.get(url, headers={"Accept-Encoding": "gzip, deflate, br"})
    assert brotli.headers["Content-Encoding"] == "br" and brotli.data == b"brotli-bytes"
    assert "javascript" in brotli.headers["Content-Type"]
    assert "Accept-Encoding" in brotli.headers["Vary"]
    assert "immutable" in brotli.headers["Cache-Control"]

    gzipped = client.get(url, headers={"Accept-Encoding": "gzip"})
    assert gzipped.headers["Content-Encoding"] == "gzip" and gzip.decompress(gzipped.data) == body
    assert "Accept-Encoding" in gzipped.headers["Vary"]

    identity = client.get(url, headers={"Accept-Encoding": "identity"})
    assert "Content-Encoding" not in identity.headers and identity.data == body
    assert "Accept-Encoding" in identity.headers["Vary"]
    # Without pre-compressed files (index.html here) the plain file goes, still varying.
    shell = client.get("/", headers={"Accept-Encoding": "br"})
    assert "Content-Encoding" not in shell.headers and "Accept-Encoding" in shell.headers["Vary"]
    # Images are not text: no variants, no Vary.
    assert "Vary" not in client.get("/icons/icon-192.png").headers


def test_the_real_build_has_brotli_and_gzip_for_every_script_and_stylesheet(client):
    from server.config import PROJECT_ROOT

    assets = PROJECT_ROOT / "pwa" / "dist" / "assets"
    files = [path for path in assets.iterdir() if path.suffix in {".js", ".css"}]
    assert {path.suffix for path in files} == {".js", ".css"}
    for path in files:
        for encoding, suffix in (("br", ".br"), ("gzip", ".gz")):
            response = client.get(f"/assets/{path.name}", headers={"Accept-Encoding": encoding})
            assert response.headers["Content-Encoding"] == encoding, path.name
            assert response.data == path.with_name(path.name + suffix).read_bytes()
            assert len(response.data) < path.stat().st_size / 2
