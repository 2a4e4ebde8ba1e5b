"""Issue 18: a layer titled with markup is text everywhere on the map (layer tree, edit panel, identify list,
popup, labels): no element is created and, under the real Content-Security-Policy, nothing is blocked."""
import pytest
from sqlalchemy import func, update

from gis_tracker.db import db
from gis_tracker.models import UserLayer
from tests.factories import unique
from tests.support.browser import api, click_at, log_in, view, wait_ready

pytestmark = pytest.mark.browser
TITLE = "<img src=x onerror=alert(1)>"


@pytest.fixture()
def name(app):
    value = unique("markup").replace("-", "_")
    yield value
    with app.app_context():
        db.session.execute(update(UserLayer).where(UserLayer.name == value).values(deleted_at=func.now()))
        db.session.commit()


def test_markup_layer_title_is_text_with_no_csp_violation(browser, live_server, name):
    context = browser.new_context(viewport={"width": 1366, "height": 768})  # the real CSP: not bypassed
    page = context.new_page()
    errors, dialogs, blocked = [], [], []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.on("request", lambda req: blocked.append(req.url) if req.url.rstrip("/").endswith("/x") else None)
    try:
        log_in(page, live_server, "planner")
        wait_ready(page)
        resp = api(page, "POST", "/api/layers", {
            "name": name, "title": TITLE, "geometry_type": "Point",
            "fields": [{"name": "label", "label": TITLE, "type": "string"}],
            "style": {"color": "#ff0000", "fillColor": "#ff0000", "label_field": None}})
        assert resp.status == 201, resp.text()
        lon, lat = 113.0885, 27.9555
        resp = api(page, "POST", f"/ogc/collections/{name}/items", {
            "type": "Feature", "geometry": {"type": "Point", "coordinates": [lon, lat]}, "properties": {"label": TITLE}})
        assert resp.status == 201, resp.text()
        page.add_init_script("window.__cspViolations = [];"
                             "document.addEventListener('securitypolicyviolation', e => window.__cspViolations.push(e.violatedDirective));")
        page.reload()
        wait_ready(page)

        section = page.locator(f'#legend section[data-layer="{name}"]')
        assert section.locator(".tree-title").inner_text() == TITLE  # the characters, visible
        assert section.locator(".tree-title").is_visible()
        assert page.locator('#legend details[data-group="user"]').inner_text().find(TITLE) >= 0
        assert page.locator(f'#edit-layer option[value="{name}"]').inner_text() == TITLE
        assert page.locator("#legend img, #map img[src='x'], #edit-panel img").count() == 0

        # Identify (a real click on the point): the layer title heads its popup, as text.
        view(page, lon, lat, 17)
        click_at(page, lon, lat)
        popup = page.locator(f'.leaflet-popup-content .popup[data-layer="{name}"]')
        popup.wait_for()
        assert popup.locator("h3").inner_text() == TITLE
        assert TITLE in popup.inner_text()
        assert page.locator(".leaflet-popup-content img").count() == 0
        assert page.locator("img[src='x']").count() == 0
        assert page.evaluate("window.__cspViolations") == []
        assert errors == [] and dialogs == [] and blocked == [], (errors, dialogs, blocked)
    finally:
        context.close()
