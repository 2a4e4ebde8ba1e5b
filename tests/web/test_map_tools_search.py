"""The map's search box in Chromium, with the real keyboard and mouse: type, see results, choose one, land on it."""
import pytest
from sqlalchemy import func, select

from gis_tracker.db import db
from gis_tracker.models import Enterprise, Zone
from tests.support.browser import open_map, wait_until

pytestmark = pytest.mark.browser


def _zone(app, code):
    with app.app_context():
        lonlat = func.ST_Transform(Zone.geom, 4326)
        row = db.session.execute(select(Zone.id, Zone.name, func.ST_XMin(lonlat), func.ST_YMin(lonlat),
                                        func.ST_XMax(lonlat), func.ST_YMax(lonlat)).where(Zone.code == code)).one()
    return row[0], row[1], row[2:]


def _view(page):
    return page.evaluate("""() => { const m = window.districtMap, b = m.getBounds();
        return {zoom: m.getZoom(), w: b.getWest(), s: b.getSouth(), e: b.getEast(), n: b.getNorth()}; }""")


def _highlighted(page) -> int:
    return page.locator(".leaflet-highlight-pane path").count()


def test_pinyin_initials_then_a_click_zooms_to_the_zone_and_highlights_it(browser, live_server, app):
    zone_id, name, (minx, miny, maxx, maxy) = _zone(app, "QST")
    context, page, problems = open_map(browser, live_server, "viewer")
    page.locator("body[data-permalink-ready='1']").wait_for(state="attached")
    before = _view(page)
    box = page.locator("#map-search-input")
    box.click()
    page.keyboard.type("qst", delay=60)
    option = page.locator(f'.map-search-option[data-collection="zones"][data-fid="{zone_id}"]')
    option.wait_for()
    assert name in option.inner_text() and "规划片区" in option.inner_text()
    assert page.locator("#map-search-input").get_attribute("aria-expanded") == "true"
    option.click()
    page.locator(f'.leaflet-popup-content .popup[data-layer="zones"][data-fid="{zone_id}"]').wait_for()
    after = _view(page)
    # The map shows the whole zone, closer than the district view, and the zone is drawn highlighted.
    assert after["w"] <= minx and after["e"] >= maxx and after["s"] <= miny and after["n"] >= maxy
    assert after["zoom"] > before["zoom"]
    assert _highlighted(page) >= 1
    assert box.input_value() == name
    assert page.locator("#map-search-results").is_hidden()
    wait_until(page, lambda: f"select=zones:{zone_id}" in page.url, what="the address to name the selection")
    page.screenshot(path="var/map-search-result.png")
    assert problems["errors"] == [] and problems["dialogs"] == []
    context.close()


def test_keyboard_navigation_and_an_enterprise_by_credit_code(browser, live_server, app):
    with app.app_context():
        eid, name, code = db.session.execute(
            select(Enterprise.id, Enterprise.name, Enterprise.credit_code)
            .where(Enterprise.credit_code.is_not(None), Enterprise.deleted_at.is_(None))
            .order_by(Enterprise.id.desc()).limit(1)).one()
    context, page, problems = open_map(browser, live_server, "viewer")
    page.locator("#map-search-input").click()
    page.keyboard.type(code, delay=20)
    first = page.locator(".map-search-option").first
    first.wait_for()
    assert page.locator(".map-search-option").first.get_attribute("data-fid") == str(eid)
    assert code in first.inner_text()  # why it matched: the credit code is shown
    page.keyboard.press("ArrowDown")
    assert first.get_attribute("aria-selected") == "true"
    assert page.locator("#map-search-input").get_attribute("aria-activedescendant") == first.get_attribute("id")
    page.keyboard.press("Enter")
    page.locator(f'.leaflet-popup-content .popup[data-layer="enterprises"][data-fid="{eid}"]').wait_for()
    assert name in page.locator(".leaflet-popup-content").inner_text()
    centre = page.evaluate("() => { const c = window.districtMap.getCenter(); return [c.lng, c.lat]; }")
    with app.app_context():
        lon, lat = db.session.execute(select(func.ST_X(func.ST_Transform(Enterprise.geom, 4326)),
                                             func.ST_Y(func.ST_Transform(Enterprise.geom, 4326)))
                                      .where(Enterprise.id == eid)).one()
    assert page.evaluate("() => window.districtMap.getZoom()") >= 16
    assert page.evaluate("([lat, lon]) => window.districtMap.getBounds().contains([lat, lon])", [lat, lon])
    assert abs(centre[0] - lon) < 0.01 and abs(centre[1] - lat) < 0.01
    assert _highlighted(page) >= 1
    # Escape closes the list; nothing found says so.
    page.locator("#map-search-input").fill("")
    page.locator("#map-search-input").click()
    page.keyboard.type("zzqx找不到的名字", delay=20)
    page.locator(".map-search-status", has_text="没有找到").wait_for()
    assert problems["errors"] == []
    context.close()


def test_stored_markup_in_a_name_is_shown_as_text(browser, live_server, app):
    from tests.factories import temporary_project

    hostile = "<img src=x onerror=alert(1)>检索"
    with temporary_project(app, hostile, 113.10, 27.90, 40):
        context, page, problems = open_map(browser, live_server, "viewer")
        page.locator("#map-search-input").click()
        page.keyboard.type("onerror=alert", delay=10)
        option = page.locator(".map-search-option").first
        option.wait_for()
        assert hostile in option.inner_text()
        assert page.locator("#map-search img").count() == 0
        assert problems["dialogs"] == [] and problems["errors"] == []
        context.close()
