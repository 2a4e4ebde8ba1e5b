"""The interactive HTML snapshot opens offline in Chromium; the 导出 button and page work end to end."""
from __future__ import annotations

from urllib.parse import parse_qs, urlparse

import pytest

from gis_tracker.db import db
from gis_tracker.services.cartography import html_snapshot, snapshot
from tests.factories import temporary_project
from tests.support.browser import log_in

pytestmark = pytest.mark.browser
XSS_NAME = "<img src=x onerror=alert('snap')>项目"


@pytest.fixture(scope="module")
def hostile_project(app):
    """A project named with an XSS payload inside Qingshuitang."""
    with temporary_project(app, XSS_NAME, 113.095, 27.865, 80) as pid:
        yield pid


def test_html_snapshot_opens_offline_with_escaped_popups(app, browser, tmp_path, hostile_project):
    with app.app_context():
        content = html_snapshot.render(db.session, snapshot.SnapshotRequest.from_params(
            {"title": "清水塘<b>交互</b>地图", "zone": "清水塘片区", "format": "html"}))
    path = tmp_path / "snapshot.html"
    path.write_bytes(content)
    text = content.decode("utf-8")
    assert "cdn.jsdelivr" not in text and "code.jquery" not in text and "<script src=" not in text

    context = browser.new_context()
    page = context.new_page()
    requests, errors, dialogs = [], [], []
    page.on("request", lambda req: requests.append(req.url) if not req.url.startswith(("file://", "data:")) else None)
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.goto(path.as_uri())
    page.wait_for_function("typeof L !== 'undefined' && document.querySelector('.leaflet-container')")
    assert "验收销号" in page.locator(".snap-legend").inner_text() or "停产" in page.locator(".snap-legend").inner_text()
    assert page.locator(".snap-title").inner_text() == "清水塘<b>交互</b>地图"

    opened = page.evaluate("""(name) => {
        let found = null;
        document.querySelectorAll('*');
        for (const key of Object.keys(window)) {
            const obj = window[key];
            if (obj && obj instanceof L.GeoJSON) {
                obj.eachLayer(l => { if (l.feature.properties._name === name) { found = l; } });
            }
        }
        if (!found) { return false; }
        found.openPopup(found.getBounds().getCenter());
        return true;
    }""", XSS_NAME)
    assert opened
    popup = page.locator(".leaflet-popup-content")
    popup.wait_for()
    assert XSS_NAME in popup.inner_text()
    assert page.locator(".leaflet-popup-content img").count() == 0
    page.wait_for_load_state("networkidle")  # anything the popup would still load or run has happened
    assert dialogs == [] and errors == [], (dialogs, errors)
    assert requests == [], requests
    context.close()


def test_export_button_carries_the_map_view_and_the_page_makes_a_pdf(app, browser, live_server, tmp_path):
    app.config.setdefault("EXPORT_DIR", str(tmp_path))
    context = browser.new_context(accept_downloads=True)
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    log_in(page, live_server, "planner")
    page.locator("body[data-map-ready='1']").wait_for(state="attached", timeout=30000)
    page.evaluate("() => { window.districtMap.removeLayer(window.mapLayers.projects); }")
    page.click("#export-link")
    page.wait_for_url("**/exports/?*")
    query = parse_qs(urlparse(page.url).query)
    bbox = [float(v) for v in query["bbox"][0].split(",")]
    assert len(bbox) == 4 and 112.9 < bbox[0] < bbox[2] < 113.4
    assert "projects" not in query["layers"][0] and "enterprises" in query["layers"][0]
    assert page.locator("input[name=bbox]").input_value() == query["bbox"][0]
    assert not page.locator("input[name=layers][value=projects]").is_checked()

    page.fill("#snapshot-form input[name=title]", "浏览器导出测试")
    page.select_option("#snapshot-form select[name=format]", "pdf")
    page.click("#snapshot-form button[type=submit]")
    page.locator("body[data-export-done]").wait_for(state="attached", timeout=60000)  # CSP: no eval
    assert page.evaluate("document.body.dataset.exportDone") != "failed", page.locator("#export-progress").inner_text()
    link = page.locator("#export-progress .download-link")
    assert "浏览器导出测试" in link.inner_text()
    done = page.evaluate("document.body.dataset.exportDone")
    assert "浏览器导出测试" in page.locator(f"#export-history tr[data-export-id='{done}']").inner_text()  # listed now
    with page.expect_download() as info:
        link.click()
    saved = tmp_path / "download.pdf"
    info.value.save_as(saved)
    assert saved.read_bytes()[:4] == b"%PDF"
    assert errors == []
    context.close()
