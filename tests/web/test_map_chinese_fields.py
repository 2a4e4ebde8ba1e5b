"""A GBK Shapefile with Chinese column names, imported in the browser: the preview proposes pinyin field names
with the Chinese names as titles, and the map's popup and attribute form show the Chinese titles."""
from __future__ import annotations

import geopandas as gpd
import pytest
from shapely.geometry import box

from gis_tracker.rules import layer_specs
from tests.factories import X0, Y0, shapefile_zip, unique
from tests.support.browser import log_in, open_popup, wait_ready
from tests.support.clients import sandbox

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module", autouse=True)
def exchange_dirs(app, tmp_path_factory):
    with sandbox(app, tmp_path_factory):
        yield


def test_chinese_columns_become_labels_in_preview_popup_and_form(browser, live_server, tmp_path):
    frame = gpd.GeoDataFrame({"企业名称": ["株洲示例化工"], "占地面积": [1250.5]},
                             geometry=[box(X0 + 7000, Y0, X0 + 7300, Y0 + 200)], crs="EPSG:4547")
    path = shapefile_zip(frame, tmp_path, "zhcols", encoding="GBK", drop=("cpg",), clear_ldid=True)
    context = browser.new_context(viewport={"width": 1366, "height": 768})
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    log_in(page, live_server, "planner")
    page.goto(live_server + "/exchange")
    page.set_input_files("#upload-form input[name=file]", str(path))
    page.click("#upload-form button[type=submit]")
    page.locator("#fields-table").wait_for()
    rows = page.evaluate("""() => [...document.querySelectorAll('#fields-table tbody tr')].map(tr => [
        tr.children[1].textContent.trim(), tr.querySelector('input[name^=name_]').value,
        tr.querySelector('input[name^=label_]').value])""")
    assert [r[0] for r in rows] == ["企业名称", "占地面积"] and [r[2] for r in rows] == ["企业名称", "占地面积"]
    assert all(layer_specs.FIELD_NAME.fullmatch(r[1]) and not r[1].startswith("field_") for r in rows), rows
    assert [r[1] for r in rows] == ["qi_ye_ming_cheng", "zhan_di_mian_ji"]
    name = unique("zhmap").replace("-", "_")
    page.fill("#new-layer-name", name)
    page.click("#commit-button")
    page.get_by_text("导入完成").first.wait_for()

    page.goto(live_server + "/")
    wait_ready(page)
    page.wait_for_function("n => window.mapLayers[n] && window.mapLayers[n].getLayers().length > 0", arg=name)
    if not page.evaluate("n => window.districtMap.hasLayer(window.mapLayers[n])", name):
        page.evaluate("n => window.districtMap.addLayer(window.mapLayers[n])", name)
    fid = page.evaluate("n => window.mapLayers[n].getLayers()[0].feature.id", name)
    open_popup(page, name, fid)
    popup = page.locator(f'.leaflet-popup-content .popup[data-fid="{fid}"]')
    text = popup.inner_text()
    assert "企业名称" in text and "株洲示例化工" in text and "占地面积" in text, text
    assert "qi_ye_ming_cheng" not in text and "field_" not in text
    popup.locator('[data-action="attributes"]').click()
    form = page.locator("dialog.attr-dialog")
    form.wait_for()
    labels = form.locator(".form-row").all_inner_texts()
    assert any("企业名称" in t for t in labels) and not any("field_" in t for t in labels), labels
    page.screenshot(path="/tmp/chinese-fields-form.png")
    form.locator('[data-action="cancel"]').click()
    assert errors == []
    context.close()
