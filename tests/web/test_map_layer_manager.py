"""Planners create a layer in the map, style it, draw in it; Esc cancels a drawing."""
import pytest
from sqlalchemy import func, update

from gis_tracker.db import db
from gis_tracker.models import UserLayer
from tests.factories import unique
from tests.support.browser import click_at, open_map, view, wait_ready

pytestmark = pytest.mark.browser


@pytest.fixture()
def name(app):
    """A fresh layer name; the layer is retired afterwards so other tests see only built-in collections."""
    value = unique("greenway").replace("-", "_")
    yield value
    with app.app_context():
        db.session.execute(update(UserLayer).where(UserLayer.name == value).values(deleted_at=func.now()))
        db.session.commit()


def test_create_style_and_draw_in_a_new_layer(browser, live_server, name):
    context, page, problems = open_map(browser, live_server, "planner")
    page.click('#edit-panel [data-action="manage-layers"]')
    page.click('#layers-panel [data-action="new-layer"]')
    dialog = page.locator("dialog.layer-dialog")
    dialog.locator("#new-layer-name").fill("Bad Name")
    dialog.locator("#new-layer-title").fill("<b>绿道</b>")
    dialog.locator("#new-layer-geometry").select_option("LineString")
    field = dialog.locator(".field-def").first
    field.locator('input[name="name"]').fill("grade")
    field.locator('input[name="label"]').fill("等级")
    field.locator('input[name="choices"]').fill("一级，二级")
    field.locator('input[name="required"]').check()
    dialog.locator('input[name="color"]').fill("#228b22")
    dialog.locator('[data-action="create-layer"]').click()
    dialog.locator('.form-row.field-error[data-field="name"]').wait_for()  # the bad name is pointed at
    dialog.locator("#new-layer-name").fill(name)
    with page.expect_navigation():
        dialog.locator('[data-action="create-layer"]').click()
    wait_ready(page)
    legend = page.locator(f'#legend section[data-layer="{name}"]')
    assert legend.inner_text().startswith("<b>绿道</b>")  # shown as text
    assert page.locator(f'#edit-layer option[value="{name}"]').count() == 1

    page.click('#edit-panel [data-action="manage-layers"]')
    page.locator(f'#layers-panel li[data-layer="{name}"] [data-action="style"]').click()
    style = page.locator("dialog.layer-dialog")
    style.locator('input[name="fillColor"]').fill("#ff0000")
    style.locator('input[name="weight"]').fill("5")
    style.locator('select[name="label_field"]').select_option("grade")
    with page.expect_navigation():
        style.locator('[data-action="save-style"]').click()
    wait_ready(page)
    swatch = page.locator(f'#legend section[data-layer="{name}"] .swatch').first
    assert swatch.evaluate("s => getComputedStyle(s).backgroundColor") == "rgb(34, 139, 34)"  # line: stroke colour
    layer_cfg = page.evaluate(f"window.ShifengMap.layerCfg('{name}')")
    assert layer_cfg["style"]["weight"] == 5 and layer_cfg["label_field"] == "grade"

    lon, lat = 113.0885, 27.9535
    view(page, lon, lat, 16)
    page.select_option("#edit-layer", name)
    page.click('button[data-draw="Line"]')
    click_at(page, lon, lat)
    click_at(page, lon + 0.002, lat)
    page.keyboard.press("Escape")  # Esc cancels: nothing drawn, no form
    assert page.evaluate("window.mapEdit.session()") is None
    assert page.locator("dialog").count() == 0

    page.click('button[data-draw="Line"]')
    click_at(page, lon, lat)
    click_at(page, lon + 0.002, lat)
    assert "长度" in page.inner_text("#measure-box")
    page.keyboard.press("Enter")
    form = page.locator("dialog.attr-dialog")
    form.locator('select[name="grade"]').select_option("二级")
    form.locator('[data-action="save"]').click()
    form.wait_for(state="detached")
    features = page.evaluate(f"window.mapLayers['{name}'].getLayers().map(l => l.feature)")
    assert len(features) == 1 and features[0]["properties"]["grade"] == "二级"
    assert features[0]["geometry"]["type"] == "LineString"
    assert page.locator(".feature-label").all_inner_texts() == ["二级"]  # the label field on the map
    assert problems["errors"] == [] and problems["dialogs"] == [], problems
    context.close()
