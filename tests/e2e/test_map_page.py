"""The staff map page in Debian's Chromium: WebGL through SwiftShader (flags below), MapLibre drawing our vector
tiles; waits for the map's `idle` event, checks the rendered kelurahan with queryRenderedFeatures (no pixel
comparison), switches the choropleth metric, clicks a kelurahan and lands on its household list. Without
WebGL the page shows the server-drawn SVG choropleth and the table instead."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from tests.e2e.conftest import CHROMIUM, CHROMIUM_ENV, wait_for
from tests.e2e.staff_pages import check_page, desktop, log_in, make_staff_user, shoot

# WebGL 2 without a GPU: ANGLE on SwiftShader, which Chromium only allows when told to.
WEBGL_ARGS = [
    "--no-sandbox",
    "--enable-unsafe-swiftshader",
    "--use-gl=angle",
    "--use-angle=swiftshader",
    "--ignore-gpu-blocklist",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
USER = "peta_supervisor"
FILL_LAYERS = "() => window.vervalMap.getStyle().layers.filter(l => l.id.endsWith('-isi')).map(l => l.id)"
# The page sets window.vervalMapIdle on the map's `idle` event (every tile loaded and drawn).
IDLE = "() => window.vervalMapIdle === true && window.vervalMap.loaded()"


@pytest.fixture(scope="module")
def webgl_browser(playwright_driver):
    browser = playwright_driver.chromium.launch(
        executable_path=CHROMIUM, headless=True, args=WEBGL_ARGS, env=CHROMIUM_ENV
    )
    yield browser
    browser.close()


@pytest.fixture(scope="module")
def supervisor(e2e_database):
    make_staff_user(e2e_database[0], "supervisor", USER, regions=("64.72.01",))
    return USER


def _largest_inside(db_engine, codes: list[str]) -> tuple[str, float, float]:
    """The largest of `codes` and a point well inside it (the centre of its largest inscribed circle)."""
    with db_engine.connect() as connection:
        return connection.execute(
            sa.text(
                "SELECT code, ST_X(c), ST_Y(c) FROM (SELECT code, (ST_MaximumInscribedCircle(boundary)).center AS c,"
                " ST_Area(boundary) AS a FROM regions WHERE code = ANY(:codes)) q ORDER BY a DESC LIMIT 1"
            ),
            {"codes": codes},
        ).one()


def test_the_map_renders_kelurahan_switches_metric_and_opens_a_list(webgl_browser, live_server, supervisor, db_engine):
    context = desktop(webgl_browser, live_server)
    page = context.new_page()
    log_in(page, supervisor)
    tile_urls: list[str] = []
    page.on("request", lambda request: tile_urls.append(request.url) if ".mvt" in request.url else None)
    page.goto("/staff/peta/?registry_status=active")  # the household list's filter: the map reads it too
    wait_for(page, "() => window.vervalMap !== undefined", timeout=60000)
    wait_for(page, IDLE, timeout=120000)
    assert tile_urls and all("registry_status=active" in url for url in tile_urls)
    fills = page.evaluate(FILL_LAYERS)
    assert fills == ["kelurahan-64.72.01-isi"]  # one source per kecamatan of the supervisor's area
    rendered = page.evaluate(
        "(layers) => window.vervalMap.queryRenderedFeatures({layers}).map(f => f.properties)", fills
    )
    codes = {properties["code"] for properties in rendered}
    assert codes and all(code.startswith("64.72.01.") for code in codes)
    assert any(properties.get("households") for properties in rendered)  # the seeded households are counted
    assert page.locator("[data-map-fallback] svg").is_hidden()
    assert "Kemajuan verifikasi" in page.locator("[data-legend-title]").inner_text()
    shoot(page, "peta")

    page.select_option("#metrik", "stacking")
    assert page.locator("[data-legend-title]").inner_text() == "Bantuan menumpuk"
    paint = page.evaluate("(id) => JSON.stringify(window.vervalMap.getPaintProperty(id, 'fill-color'))", fills[0])
    assert "stacking" in paint
    assert "metrik=stacking" in page.url

    page.get_by_label("Rumah tangga", exact=True).uncheck()  # household cells would take the click
    target, lon, lat = _largest_inside(db_engine, sorted(codes))

    # "Hanya yang terlihat di peta": the table follows the visible extent, and the query string keeps it
    everywhere = page.locator("[data-map-table] tbody tr").count()
    page.evaluate("(p) => window.vervalMap.jumpTo({center: p, zoom: 15})", [lon, lat])
    wait_for(page, IDLE, timeout=120000)
    page.get_by_label("Hanya yang terlihat di peta").check()
    wait_for(page, "() => Boolean(document.querySelector('#peta').dataset.tableExtent)", timeout=30000)
    rows = page.locator("[data-map-table] tbody tr")
    assert 0 < rows.count() < everywhere
    assert page.locator(f'[data-map-table] tr[data-code="{target}"]').count() == 1
    assert "terlihat=1" in page.url and "bbox=" in page.url and "registry_status=active" in page.url

    box = page.locator("#peta canvas").bounding_box()
    point = page.evaluate("(p) => { const q = window.vervalMap.project(p); return [q.x, q.y]; }", [lon, lat])
    with page.expect_navigation():
        page.mouse.click(box["x"] + point[0], box["y"] + point[1])
    assert f"/staff/rumah-tangga?region={target}" in page.url and "registry_status=active" in page.url
    context.close()


def test_without_webgl_the_page_shows_the_svg_choropleth_and_the_table(webgl_browser, live_server, supervisor):
    # The same browser, with WebGL taken away before any page script runs.
    context = desktop(webgl_browser, live_server)
    context.add_init_script(
        "const original = HTMLCanvasElement.prototype.getContext;"
        "HTMLCanvasElement.prototype.getContext = function (kind, ...rest) {"
        "  return /webgl/.test(kind) ? null : original.call(this, kind, ...rest); };"
    )
    page = context.new_page()
    log_in(page, supervisor)
    page.goto("/staff/peta/?metrik=no_aid")
    page.wait_for_load_state("networkidle")
    assert page.locator("#peta").is_hidden()
    paths = page.locator("[data-map-fallback] svg path")
    assert paths.count() == page.locator("[data-map-fallback] tbody tr").count() > 0
    assert page.locator("[data-legend-title]").inner_text() == "Tanpa bantuan"
    href = page.locator("[data-map-fallback] tbody a").first.get_attribute("href")
    assert href.startswith("/staff/rumah-tangga?region=64.72.01.")
    check_page(page, "peta tanpa WebGL")

    # The user's own tokens for QGIS: the secret shown once, then listed without it, revoked
    page.get_by_role("link", name="Token QGIS").click()
    page.get_by_label("Nama (untuk apa)").fill("QGIS kantor")
    page.get_by_role("button", name="Buat token").click()
    secret = page.get_by_label("Token", exact=True).input_value()
    assert secret.startswith("vrv_pat_")
    check_page(page, "token akses")
    shoot(page, "16-access-token")  # the secret of a test token, shown once
    page.goto("/staff/token-akses/")
    assert secret not in page.content()
    page.get_by_role("button", name="Cabut token QGIS kantor").click()
    assert "dicabut" in page.locator("[role=status]").inner_text()
    context.close()
