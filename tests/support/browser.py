"""Drive the app in headless Chromium: log in, wait for the map, click at lon/lat, call the API."""
from __future__ import annotations

import json

from tests.support.clients import PASSWORD


def log_in(page, base: str, role: str = "viewer") -> None:
    """Log in through the login form as the test user of ``role`` and land on the map page."""
    page.goto(base + "/login")
    page.fill("input[name=username]", role)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(base + "/")


def open_map(browser, base: str, role: str):
    """Return (context, page, problems) with ``role`` logged in and the map loaded.

    ``problems`` collects console errors, uncaught exceptions and JS dialogs
    (an ``alert`` from injected script would land there).  CSP is bypassed so
    that escaping, not the CSP, is what keeps hostile text inert.
    """
    context = browser.new_context(bypass_csp=True, viewport={"width": 1280, "height": 860})
    page = context.new_page()
    problems = {"errors": [], "dialogs": []}
    # Refused saves (412, 422, 403) are expected in these tests; the browser logs each such response.
    page.on("console", lambda msg: problems["errors"].append(msg.text)
            if msg.type == "error" and "status of 4" not in msg.text else None)
    page.on("pageerror", lambda exc: problems["errors"].append(str(exc)))
    page.on("dialog", lambda d: (problems["dialogs"].append(d.message), d.dismiss()))
    log_in(page, base, role)
    wait_ready(page)
    return context, page, problems


def wait_ready(page) -> None:
    """Wait until every layer has loaded."""
    page.locator("body[data-map-ready='1']").wait_for(state="attached", timeout=30000)


def view(page, lon: float, lat: float, zoom: int) -> None:
    """Centre the map without animation."""
    page.evaluate("([lat, lon, z]) => { window.districtMap.setView([lat, lon], z, {animate: false}); }", [lat, lon, zoom])


def pixel(page, lon: float, lat: float) -> tuple[float, float]:
    """Return the page pixel of a lon/lat position on the map."""
    return tuple(page.evaluate("""([lat, lon]) => {
        const p = window.districtMap.latLngToContainerPoint([lat, lon]);
        const r = document.getElementById('map').getBoundingClientRect();
        return [r.left + p.x, r.top + p.y];
    }""", [lat, lon]))


def click_at(page, lon: float, lat: float) -> None:
    """Click the map at a lon/lat position with the real mouse."""
    x, y = pixel(page, lon, lat)
    page.mouse.move(x, y, steps=3)
    page.mouse.click(x, y)


def feature_id(page, layer: str, prop: str, value) -> int | None:
    """Return the id of the drawn feature of ``layer`` whose ``prop`` equals ``value``."""
    return page.evaluate("""([layer, prop, value]) => {
        const found = window.mapLayers[layer].getLayers().find(l => l.feature.properties[prop] === value);
        return found ? found.feature.id : null;
    }""", [layer, prop, value])


def open_popup(page, layer: str, fid: int, at: tuple[float, float] | None = None) -> None:
    """Click a drawn feature (real mouse; its middle or ``at`` lon/lat) and wait for its popup."""
    lonlat = page.evaluate("""([layer, fid, at]) => {
        const l = window.mapLayers[layer].getLayers().find(x => x.feature.id === fid);
        const c = at ? L.latLng(at[1], at[0]) : l.getBounds ? l.getBounds().getCenter() : l.getLatLng();
        window.districtMap.setView(c, Math.max(window.districtMap.getZoom(), 16), {animate: false});
        return [c.lng, c.lat];
    }""", [layer, fid, list(at) if at else None])
    click_at(page, *lonlat)
    popup = page.locator(f'.leaflet-popup-content .popup[data-fid="{fid}"]')
    popup.last.wait_for()
    # A popup replaced by this one fades out for 200 ms before Leaflet removes it: wait until only one is left.
    wait_until(page, lambda: popup.count() == 1, timeout_s=5, what="the previous popup to fade out")


def csrf(page) -> str:
    """Return the page's CSRF token."""
    return page.get_attribute('meta[name="csrf-token"]', "content")


def api(page, method: str, path: str, body=None, etag: str | None = None):
    """Call the API with the page's session (cookies, CSRF header)."""
    headers = {"X-CSRFToken": csrf(page), "Content-Type": "application/geo+json"}
    if etag:
        headers["If-Match"] = etag
    base = page.url.split("/", 3)
    url = "/".join(base[:3]) + path
    return page.request.fetch(url, method=method, headers=headers,
                              data=json.dumps(body) if body is not None else None)


def wait_until(page, condition, timeout_s: float = 15.0, what: str = "the condition") -> None:
    """Poll ``condition()`` (Python, e.g. reading page state or recorded requests) until true; fail after ``timeout_s``.

    Our Content-Security-Policy forbids the eval behind Playwright's string predicates in some pages, and a
    fixed sleep either wastes time or is too short on a loaded machine: tests wait on the real state instead.
    """
    import time

    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout_s:g} s waiting for {what}")
        page.wait_for_timeout(50)
