"""Issue 18, the map's layout at 1366×768, 1440×900 and 1920×1080: the history panel is not drawn under the layer
tree, the 导出 button does not cover a popup's header, the edit panel scrolls inside itself instead of growing
over the legend, and the legend scrolls instead of being cut off.  Screenshots in var/ (look at them).
Also: the favicon, so no page answers a 404 for it."""
import pytest

from tests.factories import temporary_project
from tests.support.browser import feature_id, log_in, open_popup, wait_ready, wait_until

pytestmark = pytest.mark.browser
SIZES = [(1366, 768), (1440, 900), (1920, 1080)]


@pytest.fixture(scope="module")
def project(app):
    with temporary_project(app, "布局测试项目", 113.095, 27.905, 40) as pid:
        yield pid


def rect(page, selector):
    return page.evaluate("""(sel) => { const n = document.querySelector(sel); if (!n) return null;
        const r = n.getBoundingClientRect(); return {left: r.left, right: r.right, top: r.top, bottom: r.bottom,
        scroll: n.scrollHeight > n.clientHeight, overflowY: getComputedStyle(n).overflowY}; }""", selector)


def intersects(a, b):
    return a["left"] < b["right"] and b["left"] < a["right"] and a["top"] < b["bottom"] and b["top"] < a["bottom"]


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_panels_buttons_popups_and_legend_do_not_cover_each_other(browser, live_server, project, size):
    width, height = size
    context = browser.new_context(viewport={"width": width, "height": height})
    page = context.new_page()
    errors, missing = [], []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.on("response", lambda r: missing.append(r.url) if r.status == 404 else None)
    try:
        log_in(page, live_server, "admin")  # the most tools: edit panel with its extras
        wait_ready(page)
        map_box = rect(page, "#map")
        legend = rect(page, "#legend")
        edit = rect(page, "#edit-panel")
        # The legend is inside the map, whole or scrolling; never cut off below the map's bottom.
        assert legend["bottom"] <= map_box["bottom"] and legend["top"] >= map_box["top"], legend
        assert legend["overflowY"] in ("auto", "scroll")
        # The edit panel stays inside the map (scrolling inside itself) and off the legend.
        assert edit["bottom"] <= map_box["bottom"] and edit["overflowY"] in ("auto", "scroll"), edit
        assert not intersects(edit, legend)
        page.screenshot(path=f"var/map-core-layout-{width}x{height}.png")

        # A popup near the top of the map: its header is not under the 导出 button (nor anything else).
        pid = feature_id(page, "projects", "name", "布局测试项目")
        open_popup(page, "projects", pid)
        page.evaluate("""() => { const m = window.districtMap, p = m._popup;
            m.panBy([0, m.latLngToContainerPoint(p.getLatLng()).y - 60], {animate: false}); }""")
        header = page.locator(".leaflet-popup-content .popup h3")

        def on_top():
            box = header.bounding_box()
            return page.evaluate("""([x, y]) => { const n = document.elementFromPoint(x, y);
                return n && n.closest('.leaflet-popup') ? 'popup' : (n ? n.id || n.className : null); }""",
                                 [box["x"] + box["width"] / 2, box["y"] + box["height"] / 2])
        # autoPan brings the popup back into view, clear of the 导出 button and the controls.
        wait_until(page, lambda: on_top() == "popup", timeout_s=5, what="the popup header on top")
        assert header.bounding_box()["y"] >= rect(page, "#map")["top"]
        assert not intersects(rect(page, ".leaflet-popup-content-wrapper"), rect(page, "#export-link"))
        page.screenshot(path=f"var/map-core-popup-{width}x{height}.png")

        # The history panel: not drawn under the layer tree or the 导出 button.
        page.locator('.leaflet-popup-content [data-action="history"]').click()
        page.locator("#history-panel").wait_for()
        page.locator("body[data-history-ready]").wait_for(state="attached")
        page.locator(".leaflet-popup").wait_for(state="detached")
        assert page.locator("#history-panel .side-panel-body").inner_text().strip()  # not a blank panel
        panel = rect(page, "#history-panel")
        assert not intersects(panel, rect(page, "#legend")), (panel, rect(page, "#legend"))
        assert not intersects(panel, rect(page, "#export-link"))
        page.screenshot(path=f"var/map-core-history-{width}x{height}.png")
        assert missing == [], missing
        assert errors == [], errors
    finally:
        context.close()


def test_favicon_is_served(browser, live_server):
    context = browser.new_context()
    page = context.new_page()
    try:
        resp = page.request.get(live_server + "/favicon.ico")
        assert resp.status == 200 and resp.headers["content-type"].startswith("image/")
        assert resp.body()[:4] == b"\x00\x00\x01\x00"  # an ICO file
        page.goto(live_server + "/login")
        href = page.get_attribute('link[rel="icon"][type="image/svg+xml"]', "href")
        svg = page.request.get(live_server + href)
        assert svg.status == 200 and b"<svg" in svg.body()
    finally:
        context.close()
