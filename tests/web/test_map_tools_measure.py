"""Measuring as a viewer and the cursor's coordinates, in Chromium with the real mouse, checked against pyproj."""
import re

import pytest
from pyproj import Geod, Transformer

from tests.support.browser import open_map, pixel, view, wait_until

pytestmark = pytest.mark.browser
CGCS2000 = Geod(a=6378137.0, f=1 / 298.257222101)
TO_4547 = Transformer.from_crs(4490, 4547, always_xy=True)
TO_ZONE_38 = Transformer.from_crs(4490, 4526, always_xy=True)  # the same projection with the zone's prefix
MU_M2 = 10000 / 15


def _readout(page) -> tuple[float, float] | None:
    readout = page.locator("#map-coords")
    raw = readout.get_attribute("data-lon"), readout.get_attribute("data-lat")
    return None if raw[0] is None else (float(raw[0]), float(raw[1]))


def _click_points(page, points) -> list[tuple[float, float]]:
    """Click the map at each lon/lat with the real mouse; return the vertices the tool recorded."""
    for lon, lat in points:
        x, y = pixel(page, lon, lat)
        page.mouse.move(x, y, steps=2)
        page.mouse.down()
        page.mouse.up()
    vertices = [tuple(v) for v in page.evaluate("window.ShifengMap.measuring.vertices()")]
    # Each vertex is where the mouse clicked: within a pixel or so of the target (a few metres at zoom 15).
    assert len(vertices) == len(points)
    for (lon, lat), (vlon, vlat) in zip(points, vertices, strict=True):
        assert abs(vlon - lon) < 1e-4 and abs(vlat - lat) < 1e-4
    return vertices


def _number(text: str, unit: str) -> float:
    found = re.search(r"([\d,]+(?:\.\d+)?)\s*" + re.escape(unit), text)
    assert found, f"no value in {unit} in {text!r}"
    return float(found.group(1).replace(",", ""))


def test_a_viewer_measures_a_distance_and_an_area(browser, live_server):
    context, page, problems = open_map(browser, live_server, "viewer")
    view(page, 113.12, 27.89, 15)
    # Distance: three points about 1.6 km apart in all; finished with a double-click on the last one.
    page.click(".measure-button[data-mode=distance]")
    line = _click_points(page, [(113.110, 27.885), (113.120, 27.885), (113.122, 27.893)])
    x, y = pixel(page, 113.122, 27.893)
    page.mouse.dblclick(x, y)
    panel = page.locator("#measure-panel")
    wait_until(page, lambda: panel.get_attribute("data-done") == "1", what="the measurement to finish")
    expected = sum(CGCS2000.inv(a[0], a[1], b[0], b[1])[2] for a, b in zip(line, line[1:]))
    assert panel.get_attribute("data-points") == "3"
    assert abs(float(panel.get_attribute("data-meters")) - expected) < 0.001  # GeographicLib = pyproj's geodesic
    text = panel.inner_text()
    assert abs(_number(text, "km") - expected / 1000) < 0.0006  # shown in km above 1 km, 3 decimals
    assert page.locator(".leaflet-popup").count() == 0  # features did not answer the clicks
    assert page.locator(".leaflet-measure-pane path").count() >= 1

    # Area: a quadrilateral of about 600 m × 450 m, finished with Enter.
    page.click(".measure-button[data-mode=area]")
    ring = _click_points(page, [(113.112, 27.886), (113.118, 27.886), (113.118, 27.890), (113.112, 27.8905)])
    page.keyboard.press("Enter")
    wait_until(page, lambda: panel.get_attribute("data-done") == "1" and panel.get_attribute("data-mode") == "area",
               what="the area to finish")
    area, perimeter = CGCS2000.polygon_area_perimeter([p[0] for p in ring], [p[1] for p in ring])
    area = abs(area)
    assert abs(float(panel.get_attribute("data-square-meters")) - area) < 0.01
    assert abs(float(panel.get_attribute("data-meters")) - perimeter) < 0.001
    text = panel.inner_text()
    assert abs(_number(text, "m²") - area) <= 0.05 + 1e-9
    assert abs(_number(text, "亩") - area / MU_M2) <= 0.005 + 1e-9
    assert abs(_number(text, "ha") - area / 10000) <= 0.00005 + 1e-9
    assert 200_000 < area < 300_000
    page.screenshot(path="var/map-measure.png")

    # Esc while drawing cancels; the clear button removes the result; clicks open popups again afterwards.
    page.click(".measure-button[data-mode=distance]")
    _click_points(page, [(113.114, 27.887)])
    page.keyboard.press("Escape")
    assert page.locator("#measure-panel").count() == 0
    assert page.locator(".leaflet-measure-pane path").count() == 0
    assert problems["errors"] == [] and problems["dialogs"] == []
    context.close()


def test_the_coordinate_readout_matches_pyproj(browser, live_server):
    context, page, problems = open_map(browser, live_server, "viewer")
    view(page, 113.13, 27.87, 16)
    readout = page.locator("#map-coords")
    for target in [(113.13, 27.87), (113.05, 27.93), (113.20, 27.82)]:
        view(page, target[0], target[1], 16)
        page.click(".measure-button[data-mode=distance]")  # so the click below opens no popup (which would pan)
        x, y = pixel(page, *target)
        page.mouse.move(x, y, steps=2)
        page.mouse.down()  # (Chromium delivers the last mouse move with the next input event)
        page.mouse.up()
        wait_until(page, lambda t=target: _readout(page) is not None and abs(_readout(page)[0] - t[0]) < 1e-4
                   and abs(_readout(page)[1] - t[1]) < 1e-4, what="the readout to follow the mouse")
        lon, lat = _readout(page)
        page.keyboard.press("Escape")
        assert abs(lon - target[0]) < 1e-4 and abs(lat - target[1]) < 1e-4
        x, y = TO_4547.transform(lon, lat)
        zone_x, zone_y = TO_ZONE_38.transform(lon, lat)
        assert abs(float(readout.get_attribute("data-x")) - x) < 0.002  # Krüger series vs PROJ: well under 1 mm
        assert abs(float(readout.get_attribute("data-y")) - y) < 0.002
        assert abs(float(readout.get_attribute("data-zone-x")) - zone_x) < 0.002 and abs(zone_y - y) < 1e-6
        text = readout.inner_text()
        assert f"{lon:.6f}°E" in text and f"{lat:.6f}°N" in text
        assert f"X {x:.2f}" in text and f"Y {y:.2f}" in text and f"X {zone_x:.2f}" in text
        assert "CGCS2000" in text and "EPSG:4547" in text
    assert problems["errors"] == []
    context.close()
