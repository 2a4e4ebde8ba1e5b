"""The conflict dialog compares geometries by value: two editors changing attributes only see "几何 相同"."""
import pytest

from tests.factories import unique
from tests.support.browser import api, open_map, open_popup, wait_ready

pytestmark = pytest.mark.browser
D = 0.0012


def _square(lon, lat, d=D):
    return {"type": "Polygon", "coordinates": [[[lon - d, lat - d], [lon + d, lat - d], [lon + d, lat + d],
                                                 [lon - d, lat + d], [lon - d, lat - d]]]}


def _stale_attribute_save(browser, live_server, lon, lat, other_change):
    """Editor B opens the form on version 1, editor A saves ``other_change``, B saves: the conflict dialog."""
    ctx_a, page_a, _ = open_map(browser, live_server, "planner")
    ctx_b, page_b, problems_b = open_map(browser, live_server, "admin")
    resp = api(page_a, "POST", "/ogc/collections/projects/items",
               {"type": "Feature", "geometry": _square(lon, lat),
                "properties": {"name": unique("几何比较"), "project_type": "public", "status": "planned"}})
    assert resp.status == 201, resp.text()
    fid = resp.json()["id"]
    page_b.reload()
    wait_ready(page_b)
    open_popup(page_b, "projects", fid)
    page_b.locator('.leaflet-popup-content [data-action="attributes"]').click()
    page_b.locator("dialog.attr-dialog").wait_for()

    etag = api(page_a, "GET", f"/ogc/collections/projects/items/{fid}").headers["etag"]
    saved = api(page_a, "PATCH", f"/ogc/collections/projects/items/{fid}", other_change, etag=etag)
    assert saved.status == 200, saved.text()

    page_b.fill('dialog.attr-dialog input[name="investment_wan"]', "222")
    page_b.click('dialog.attr-dialog [data-action="save"]')
    conflict = page_b.locator("dialog.conflict-dialog")
    conflict.wait_for()
    row = conflict.locator('tr[data-field="geometry"]')
    result = (row.inner_text(), row.get_attribute("class") or "",
              "differs" in (conflict.locator('tr[data-field="investment_wan"]').get_attribute("class") or ""))
    assert problems_b["errors"] == [], problems_b
    ctx_a.close()
    ctx_b.close()
    return result


def test_attribute_only_edits_report_the_geometry_as_the_same(browser, live_server):
    text, classes, investment_differs = _stale_attribute_save(
        browser, live_server, 113.1105, 27.9605, {"properties": {"investment_wan": 111}})
    assert "相同" in text and "不同" not in text, text
    assert "differs" not in classes
    assert investment_differs  # the attribute both changed is still shown as differing


def test_a_moved_geometry_is_reported_as_different(browser, live_server):
    text, classes, _ = _stale_attribute_save(
        browser, live_server, 113.1125, 27.9605, {"geometry": _square(113.1125 + 0.0003, 27.9605)})
    assert "不同" in text, text
    assert "differs" in classes
