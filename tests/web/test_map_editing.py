"""Editing in the map (headless Chromium, real server, real PostGIS): draw, form, save, reshape, XSS."""
import json

import pytest

from tests.factories import unique
from tests.support.browser import api, click_at, feature_id, open_map, open_popup, pixel, view, wait_ready
from tests.support.clients import csrf_token_of, login

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


def _square(lon, lat, d=D):
    return {"type": "Polygon", "coordinates": [[[lon - d, lat - d], [lon + d, lat - d], [lon + d, lat + d],
                                                 [lon - d, lat + d], [lon - d, lat - d]]]}


def _create_project(page, name, lon, lat):
    resp = api(page, "POST", "/ogc/collections/projects/items",
               {"type": "Feature", "geometry": _square(lon, lat),
                "properties": {"name": name, "project_type": "public", "status": "planned"}})
    assert resp.status == 201, resp.text()
    page.reload()
    wait_ready(page)
    return resp.json()["id"]


def test_move_a_vertex_and_save(browser, live_server):
    context, page, problems = open_map(browser, live_server, "planner")
    lon, lat = 113.1035, 27.9585
    fid = _create_project(page, unique("改形"), lon, lat)
    open_popup(page, "projects", fid)
    page.locator('.leaflet-popup-content [data-action="shape"]').click()
    page.locator(".marker-icon").first.wait_for()
    page.locator(".leaflet-popup").wait_for(state="detached")  # the popup fades out first
    # Drag the north-east corner 0.0008° east with the real mouse.
    x, y = pixel(page, lon + D, lat + D)
    page.mouse.move(x, y)
    page.mouse.down()
    tx, ty = pixel(page, lon + D + 0.0008, lat + D)
    page.mouse.move(tx, ty, steps=8)
    page.mouse.up()
    page.click('#edit-panel [data-action="save-shape"]')
    page.wait_for_function("document.getElementById('map-status').textContent.length > 0")
    assert page.evaluate("window.mapEdit.session()") is None
    saved = api(page, "GET", f"/ogc/collections/projects/items/{fid}")
    assert saved.headers["etag"].endswith('-v2"')
    ring = saved.json()["geometry"]["coordinates"][0][0]
    assert any(abs(p[0] - (lon + D + 0.0008)) < 0.0001 and abs(p[1] - (lat + D)) < 0.0001 for p in ring), ring
    assert not any(abs(p[0] - (lon + D)) < 1e-7 and abs(p[1] - (lat + D)) < 1e-7 for p in ring)
    assert problems["errors"] == [], problems
    context.close()


def test_two_editors_same_feature_conflict_dialog_and_nothing_lost(browser, live_server):
    ctx_a, page_a, _ = open_map(browser, live_server, "planner")
    ctx_b, page_b, problems_b = open_map(browser, live_server, "admin")
    fid = _create_project(page_a, unique("冲突"), 113.1085, 27.9585)
    page_b.reload()
    wait_ready(page_b)
    for page in (page_a, page_b):  # both open the form on version 1
        open_popup(page, "projects", fid)
        page.locator('.leaflet-popup-content [data-action="attributes"]').click()
        page.locator("dialog.attr-dialog").wait_for()
    page_a.fill('dialog.attr-dialog input[name="investment_wan"]', "111")
    page_a.click('dialog.attr-dialog [data-action="save"]')
    page_a.locator("dialog.attr-dialog").wait_for(state="detached")

    page_b.fill('dialog.attr-dialog input[name="investment_wan"]', "222")
    page_b.click('dialog.attr-dialog [data-action="save"]')
    conflict = page_b.locator("dialog.conflict-dialog")
    conflict.wait_for()
    row = conflict.locator('tr[data-field="investment_wan"]')
    assert "differs" in row.get_attribute("class")
    cells = row.locator("td").all_inner_texts()
    assert cells == ["111", "222"]  # theirs beside mine
    assert "planner" in conflict.inner_text()
    assert api(page_b, "GET", f"/ogc/collections/projects/items/{fid}").json()["properties"]["investment_wan"] == 111
    conflict.locator('[data-action="keep-mine"]').click()
    page_b.locator("dialog.attr-dialog").wait_for(state="detached")
    now = api(page_b, "GET", f"/ogc/collections/projects/items/{fid}")
    assert now.json()["properties"]["investment_wan"] == 222 and now.headers["etag"].endswith('-v3"')
    versions = api(page_b, "GET", f"/api/collections/projects/items/{fid}/versions").json()["versions"]
    assert [v["properties"].get("investment_wan") for v in versions] == [None, 111, 222]  # nothing lost
    assert [v["username"] for v in versions[1:]] == ["planner", "admin"]

    # The history shows the change and restores the other editor's version as a new version.
    page_b.reload()
    wait_ready(page_b)
    open_popup(page_b, "projects", fid)
    page_b.locator('.leaflet-popup-content [data-action="history"]').click()
    page_b.wait_for_function("document.body.dataset.historyReady === '3'")
    v2 = page_b.locator('#history-panel li.version[data-version="2"]')
    assert "111" in v2.locator('li[data-field="investment_wan"]').inner_text()
    v2.click()  # old and new geometry drawn
    v2.locator('[data-action="restore-version"]').click()
    page_b.click('dialog [data-action="confirm-restore"]')
    page_b.wait_for_function("document.body.dataset.historyReady === '4'")
    assert api(page_b, "GET", f"/ogc/collections/projects/items/{fid}").json()["properties"]["investment_wan"] == 111
    assert problems_b["errors"] == [], problems_b
    ctx_a.close()
    ctx_b.close()


def test_bowtie_is_refused_with_reason_then_repaired_after_confirmation(browser, live_server):
    context, page, problems = open_map(browser, live_server, "planner")
    lon, lat = 113.0985, 27.9635
    view(page, lon, lat, 16)
    page.select_option("#edit-layer", "projects")
    page.click('button[data-draw="Polygon"]')
    for c in [(lon - D, lat - D), (lon + D, lat + D), (lon + D, lat - D), (lon - D, lat + D)]:
        click_at(page, *c)
    click_at(page, lon - D, lat - D)  # click the first vertex: closes the ring
    dialog = page.locator("dialog.attr-dialog")
    dialog.wait_for()
    name = unique("蝴蝶")
    dialog.locator('input[name="name"]').fill(name)
    dialog.locator('select[name="project_type"]').select_option("public")
    dialog.locator('select[name="status"]').select_option("planned")
    dialog.locator('[data-action="save"]').click()
    problem = page.locator("dialog.geometry-dialog")
    problem.wait_for()
    assert "自相交" in problem.inner_text()
    where = page.evaluate("window.mapProblemLocation")
    assert abs(where[0] - lon) < 0.0002 and abs(where[1] - lat) < 0.0002  # the crossing is marked
    assert page.locator("path.problem-marker").count() == 1
    assert feature_id(page, "projects", "name", name) is None  # nothing stored

    problem.locator('[data-action="repair"]').click()
    confirm = page.locator("dialog.repair-dialog")
    confirm.wait_for()
    assert page.evaluate("window.mapRepairPreview.type") == "MultiPolygon"  # drawn before saving
    assert "2" in confirm.inner_text()
    confirm.locator('[data-action="confirm-repair"]').click()
    dialog.wait_for(state="detached")
    fid = feature_id(page, "projects", "name", name)
    stored = api(page, "GET", f"/ogc/collections/projects/items/{fid}").json()
    assert stored["geometry"]["type"] == "MultiPolygon" and len(stored["geometry"]["coordinates"]) == 2
    assert problems["errors"] == [], problems
    context.close()


def test_viewer_sees_no_editing_tools_and_api_write_is_403(app, browser, live_server):
    planner = login(app.test_client(), "planner")
    token = csrf_token_of(planner)
    created = planner.post("/ogc/collections/projects/items", content_type="application/geo+json",
                           headers={"X-CSRFToken": token}, data=json.dumps(
                               {"type": "Feature", "geometry": _square(113.0935, 27.9585),
                                "properties": {"name": unique("只读"), "project_type": "public", "status": "planned"}}))
    fid = created.get_json()["id"]
    context, page, problems = open_map(browser, live_server, "viewer")
    assert page.locator("#edit-panel").count() == 0
    assert page.evaluate("typeof window.L.PM") == "undefined"  # the editing library is not even loaded
    assert page.evaluate("typeof window.mapEdit") == "undefined"
    open_popup(page, "projects", fid)
    actions = page.locator(".leaflet-popup-content button").evaluate_all("bs => bs.map(b => b.dataset.action)")
    assert actions == ["history"]  # reading the history only
    resp = api(page, "POST", "/ogc/collections/projects/items",
               {"type": "Feature", "geometry": _square(113.1, 27.95),
                "properties": {"name": "x", "project_type": "public", "status": "planned"}})
    assert resp.status == 403
    assert problems["errors"] == [], problems
    context.close()
