"""In Chromium: the relocation dashboard's burn-up chart, its milestones, the paged and sortable overdue list,
and the zone outlines on the small maps."""
import os
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select

from gis_tracker.db import db
from gis_tracker.models import Enterprise
from gis_tracker.rules import relocation as rules
from gis_tracker.rules.stages import STAGE_CODES
from gis_tracker.services.relocation import dashboard
from tests.support.browser import log_in

pytestmark = pytest.mark.browser
SHOTS = Path(os.environ.get("SCREENSHOT_DIR", "/tmp/links_shots"))


def _watch(page):
    errors = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    return errors


def _database_counts(app) -> tuple[dict[str, int], int, list[dict]]:
    with app.app_context():
        s = db.session
        counts = dict(s.execute(select(Enterprise.stage, func.count()).where(Enterprise.deleted_at.is_(None))
                                .group_by(Enterprise.stage)).all())
        overdue = dashboard.dashboard(s)["overdue"]
    at_or_past = {code: sum(n for st, n in counts.items() if STAGE_CODES.index(st) >= STAGE_CODES.index(code))
                  for code in STAGE_CODES[1:]}
    return at_or_past, sum(counts.values()), overdue


def _outlines_cover_the_map(page, selector):
    """The outlines' drawing surface covers the whole map (not a patch left from before the map settled)."""
    page.wait_for_function("""(sel) => {
        const map = document.querySelector(sel).getBoundingClientRect();
        const svg = document.querySelector(sel + ' .leaflet-zoneOutlines-pane svg').getBoundingClientRect();
        return svg.left <= map.left && svg.top <= map.top && svg.right >= map.right && svg.bottom >= map.bottom;
    }""", arg=selector, timeout=5000)


@pytest.mark.parametrize("size", [(1366, 768), (1920, 1080)])
def test_burnup_chart_shows_the_database_numbers_and_the_milestones(app, browser, live_server, size):
    at_or_past, total, _ = _database_counts(app)
    context = browser.new_context(viewport={"width": size[0], "height": size[1]})
    page = context.new_page()
    errors = _watch(page)
    log_in(page, live_server, "relocation_officer")
    page.goto(live_server + "/relocation/dashboard")
    page.wait_for_selector("#burnup[data-ready='1']")
    assert page.locator("#monthly-chart").count() == 0  # the forest of bars is gone
    areas = page.locator("#burnup svg polygon.area")
    assert areas.count() == len(STAGE_CODES) - 1
    shown = {areas.nth(i).get_attribute("data-stage"): int(areas.nth(i).get_attribute("data-last"))
             for i in range(areas.count())}
    assert shown == at_or_past
    assert {k: page.locator(f"#burnup-now td[data-stage='{k}']").inner_text() for k in at_or_past} == {
        k: f"{n} / {total}" for k, n in at_or_past.items()}
    # Each stage's area is drawn to its count: the area of a later stage is never higher.
    tops = [page.evaluate("(el) => el.getBBox().y", areas.nth(i).element_handle()) for i in range(areas.count())]
    assert tops == sorted(tops)
    # The plan's milestones are vertical markers with their labels, inside the chart, left to right in time.
    marks = page.locator("#burnup g.milestone")
    assert [marks.nth(i).get_attribute("data-key") for i in range(marks.count())] == [m.key for m in rules.MILESTONES]
    for i, m in enumerate(rules.MILESTONES):
        assert marks.nth(i).locator("text").text_content().startswith(m.label)
    xs = [float(marks.nth(i).locator("line").get_attribute("x1")) for i in range(marks.count())]
    assert xs == sorted(xs) and len(set(xs)) == len(xs)
    width = page.locator("#burnup svg").bounding_box()["width"]
    assert all(0 < x < width for x in xs)
    # Milestone labels stay inside the chart and do not overlap one another.
    boxes = [marks.nth(i).locator("text").bounding_box() for i in range(marks.count())]
    chart = page.locator("#burnup svg").bounding_box()
    for a in boxes:
        assert chart["x"] <= a["x"] and a["x"] + a["width"] <= chart["x"] + chart["width"] + 1
    for i, a in enumerate(boxes):
        for b in boxes[i + 1:]:
            apart = (a["x"] + a["width"] <= b["x"] or b["x"] + b["width"] <= a["x"]
                     or a["y"] + a["height"] <= b["y"] or b["y"] + b["height"] <= a["y"])
            assert apart, (a, b)
    # Hovering shows the month's numbers; at the right edge, today's.
    page.locator("#burnup-card").scroll_into_view_if_needed()
    box = page.locator("#burnup svg").bounding_box()
    page.mouse.move(box["x"] + box["width"] * 0.5, box["y"] + box["height"] * 0.5, steps=3)
    assert page.locator(".burnup-tip").is_visible()
    hovered = page.locator("#burnup").get_attribute("data-hover")
    assert hovered and hovered < date.today().isoformat()
    page.locator("#burnup-card").screenshot(path=str(SHOTS / f"burnup-{size[0]}.png"))
    page.screenshot(path=str(SHOTS / f"dashboard-{size[0]}.png"), full_page=True)
    assert errors == [], errors
    context.close()


def test_overdue_list_is_paged_and_sortable(app, browser, live_server):
    _, _, overdue = _database_counts(app)
    assert len(overdue) > 20, "the sample has more than one page of overdue enterprises"
    context = browser.new_context(viewport={"width": 1366, "height": 768})
    page = context.new_page()
    errors = _watch(page)
    log_in(page, live_server, "relocation_officer")
    page.goto(live_server + "/relocation/dashboard")
    visible = page.locator("#overdue-list tbody tr:visible")
    page.wait_for_selector("#overdue-page")
    assert visible.count() == 20
    pages = -(-len(overdue) // 20)
    assert page.locator("#overdue-page").inner_text() == f"第 1 / {pages} 页"
    days = [int(visible.nth(i).get_attribute("data-days")) for i in range(20)]
    assert days == sorted(days, reverse=True)
    assert days[0] == max(max(x["days"] for x in e["late"]) for e in overdue)
    # Sort by name (a click on the head), then page forward: every row is shown once over the pages.
    page.click("#overdue-list th[data-sort=name] button")
    assert page.locator("#overdue-list th[data-sort=name]").get_attribute("aria-sort") == "ascending"
    seen = []
    for n in range(pages):
        seen += [visible.nth(i).get_attribute("data-name") for i in range(visible.count())]
        if n < pages - 1:
            page.click("#overdue-next")
    assert page.locator("#overdue-next").is_disabled()
    assert sorted(seen) == sorted(e["name"] for e in overdue) and len(seen) == len(overdue)
    first_page = seen[:20]
    assert first_page == sorted(first_page, key=lambda s: page.evaluate(
        "([a, list]) => list.filter(b => new Intl.Collator('zh', {numeric: true}).compare(b, a) < 0).length",
        [s, first_page]))
    # A second click reverses; sorting by stage orders by the stage, not its label.
    page.click("#overdue-list th[data-sort=name] button")
    assert page.locator("#overdue-list th[data-sort=name]").get_attribute("aria-sort") == "descending"
    assert page.locator("#overdue-page").inner_text() == f"第 1 / {pages} 页"
    page.click("#overdue-list th[data-sort=stage] button")
    stages = [int(visible.nth(i).get_attribute("data-stage")) for i in range(visible.count())]
    assert stages == sorted(stages, reverse=True)
    # Each row links to the enterprise on the map.
    link = visible.nth(0).locator("a.map-link")
    assert link.get_attribute("href") == f"/map?select=enterprises:{visible.nth(0).get_attribute('data-id')}"
    page.locator("#overdue-list").screenshot(path=str(SHOTS / "overdue-1366.png"))
    assert errors == [], errors
    context.close()


def test_small_maps_show_the_zone_outlines(app, browser, live_server):
    context = browser.new_context(viewport={"width": 1366, "height": 768})
    page = context.new_page()
    errors = _watch(page)
    log_in(page, live_server, "relocation_officer")
    page.goto(live_server + "/relocation/dashboard")
    page.wait_for_selector("#stage-map[data-zone-outlines]")
    page.wait_for_selector("body[data-stage-map-ready='1']", state="attached")
    with app.app_context():
        from gis_tracker.models import Zone
        zones = db.session.scalar(select(func.count()).select_from(Zone))
        top = db.session.scalars(select(Zone.name).where(Zone.level == "zone")).all()
    assert int(page.locator("#stage-map").get_attribute("data-zone-outlines")) == zones
    assert page.locator("#stage-map .leaflet-zoneOutlines-pane path").count() >= 1
    _outlines_cover_the_map(page, "#stage-map")
    labels = page.locator("#stage-map .zone-outline-label").all_inner_texts()
    assert "清水塘片区" in labels or any("清水塘" in x for x in labels), labels
    assert set(labels) <= set(top)
    page.locator("#stage-map").scroll_into_view_if_needed()
    page.locator("#stage-map").screenshot(path=str(SHOTS / "stage-map-1366.png"))
    # The dots stay on top and can still be hovered (the outlines take no pointer events).
    assert page.evaluate("getComputedStyle(document.querySelector('.leaflet-zoneOutlines-pane')).pointerEvents") == "none"
    # The enterprise page's small map too.
    eid = page.evaluate("window.stageLayer.getLayers()[0].feature.id")
    page.goto(f"{live_server}/relocation/enterprises/{eid}")
    page.wait_for_selector("#detail-map[data-zone-outlines]")
    assert page.locator("#detail-map .leaflet-zoneOutlines-pane path").count() >= 1
    _outlines_cover_the_map(page, "#detail-map")
    page.locator("#detail-map").screenshot(path=str(SHOTS / "detail-map-1366.png"))
    assert errors == [], errors
    context.close()
