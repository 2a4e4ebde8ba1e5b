"""Permalinks in Chromium: opening one restores the view; panning, toggling a layer and selecting update the address."""
from urllib.parse import parse_qs, urlparse

import pytest
from sqlalchemy import func, select

from gis_tracker.db import db
from gis_tracker.models import Enterprise, WaterBody
from tests.support.browser import open_map, wait_until

pytestmark = pytest.mark.browser


def _ready(page):
    page.locator("body[data-map-ready='1']").wait_for(state="attached", timeout=30000)
    page.locator("body[data-permalink-ready='1']").wait_for(state="attached", timeout=30000)


def _state(page) -> dict:
    return page.evaluate("""() => { const m = window.districtMap, c = m.getCenter(), SM = window.ShifengMap;
        return {lat: c.lat, lon: c.lng, zoom: m.getZoom(),
                shown: SM.config.layers.filter(l => SM.layerShown(l.id)).map(l => l.id)}; }""")


def _query(page) -> dict:
    return {k: v[0] for k, v in parse_qs(urlparse(page.url).query, keep_blank_values=True).items()}


def _enterprise(app):
    with app.app_context():
        lonlat = func.ST_Transform(Enterprise.geom, 4326)
        return db.session.execute(select(Enterprise.id, Enterprise.name, func.ST_X(lonlat), func.ST_Y(lonlat))
                                  .where(Enterprise.deleted_at.is_(None)).order_by(Enterprise.id).limit(1)).one()


def test_opening_a_permalink_restores_centre_zoom_layers_and_selection(browser, live_server, app):
    eid, name, lon, lat = _enterprise(app)
    centre = (round(lat + 0.001, 6), round(lon - 0.0015, 6))
    context, page, problems = open_map(browser, live_server, "viewer")
    link = (f"{live_server}/map?center={centre[0]},{centre[1]}&zoom=16&layers=zones,enterprises"
            f"&select=enterprises:{eid}")
    page.goto(link)
    _ready(page)
    page.locator(f'.leaflet-popup-content .popup[data-layer="enterprises"][data-fid="{eid}"]').wait_for()
    state = _state(page)
    assert abs(state["lat"] - centre[0]) < 1e-6 and abs(state["lon"] - centre[1]) < 1e-6
    assert state["zoom"] == 16
    assert sorted(state["shown"]) == ["enterprises", "zones"]  # exactly the listed overlays
    assert name in page.locator(".leaflet-popup-content").inner_text()
    assert page.locator(".leaflet-highlight-pane path").count() >= 1
    # The address still says the same (canonical form), so copying it gives the same view again.
    wait_until(page, lambda: _query(page)["center"] == f"{centre[0]:.6f},{centre[1]:.6f}",
               what="the address in its canonical form")
    query = _query(page)
    assert query["zoom"] == "16"
    assert query["layers"] == "zones,enterprises" and query["select"] == f"enterprises:{eid}"
    page.screenshot(path="var/map-permalink.png")
    assert problems["errors"] == [] and problems["dialogs"] == []
    context.close()


def test_the_address_follows_panning_toggling_and_closing(browser, live_server):
    context, page, problems = open_map(browser, live_server, "viewer")
    page.goto(live_server + "/map")
    _ready(page)
    wait_until(page, lambda: "center" in _query(page), what="the address to carry the view")
    before = _query(page)
    assert "layers" not in before  # every layer as by default: the address need not list them
    assert "water_bodies" in _state(page)["shown"]
    # Pan by dragging with the real mouse.
    box = page.locator("#map").bounding_box()
    x, y = box["x"] + box["width"] * 0.4, box["y"] + box["height"] * 0.6
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x + 120, y + 60, steps=8)
    page.mouse.move(x + 240, y + 120, steps=8)
    page.mouse.up()
    def centre_in_address():
        state, query = _state(page), _query(page)
        return query.get("center") == f"{state['lat']:.6f},{state['lon']:.6f}" and query["center"] != before["center"]
    wait_until(page, centre_in_address, what="the address to follow the pan")
    # Hide 水体 with a real click on its checkbox.
    page.get_by_role("checkbox", name="水体", exact=True).click()
    wait_until(page, lambda: "layers" in _query(page) and "water_bodies" not in _query(page)["layers"].split(","),
               what="the layer to leave the address")
    assert set(_query(page)["layers"].split(",")) == set(_state(page)["shown"])
    assert "water_bodies" not in _state(page)["shown"]
    # Zoom in with the + button: the zoom follows too.
    zoom = _state(page)["zoom"]
    page.locator(".leaflet-control-zoom-in").click()
    wait_until(page, lambda: _query(page)["zoom"] == str(zoom + 1), what="the zoom in the address")
    # Opening the address again restores what it says.
    saved, state = page.url, _state(page)
    page.goto(saved)
    _ready(page)
    again = _state(page)
    assert abs(again["lat"] - state["lat"]) < 2e-6 and abs(again["lon"] - state["lon"]) < 2e-6
    assert again["zoom"] == state["zoom"] and sorted(again["shown"]) == sorted(state["shown"])
    assert problems["errors"] == []
    context.close()


def test_fit_zooms_to_the_layer_and_a_gone_feature_gives_a_notice(browser, live_server, app):
    with app.app_context():
        lonlat = func.ST_Transform(WaterBody.geom, 4326)
        extent = db.session.execute(select(func.min(func.ST_XMin(lonlat)), func.min(func.ST_YMin(lonlat)),
                                           func.max(func.ST_XMax(lonlat)), func.max(func.ST_YMax(lonlat)))
                                    .where(WaterBody.deleted_at.is_(None))).one()
    context, page, problems = open_map(browser, live_server, "viewer")
    page.goto(live_server + "/map?fit=water_bodies&layers=")
    _ready(page)
    state = _state(page)
    assert state["shown"] == ["water_bodies"]
    inside = page.evaluate("([w, s, e, n]) => window.districtMap.getBounds().contains([[s, w], [n, e]])", list(extent))
    assert inside
    assert page.evaluate("([w, s, e, n]) => window.districtMap.getBoundsZoom([[s, w], [n, e]])", list(extent)) \
        <= state["zoom"] + 1  # as close as the layer allows

    page.goto(live_server + "/map?select=projects:2000000000")
    _ready(page)
    notice = page.locator("#map-notice")
    notice.wait_for()
    assert "projects:2000000000" in notice.inner_text() and "不存在或已删除" in notice.inner_text()
    notice.locator("button").click()
    assert page.locator("#map-notice").count() == 0
    assert problems["errors"] == []
    context.close()


def test_copy_link_with_the_clipboard_and_without_it(browser, live_server, app):
    eid, _name, lon, lat = _enterprise(app)
    context, page, problems = open_map(browser, live_server, "viewer")
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server)
    page.goto(f"{live_server}/map?center={lat},{lon}&zoom=15")
    _ready(page)
    page.get_by_role("button", name="复制链接").click()
    page.locator("#permalink-message", has_text="链接已复制").wait_for()
    copied = page.evaluate("() => navigator.clipboard.readText()")
    assert copied == page.url and "/map?center=" in copied and "zoom=15" in copied

    # A plain-http intranet: no clipboard API. The link is shown in a field, selected, for Ctrl+C.
    context.add_init_script("Object.defineProperty(navigator, 'clipboard', {value: undefined, configurable: true});")
    page.goto(f"{live_server}/map?center={lat},{lon}&zoom=14")
    _ready(page)
    page.get_by_role("button", name="复制链接").click()
    field = page.locator("#permalink-field")
    field.wait_for()
    assert field.input_value() == page.url
    assert page.evaluate("() => { const f = document.getElementById('permalink-field');"
                         " return [f.selectionStart, f.selectionEnd, f.value.length, document.activeElement === f]; }") \
        == [0, len(page.url), len(page.url), True]
    assert problems["errors"] == [] and problems["dialogs"] == []
    context.close()
