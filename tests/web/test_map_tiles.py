"""A layer above the tile threshold is drawn from vector tiles, and from editable GeoJSON when zoomed in."""
import pytest

from tests.support.browser import log_in, wait_until

pytestmark = pytest.mark.browser


def test_large_layer_switches_to_tiles(app, browser, live_server):
    app.config["MAP_TILE_THRESHOLD"] = 100  # the 172 enterprises count as a large layer here
    context = browser.new_context()
    page = context.new_page()
    errors, tile_requests = [], []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("request", lambda req: tile_requests.append(req.url) if "/tiles/enterprises/" in req.url else None)
    try:
        log_in(page, live_server, "viewer")
        page.locator("body[data-map-ready='1']").wait_for(timeout=30000)
        wait_until(page, lambda: tile_requests, what="vector tile requests of the large layer")
        assert page.evaluate("window.mapLayerCounts.enterprises") == 0  # no GeoJSON loaded
        legend = page.locator('#legend section[data-layer="enterprises"] .legend-note').inner_text()
        assert "矢量瓦片" in legend
        # Zoom in on an enterprise: the layer switches to GeoJSON (editable, snappable).
        page.evaluate("""() => {
            const m = window.districtMap; m.setView([27.862, 113.06], 17);
        }""")
        wait_until(page, lambda: page.evaluate("window.mapLayerCounts.enterprises") > 0, what="GeoJSON at zoom 17")
        assert page.evaluate("window.mapLayerCounts.enterprises") > 0
        assert "显示" in page.locator('#legend section[data-layer="enterprises"] .legend-note').inner_text()
        assert errors == [], errors
    finally:
        app.config.pop("MAP_TILE_THRESHOLD")
        context.close()
