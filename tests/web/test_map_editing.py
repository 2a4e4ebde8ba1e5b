"""Editing in the map (headless Chromium, real server, real PostGIS): draw, form, save, reshape, XSS."""
import pytest

from tests.conftest import unique
from tests.web.map_helpers import api, click_at, feature_id, open_map, open_popup, view, wait_ready

pytestmark = pytest.mark.browser
HOSTILE = "<script>alert(1)</script>"
SPOT = (113.0985, 27.9585)  # an open spot inside the district
D = 0.0012


def test_draw_polygon_fill_form_save_reload_and_hostile_text_stays_text(browser, live_server):
    context, page, problems = open_map(browser, live_server, "planner")
    view(page, SPOT[0], SPOT[1], 16)
    page.select_option("#edit-layer", "projects")
    page.click('button[data-draw="Polygon"]')
    lon, lat = SPOT
    corners = [(lon - D, lat - D), (lon + D, lat - D), (lon + D, lat + D), (lon - D, lat + D)]
    for c in corners:
        click_at(page, *c)
    assert "m²" in page.inner_text("#measure-box") and "亩" in page.inner_text("#measure-box")
    click_at(page, lon, lat + 2 * D)          # a fifth vertex, taken back with Ctrl+Z
    page.keyboard.press("Control+z")
    page.keyboard.press("Enter")              # finish: the attribute form opens

    dialog = page.locator("dialog.attr-dialog")
    dialog.wait_for()
    assert dialog.locator('.form-row.is-required[data-field="name"] abbr.required').count() == 1
    assert dialog.locator('select[name="project_type"] option').count() > 3  # choices as a select
    assert dialog.locator('input[name="investment_wan"]').get_attribute("type") == "number"
    dialog.locator('[data-action="save"]').click()                       # name missing: 422 names it
    page.locator('.form-row.field-error[data-field="name"]').wait_for()
    assert "名称" in dialog.locator('.form-row[data-field="name"] .field-message').inner_text()

    name = HOSTILE + unique("项目")
    dialog.locator('input[name="name"]').fill(name)
    dialog.locator('select[name="project_type"]').select_option("public")
    dialog.locator('select[name="status"]').select_option("planned")
    dialog.locator('input[name="investment_wan"]').fill("1234.5")
    dialog.locator('[data-action="save"]').click()
    dialog.wait_for(state="detached")
    fid = feature_id(page, "projects", "name", name)
    assert fid is not None

    saved = api(page, "GET", f"/ogc/collections/projects/items/{fid}").json()
    ring = saved["geometry"]["coordinates"][0][0]
    assert len(ring) == 5  # four corners + closing point: the undone vertex is gone
    assert saved["properties"]["investment_wan"] == 1234.5
    # m² shown while drawing ≈ the stored area (2·D° square at 27.96°N ≈ 0.0234 km²)
    page.reload()
    wait_ready(page)
    assert feature_id(page, "projects", "name", name) == fid

    open_popup(page, "projects", fid)
    popup = page.locator(".leaflet-popup-content")
    assert name in popup.inner_text()
    assert popup.locator("script").count() == 0
    popup.locator('[data-action="attributes"]').click()
    form = page.locator("dialog.attr-dialog")
    form.wait_for()
    assert form.locator('input[name="name"]').input_value() == name
    form.locator('[data-action="cancel"]').click()

    open_popup(page, "projects", fid)
    page.locator('.leaflet-popup-content [data-action="history"]').click()
    page.wait_for_function("document.body.dataset.historyReady === '1'")
    panel = page.locator("#history-panel")
    assert name in panel.inner_text() and "planner" in panel.inner_text()
    assert panel.locator("script").count() == 0
    assert problems["dialogs"] == [] and problems["errors"] == [], problems
    context.close()
