"""The map's attribute table (headless Chromium, real server, real PostGIS): paging, sort, filter, zoom to a
row, edit in place with the ETag rules (stored for a planner, no controls for a viewer, a conflict, the review
gate's 409) and the export of exactly the filtered, sorted rows."""
import csv
import io
import json
from urllib.parse import quote

import pytest
from openpyxl import load_workbook
from shapely.geometry import box

from tests.factories import add_protected, cell, lonlat, retire, unique
from tests.support.browser import api, open_map, wait_until

pytestmark = pytest.mark.browser
TABLE = "#map-table"
ROWS = "#map-table tbody tr[data-fid]"
CELLS = (56, 57, 58, 59)  # test cells of this module (tests/factories.py)


def _project(page, name, i, investment=None, status="planned", size=150.0):
    x, y = cell(CELLS[i % len(CELLS)])
    x, y = x + 20 + (i // len(CELLS)) * 170, y + 20
    props = {"name": name, "project_type": "public", "status": status}
    if investment is not None:
        props["investment_wan"] = investment
    resp = api(page, "POST", "/ogc/collections/projects/items",
               {"type": "Feature", "geometry": lonlat(box(x, y, x + size, y + size)), "properties": props})
    assert resp.status == 201, resp.text()
    return resp.json()["id"]


def _remove(page, *fids):
    for fid in fids:
        got = api(page, "GET", f"/ogc/collections/projects/items/{fid}")
        if got.ok:
            api(page, "DELETE", f"/ogc/collections/projects/items/{fid}", etag=got.headers["etag"])


def _items(page, query=""):
    return api(page, "GET", "/ogc/collections/projects/items?" + query).json()


def _open_table(page, layer="projects"):
    page.click("#map-table-button")
    page.locator(TABLE).wait_for()
    page.select_option("#map-table-layer", layer)
    wait_until(page, lambda: page.get_attribute(TABLE, "data-layer") == layer
               and page.get_attribute(TABLE, "data-ready") is not None
               and page.get_attribute(TABLE, "data-loading") is None, what="the table of " + layer)


def _settled(page):
    """Wait until the last request of the table has been drawn."""
    wait_until(page, lambda: page.get_attribute(TABLE, "data-loading") is None, what="the table to load")


def _count_text(page):
    return page.inner_text("#map-table .map-table-count")


def _names(page):
    return page.locator(f'{ROWS} td[data-field="name"]').all_inner_texts()


def _filter(page, field, op, value=None):
    before = page.get_attribute(TABLE, "data-ready")
    page.select_option("#map-table .filter-field", field)
    page.select_option("#map-table .filter-op", op)
    if value is not None:
        target = page.locator("#map-table .filter-value")
        if target.evaluate("n => n.tagName") == "SELECT":
            target.select_option(value)
        else:
            target.fill(value)
    page.click('#map-table [data-action="add-filter"]')
    wait_until(page, lambda: page.get_attribute(TABLE, "data-ready") != before, what="the filtered table")
    _settled(page)


def test_the_table_pages_sorts_filters_with_labels_and_zooms_to_a_row(browser, live_server):
    context, page, problems = open_map(browser, live_server, "planner")
    prefix = unique("属性表")
    fids = [_project(page, f"{prefix}-甲", 0, 300.0), _project(page, f"{prefix}-乙", 1, 100.0),
            _project(page, f"{prefix}-丙", 2, 200.0)]
    try:
        page.reload()
        page.locator("body[data-map-ready='1']").wait_for(state="attached")
        _open_table(page)
        total = _items(page, "limit=1")["numberMatched"]
        assert total > 25
        assert _count_text(page) == f"共 {total} 条"
        # Headers are the catalogue's labels, values the choice labels: no codes.
        headers = page.locator("#map-table thead th").all_inner_texts()
        assert "项目名称" in " ".join(headers) and "投资（万元）" in " ".join(headers)
        assert not any("investment_wan" in h or h.strip() == "status" for h in headers)
        statuses = set(page.locator(f'{ROWS} td[data-field="status"]').all_inner_texts())
        assert statuses and statuses <= {"规划中", "已批复", "在建", "已建成"}, statuses

        # Paging: 25 a page, numberMatched gives the range.
        page.select_option("#map-table .page-size", "25")
        wait_until(page, lambda: page.locator(ROWS).count() == 25, what="25 rows")
        assert page.inner_text("#map-table .map-table-range") == f"第 1–25 条，共 {total} 条"
        first_page = page.locator(ROWS).first.get_attribute("data-fid")
        page.click('#map-table [data-page="next"]')
        wait_until(page, lambda: page.inner_text("#map-table .map-table-range").startswith("第 26–"),
                   what="the second page")
        assert page.inner_text("#map-table .map-table-range") == f"第 26–{min(50, total)} 条，共 {total} 条"
        assert page.locator(ROWS).first.get_attribute("data-fid") != first_page
        assert page.locator(ROWS).count() == min(25, total - 25)

        # Sort: first click ascending, second descending (sortby on the items request), back to page 1.
        header = page.locator('#map-table thead th[data-field="investment_wan"]')
        header.locator("button").click()
        wait_until(page, lambda: header.get_attribute("aria-sort") == "ascending", what="ascending")
        _settled(page)
        header.locator("button").click()
        wait_until(page, lambda: header.get_attribute("aria-sort") == "descending", what="descending")
        _settled(page)
        top = _items(page, "limit=1&sortby=-investment_wan")["features"][0]
        wait_until(page, lambda: page.locator(ROWS).first.get_attribute("data-fid") == str(top["id"]),
                   what="the largest investment first")
        assert page.inner_text("#map-table .map-table-range").startswith("第 1–25 条")

        # Filter: name contains the prefix (3 rows), then investment ≥ 150 (2 rows, still sorted descending).
        _filter(page, "name", "contains", prefix)
        assert _count_text(page) == "共 3 条"
        assert sorted(_names(page)) == sorted(f"{prefix}-{s}" for s in "甲乙丙")
        _filter(page, "investment_wan", "ge", "150")
        assert _names(page) == [f"{prefix}-甲", f"{prefix}-丙"]
        chips = page.locator("#map-table .filter-chip").all_inner_texts()
        assert any("项目名称 包含 " + prefix in c for c in chips) and any("投资（万元） 大于等于 150" in c for c in chips)
        _filter(page, "status", "eq", "planned")  # a choice: offered by its label
        assert "状态 等于 规划中" in " ".join(page.locator("#map-table .filter-chip").all_inner_texts())
        assert _names(page) == [f"{prefix}-甲", f"{prefix}-丙"]

        # A click on a row zooms the map to the feature and highlights it.
        page.evaluate("() => { window.districtMap.setView([27.9, 113.1], 11, {animate: false}); }")
        row = page.locator(f'{ROWS}[data-fid="{fids[2]}"]')
        row.locator('td[data-field="name"]').click()
        wait_until(page, lambda: page.evaluate("window.districtMap.getZoom()") >= 15, what="the map to zoom in")
        x, y = cell(CELLS[2])
        centre = lonlat(box(x + 20, y + 20, x + 170, y + 170).centroid)["coordinates"]
        assert page.evaluate("([lon, lat]) => window.districtMap.getBounds().contains([lat, lon])", centre)
        assert "selected" in row.get_attribute("class")
        wait_until(page, lambda: page.locator(".leaflet-highlight-pane path").count() > 0,
                   what="the chosen feature highlighted")
        # The map's controls are above the table, not under it.
        table_top = page.locator(TABLE).bounding_box()["y"]
        for control in (".leaflet-control-zoom", "#legend", ".leaflet-control-scale"):
            box_ = page.locator(control).first.bounding_box()
            assert box_["y"] + box_["height"] <= table_top + 1, control
        assert problems["errors"] == [] and problems["dialogs"] == [], problems
    finally:
        _remove(page, *fids)
        context.close()


def test_the_table_collapses_and_resizes_without_covering_the_map(browser, live_server):
    context, page, problems = open_map(browser, live_server, "viewer")
    _open_table(page, "zones")
    panel = page.locator(TABLE)
    start = panel.bounding_box()
    handle = page.locator("#map-table .map-table-resize").bounding_box()
    page.mouse.move(handle["x"] + 200, handle["y"] + 3)
    page.mouse.down()
    page.mouse.move(handle["x"] + 200, handle["y"] - 120, steps=6)
    page.mouse.up()
    grown = panel.bounding_box()
    assert grown["height"] > start["height"] + 100
    map_box = page.locator("#map").bounding_box()
    assert abs(map_box["y"] + map_box["height"] - grown["y"]) <= 2  # the map ends where the table begins
    page.click('#map-table [data-action="collapse"]')
    wait_until(page, lambda: panel.bounding_box()["height"] < 80, what="the collapsed table")
    assert page.locator("#map-table .map-table-scroll").is_hidden()
    page.click('#map-table [data-action="collapse"]')
    wait_until(page, lambda: abs(panel.bounding_box()["height"] - grown["height"]) < 3, what="the table again")
    # Columns: hide one, show one the popup leaves out.
    assert page.locator('#map-table thead th[data-field="parent_code"]').count() == 0
    page.click("#map-table .map-table-columns summary")
    page.check('#map-table .column-list input[data-column="parent_code"]')
    page.uncheck('#map-table .column-list input[data-column="name_en"]')
    assert page.locator('#map-table thead th[data-field="parent_code"]').inner_text().startswith("上级片区")
    assert page.locator('#map-table thead th[data-field="name_en"]').count() == 0
    assert page.locator(f'{ROWS} td[data-field="parent_code"]').count() == page.locator(ROWS).count() > 0
    page.click("#map-table .map-table-columns summary")
    # A long table scrolls inside itself: the page does not grow.
    assert page.evaluate("document.scrollingElement.scrollHeight <= window.innerHeight + 1")
    page.click('#map-table [data-action="close"]')
    page.locator(TABLE).wait_for(state="detached")
    map_box = page.locator("#map").bounding_box()
    assert map_box["y"] + map_box["height"] >= 859  # the whole height again
    assert problems["errors"] == [], problems
    context.close()


def _edit(page, fid, field, value):
    td = page.locator(f'{ROWS}[data-fid="{fid}"] td[data-field="{field}"]')
    td.dblclick()
    target = td.locator(".cell-input")
    target.wait_for()
    if target.evaluate("n => n.tagName") == "SELECT":
        target.select_option(value)
    else:
        target.fill(value)
    return td


def test_a_planner_edits_cells_in_place_and_a_viewer_gets_no_edit_controls(browser, live_server):
    context, page, problems = open_map(browser, live_server, "planner")
    name = unique("表内编辑") + "<b>粗</b>"
    fid = _project(page, name, 3, 10.0)
    try:
        _open_table(page)
        _filter(page, "name", "contains", name)
        assert _names(page) == [name]                       # markup stays text
        assert page.locator("#map-table tbody b").count() == 0
        td = _edit(page, fid, "investment_wan", "4321.5")
        td.locator(".cell-input").press("Enter")
        wait_until(page, lambda: td.inner_text() == "4,321.5", what="the saved value")
        td = _edit(page, fid, "project_type", "commercial")  # a choice: a select of labels
        td.locator('[data-action="cell-save"]').click()
        wait_until(page, lambda: td.inner_text() == "商业", what="the saved choice")
        stored = api(page, "GET", f"/ogc/collections/projects/items/{fid}")
        assert stored.json()["properties"]["investment_wan"] == 4321.5
        assert stored.json()["properties"]["project_type"] == "commercial"
        assert stored.headers["etag"].endswith('-v3"')
        assert "已保存" in page.inner_text("#map-table .map-table-message")
        # Computed and read-only fields have no editor.
        for field in ("zone_name", "restoration_status"):
            cell_ = page.locator(f'{ROWS}[data-fid="{fid}"] td[data-field="{field}"]')
            assert "editable" not in (cell_.get_attribute("class") or "")
            cell_.dblclick()
            assert cell_.locator(".cell-input").count() == 0
        assert problems["errors"] == [], problems
    finally:
        viewer_context, viewer, viewer_problems = open_map(browser, live_server, "viewer")
        try:
            _open_table(viewer)
            _filter(viewer, "name", "contains", name)
            assert _names(viewer) == [name]
            assert viewer.get_attribute(TABLE, "data-editable") == "0"
            assert viewer.locator("#map-table td.editable, #map-table th.editable").count() == 0
            viewer.locator(f'{ROWS}[data-fid="{fid}"] td[data-field="investment_wan"]').dblclick()
            assert viewer.locator("#map-table .cell-input").count() == 0
            # And the server refuses the viewer's save anyway.
            etag = api(viewer, "GET", f"/ogc/collections/projects/items/{fid}").headers["etag"]
            assert api(viewer, "PATCH", f"/ogc/collections/projects/items/{fid}",
                       {"properties": {"investment_wan": 1}}, etag).status == 403
            assert viewer_problems["errors"] == [], viewer_problems
        finally:
            viewer_context.close()
            _remove(page, fid)
            context.close()


def test_per_field_rights_of_a_relocation_officer(browser, live_server):
    context, page, problems = open_map(browser, live_server, "relocation_officer")
    _open_table(page, "enterprises")
    assert "editable" in page.get_attribute('#map-table thead th[data-field="contact_person"]', "class")
    assert "editable" not in (page.get_attribute('#map-table thead th[data-field="name"]', "class") or "")
    first = page.locator(ROWS).first
    assert "editable" in first.locator('td[data-field="contact_person"]').get_attribute("class")
    assert "editable" not in (first.locator('td[data-field="name"]').get_attribute("class") or "")
    assert problems["errors"] == [], problems
    context.close()


def test_a_concurrent_edit_is_a_readable_conflict_that_reloads_the_row_and_keeps_the_input(browser, live_server):
    context, page, problems = open_map(browser, live_server, "planner")
    name = unique("并发")
    fid = _project(page, name, 0, 1.0)
    try:
        _open_table(page)
        _filter(page, "name", "contains", name)
        td = _edit(page, fid, "investment_wan", "777")       # the editor holds version 1's ETag
        other_context, other, _ = open_map(browser, live_server, "admin")
        etag = api(other, "GET", f"/ogc/collections/projects/items/{fid}").headers["etag"]
        theirs = api(other, "PATCH", f"/ogc/collections/projects/items/{fid}",
                     {"properties": {"investment_wan": 555.0, "description": "他人修改"}}, etag)
        assert theirs.status == 200, theirs.text()
        other_context.close()
        td.locator('[data-action="cell-save"]').click()
        message = td.locator(".cell-message")
        wait_until(page, lambda: "保存冲突" in message.inner_text(), what="the conflict message")
        assert "admin" in message.inner_text()
        row = page.locator(f'{ROWS}[data-fid="{fid}"]')
        assert row.locator('td[data-field="description"]').inner_text() == "他人修改"  # the row reloaded
        assert td.locator(".cell-input").input_value() == "777"                          # nothing lost
        assert api(page, "GET", f"/ogc/collections/projects/items/{fid}").json()["properties"]["investment_wan"] == 555
        td.locator('[data-action="cell-save"]').click()                                 # save again: mine
        wait_until(page, lambda: td.inner_text() == "777", what="my value saved")
        stored = api(page, "GET", f"/ogc/collections/projects/items/{fid}").json()["properties"]
        assert stored["investment_wan"] == 777 and stored["description"] == "他人修改"
        assert problems["errors"] == [], problems
    finally:
        _remove(page, fid)
        context.close()


def test_the_review_gate_refusal_shows_its_message_and_stores_nothing(browser, live_server, session):
    x, y = cell(CELLS[1])
    zone = add_protected(session, box(x, y, x + 200, y + 200), category="green_heart", tier="prohibited")
    context, page, problems = open_map(browser, live_server, "planner")
    name = unique("审查拦截")
    fid = _project(page, name, 1, size=150.0)
    try:
        _open_table(page)
        _filter(page, "name", "contains", name)
        td = _edit(page, fid, "status", "approved")
        td.locator('[data-action="cell-save"]').click()
        message = td.locator(".cell-message")
        wait_until(page, lambda: "两型审查" in message.inner_text(), what="the review message")
        assert "已批复" in message.inner_text()
        assert message.locator("a.review-link").get_attribute("href") == f"/flags/projects/{fid}"
        assert "两型审查" in page.inner_text("#map-table .map-table-message")
        assert td.locator(".cell-input").count() == 1                        # still editable, nothing lost
        assert api(page, "GET", f"/ogc/collections/projects/items/{fid}").json()["properties"]["status"] == "planned"
        assert problems["errors"] == [], problems
    finally:
        _remove(page, fid)
        context.close()
        retire(session, zone)


def test_export_carries_exactly_the_filter_and_the_sort(browser, live_server):
    context, page, problems = open_map(browser, live_server, "planner")
    prefix = unique("导出表")
    names = [f"{prefix}-a", f"=HYPERLINK(\"http://x\")&{prefix}", f"{prefix}-c"]
    fids = [_project(page, names[0], 0, 30.0), _project(page, names[1], 1, 10.0),
            _project(page, names[2], 2, 20.0), _project(page, unique("不导出"), 3, 40.0)]
    try:
        _open_table(page)
        _filter(page, "name", "contains", prefix)
        header = page.locator('#map-table thead th[data-field="investment_wan"]')
        header.locator("button").click()
        _settled(page)
        header.locator("button").click()
        wait_until(page, lambda: header.get_attribute("aria-sort") == "descending", what="descending")
        _settled(page)
        expected = [names[0], names[2], names[1]]                      # 30, 20, 10
        assert _names(page) == expected
        href = page.get_attribute('#map-table [data-export="csv"]', "href")
        assert "sortby=-investment_wan" in href and "filter-lang=cql2-json" in href
        with page.expect_download() as info:
            page.click('#map-table [data-export="csv"]')
        assert info.value.suggested_filename.endswith(".csv")
        with open(info.value.path(), encoding="utf-8-sig") as fh:
            text = fh.read()
        rows = list(csv.DictReader(io.StringIO(text)))
        exported = [r["name"] for r in rows]
        assert exported == [expected[0], expected[1], "'" + expected[2]]  # a formula is neutralised
        with page.expect_download() as info:
            page.click('#map-table [data-export="xlsx"]')
        assert info.value.suggested_filename.endswith(".xlsx")
        with open(info.value.path(), "rb") as fh:
            sheet = load_workbook(io.BytesIO(fh.read())).active
        values = list(sheet.iter_rows(values_only=True))
        column = values[0].index("name")
        assert [r[column] for r in values[1:]] == expected
        formula = [c for c in sheet.iter_rows(min_row=2) if c[column].value == expected[2]][0][column]
        assert formula.data_type == "s" and formula.quotePrefix
        # The link is the table's own query: the same rows from the API.
        query = "filter=" + quote(json.dumps({"op": "like", "args": [
            {"op": "casei", "args": [{"property": "name"}]}, {"op": "casei", "args": [f"%{prefix}%"]}]}))
        assert [f["properties"]["name"] for f in _items(page, query + "&filter-lang=cql2-json&sortby=-investment_wan")
                ["features"]] == expected
        assert problems["errors"] == [], problems
    finally:
        _remove(page, *fids)
        context.close()
