"""In Chromium (with the app's strict CSP): an officer changes a stage in the UI and sees it on the maps."""
from urllib.parse import urlparse

import pytest

from gis_tracker.db import db
from gis_tracker.models import Enterprise
from gis_tracker.rules.stages import STAGE_COLOURS
from tests.factories import borrowed_enterprise
from tests.support.browser import log_in

pytestmark = pytest.mark.browser

FEATURE_STYLE = """(eid) => {
    const layer = window.mapLayers.enterprises.getLayers().find(l => l.feature.id === eid);
    return layer ? {label: layer.feature.properties.stage_label, colour: layer.options.fillColor} : null;
}"""


def test_officer_changes_stage_in_the_ui_and_sees_it_on_the_map(app, browser, live_server):
    with borrowed_enterprise(app, "assessment", "close") as eid:
        with app.app_context():
            name = db.session.get(Enterprise, eid).name
        context = browser.new_context()
        page = context.new_page()
        errors, outside = [], []
        page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        host = urlparse(live_server).hostname
        page.on("request", lambda req: outside.append(req.url)
                if urlparse(req.url).hostname not in (host, None) and not req.url.startswith("data:") else None)
        log_in(page, live_server, "relocation_officer")

        # Find the enterprise in the table and open its page.
        page.click("text=搬迁管理")
        page.fill("input[name=q]", name)
        page.click("#filters button[type=submit]")
        page.click(f"#enterprise-table a:text-is('{name}')")
        assert page.locator("#current-stage").inner_text() == "摸底评估"
        page.wait_for_selector("#detail-map .leaflet-overlay-pane canvas")

        # Change the stage with the form.
        page.select_option("#to_stage", "agreement_signed")
        page.fill("#transition-date", "2021-03-15")
        page.fill("textarea[name=note]", "签订搬迁补偿协议（浏览器测试）")
        page.click("#transition-form button[type=submit]")
        page.wait_for_selector("#current-stage[data-stage=agreement_signed]", timeout=15000)
        assert page.locator("#current-stage").inner_text() == "协议签订"
        assert "签订搬迁补偿协议（浏览器测试）" in page.locator("#timeline").inner_text()

        assert errors == [], errors

        # The district map shows the new stage label and colour.
        page.goto(live_server + "/")
        page.wait_for_selector("body[data-map-ready='1']", state="attached", timeout=30000)
        style = page.evaluate(FEATURE_STYLE, eid)
        assert style == {"label": "协议签订", "colour": STAGE_COLOURS["agreement_signed"]}

        # So does the dashboard map today, while as of 2020 it still shows the old stage.
        errors.clear()  # the district map's own layers are another page's concern
        page.goto(live_server + "/relocation/dashboard")
        page.wait_for_selector("body[data-stage-map-ready='1']", state="attached", timeout=30000)
        colour = page.evaluate("""(eid) => window.stageLayer.getLayers()
            .find(l => l.feature.id === eid).options.fillColor""", eid)
        assert colour == STAGE_COLOURS["agreement_signed"]
        page.fill("#map-as-of", "2020-12-31")
        page.dispatch_event("#map-as-of", "change")
        page.wait_for_selector("#stage-map-status:text-is('2020-12-31')")
        page.wait_for_selector("body[data-stage-map-ready='1']", state="attached")
        old = page.evaluate("""(eid) => window.stageLayer.getLayers()
            .find(l => l.feature.id === eid).feature.properties.stage""", eid)
        assert old == "assessment"
        assert page.locator("#burnup svg polygon.area").count() == 6
        assert errors == [], errors
        assert outside == [], outside
        context.close()


def test_stale_form_is_told_to_reload(app, browser, live_server):
    with borrowed_enterprise(app, "assessment", "close") as eid:
        context = browser.new_context()
        page = context.new_page()
        log_in(page, live_server, "relocation_officer")
        page.goto(f"{live_server}/relocation/enterprises/{eid}")
        # Someone else records a transition meanwhile (through the API, as another officer would).
        page.evaluate("""async (eid) => {
            const item = await fetch(`/ogc/collections/enterprises/items/${eid}`);
            const csrf = document.querySelector('meta[name="csrf-token"]').content;
            await fetch(`/api/enterprises/${eid}/transitions`, {method: "POST",
                headers: {"Content-Type": "application/json", "If-Match": item.headers.get("ETag"), "X-CSRFToken": csrf},
                body: JSON.stringify({to_stage: "agreement_signed", date: "2021-01-10"})});
        }""", eid)
        page.select_option("#to_stage", "agreement_signed")
        page.fill("#transition-date", "2021-03-15")
        page.click("#transition-form button[type=submit]")
        page.wait_for_selector("#transition-message.error")
        assert "他人修改" in page.locator("#transition-message").inner_text()
        context.close()
