"""In Chromium: "在地图中查看" from the flags list and from a finished import opens the map at that feature or layer.

The map side of ``select=`` / ``fit=`` (zoom, highlight, popup) is the map page's (tests/web/test_map_permalink*.py);
these follow the links with real clicks and check where they land and that the map loads there.
"""
from __future__ import annotations

import pytest

from tests.factories import unique
from tests.support.browser import log_in, wait_ready
from tests.support.clients import sandbox

pytestmark = pytest.mark.browser
CSV_ONE = "名称,经度,纬度,人数\n清水塘码头,113.1055,27.8655,12\n"
CSV_TWO = CSV_ONE + "田心站,113.1602,27.9821,30\n"


@pytest.fixture(scope="module", autouse=True)
def exchange_dirs(app, tmp_path_factory):
    with sandbox(app, tmp_path_factory):
        yield


def _page(browser):
    context = browser.new_context(viewport={"width": 1366, "height": 768})
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    return context, page, errors


def _follow(page, link, live_server) -> str:
    """Click ``link`` with the mouse; return the address the map opened at (after checking it answered 200)."""
    href = link.get_attribute("href")
    with page.expect_navigation() as nav:
        link.click()
    assert nav.value is not None and nav.value.status == 200
    assert page.url == live_server + href
    wait_ready(page)
    return href


def test_flags_list_to_the_overlap_and_the_project_on_the_map(browser, live_server):
    context, page, errors = _page(browser)
    log_in(page, live_server, "planner")
    page.goto(live_server + "/flags/")
    row = page.locator("#flags-table tbody tr[data-flag]").first
    flag_id = row.get_attribute("data-flag")
    project_link = row.locator("a.map-link[data-select^='projects:']")
    project_href = project_link.get_attribute("href")
    page.screenshot(path="/tmp/links_shots/flags-list-1366.png")
    href = _follow(page, row.locator("a.map-link[data-select^='encroachments:']"), live_server)
    assert href == f"/map?select=encroachments:{flag_id}"
    page.go_back()
    page.wait_for_selector("#flags-table")
    href = _follow(page, page.locator(f"#flags-table a.map-link[href='{project_href}']").first, live_server)
    assert href.startswith("/map?select=projects:")
    assert errors == [], errors
    context.close()


@pytest.mark.parametrize("rows,expect", [(CSV_ONE, "select"), (CSV_TWO, "fit")])
def test_a_finished_import_opens_its_feature_or_its_layer(browser, live_server, tmp_path, rows, expect):
    path = tmp_path / "points.csv"
    path.write_text(rows, encoding="utf-8")
    context, page, errors = _page(browser)
    log_in(page, live_server, "planner")
    page.goto(live_server + "/exchange")
    page.set_input_files("#upload-form input[type=file]", str(path))
    page.select_option("#upload-form select[name=crs]", "EPSG:4326")
    page.click("#upload-form button[type=submit]")
    page.wait_for_selector("#extent-map[data-ready='1']")
    name = unique("maplink").replace("-", "_")
    page.fill("#new-layer-name", name)
    page.click("#commit-button")
    page.wait_for_selector("#import-result", timeout=30000)
    page.locator("#import-result").screenshot(path=f"/tmp/links_shots/import-result-{expect}.png")
    link = page.locator("#import-map-link a.map-link")
    assert link.inner_text() == "在地图中查看"
    href = _follow(page, link, live_server)
    if expect == "fit":
        assert href == f"/map?fit={name}"  # the imported layer, zoomed to it — not the whole district
    else:
        fid = page.evaluate(f"""async () => (await (await fetch('/ogc/collections/{name}/items?f=json',
            {{headers: {{Accept: 'application/geo+json'}}}})).json()).features.map(f => f.id)""")
        assert len(fid) == 1 and href == f"/map?select={name}:{fid[0]}"
    assert errors == [], errors
    context.close()
