"""The map in a real headless Chromium: layers drawn, no console errors, nothing fetched from outside."""
from urllib.parse import urlparse

import pytest

from tests.factories import temporary_project
from tests.support.browser import feature_id, log_in, open_popup

pytestmark = pytest.mark.browser
XSS_NAME = "<img src=x onerror=alert(1)>"


@pytest.fixture(scope="module")
def hostile_project(app):
    """A project whose name is an XSS payload: it must show as plain text."""
    with temporary_project(app, XSS_NAME, 113.10, 27.90, 60) as pid:
        yield pid


def test_map_draws_layers_offline_without_errors(browser, live_server, hostile_project):
    context = browser.new_context()
    page = context.new_page()
    errors, outside, dialogs = [], [], []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    host = urlparse(live_server).hostname
    page.on("request", lambda req: outside.append(req.url)
            if urlparse(req.url).hostname not in (host, None) and not req.url.startswith("data:") else None)

    log_in(page, live_server, "viewer")
    # A locator wait, not wait_for_function: the page's CSP forbids the eval that polling uses.
    page.locator("body[data-map-ready='1']").wait_for(state="attached", timeout=30000)
    counts = page.evaluate("window.mapLayerCounts")
    assert counts["enterprises"] == 172
    assert counts["zones"] >= 3 and counts["protected_areas"] > 0
    assert counts["water_bodies"] > 0 and counts["projects"] > 0
    # Canvas renderer: the drawing is on a canvas, and the legend lists the stages.
    assert page.locator("#map canvas").count() >= 1
    legend = page.locator("#legend").inner_text()
    assert "验收销号" in legend and "禁止开发区" in legend

    # The hostile name shows as text in the popup (a real click on the project), and no script ran.
    open_popup(page, "projects", feature_id(page, "projects", "name", XSS_NAME))
    popup = page.locator(".leaflet-popup-content")
    popup.wait_for()
    assert XSS_NAME in popup.inner_text()
    assert page.locator(".leaflet-popup-content img").count() == 0
    assert dialogs == []
    assert errors == [], errors
    assert outside == [], outside
    page.screenshot(path="var/map-screenshot.png")
    context.close()
