"""Issue 18, save feedback and identify: after a save the flags show at once (severity, m², 亩, %, a link to the
review page) and 冲突范围 refreshes without a reload; a click lists every feature under it and the project
below an encroachment overlay stays editable; SM.openFeature / SM.highlight for the other map scripts."""
import pytest
from shapely.geometry import Point

from gis_tracker.db import db
from tests import factories as f
from tests.support.browser import click_at, open_map, view, wait_until

pytestmark = pytest.mark.browser


@pytest.fixture()
def unchecked_overlap(app):
    """A protected area watched by a violation rule and a project half over it, not yet checked (no flag)."""
    with app.app_context():
        s = db.session
        x, y = f.cell(57)
        area = f.add_protected(s, f.rect(x, y, x + 200, y + 200))
        rule = f.add_rule(s, [area.name], severity="violation")
        project = f.add_project(s, f.rect(x + 100, y + 50, x + 300, y + 150), check=False)
        ids = {"project": project.id, "area": area.id, "rule": rule.code,
               "inside": f.lonlat(Point(x + 150, y + 100))["coordinates"],   # project ∩ area
               "project_only": f.lonlat(Point(x + 250, y + 100))["coordinates"]}
    yield ids
    with app.app_context():
        s = db.session
        from gis_tracker.models import Project, ProtectedArea
        from gis_tracker.models.encroachment import EncroachmentRule
        f.retire(s, s.get(Project, ids["project"]), s.get(ProtectedArea, ids["area"]),
                 s.query(EncroachmentRule).filter_by(code=ids["rule"]).one())


def encroachment_ids(page, pid):
    return page.evaluate("""(pid) => window.mapLayers.encroachments.getLayers()
        .filter(l => l.feature.properties.project_id === pid).map(l => l.feature.id)""", pid)


def test_save_shows_the_flags_and_refreshes_the_overlay(browser, live_server, unchecked_overlap):
    pid = unchecked_overlap["project"]
    context, page, problems = open_map(browser, live_server, "planner")
    try:
        assert encroachment_ids(page, pid) == []  # not checked yet: nothing drawn
        lon, lat = unchecked_overlap["project_only"]
        view(page, lon, lat, 17)
        click_at(page, lon, lat)  # only the project (and the zone below) here: its popup opens at once
        popup = page.locator(f'.leaflet-popup-content .popup[data-layer="projects"][data-fid="{pid}"]')
        popup.wait_for()
        popup.locator('[data-action="attributes"]').click()
        dialog = page.locator("dialog.attr-dialog")
        dialog.locator('[name="description"]').fill("改了说明")
        dialog.locator('[data-action="save"]').click()
        dialog.wait_for(state="detached")

        notice = page.locator("#save-notice")
        notice.wait_for()
        assert "severity-violation" in notice.get_attribute("class")
        line = notice.locator(".flag-line").first
        assert line.get_attribute("data-severity") == "violation"
        assert line.locator(".severity").inner_text() == "违规"
        text = line.inner_text()
        # 100 m × 100 m of the 200 m × 100 m project lie in the area: 10,000 m², 15 亩, 50 %.
        assert "10,000" in text and "15 亩" in text and "50%" in text, text
        link = notice.locator(f'a.review-link[href="/flags/projects/{pid}"]')
        assert link.count() == 1
        # The 冲突范围 overlay has the new overlap without a reload.
        wait_until(page, lambda: encroachment_ids(page, pid), what="the new overlap on the map")
        page.screenshot(path="var/map-core-save-notice.png")
        assert problems["errors"] == [] and problems["dialogs"] == []
        with page.expect_navigation():
            link.click()
        assert page.url.endswith(f"/flags/projects/{pid}")
    finally:
        context.close()


def test_identify_lists_every_layer_and_the_overlay_never_blocks_editing(app, browser, live_server, unchecked_overlap):
    pid = unchecked_overlap["project"]
    with app.app_context():
        from gis_tracker.services.encroachment import check
        check.recheck(db.session, project_ids=[pid], username="tests")
        db.session.commit()
    context, page, problems = open_map(browser, live_server, "planner")
    try:
        lon, lat = unchecked_overlap["inside"]
        view(page, lon, lat, 17)
        click_at(page, lon, lat)
        listing = page.locator(".leaflet-popup-content .identify-list")
        listing.wait_for()
        layers = listing.locator(".identify-group").evaluate_all("gs => gs.map(g => g.dataset.layer)")
        assert {"projects", "encroachments", "protected_areas"} <= set(layers), layers
        # The group headings are the layer titles.
        assert listing.locator('.identify-group[data-layer="encroachments"] h4').inner_text() == "冲突范围"
        # The project (editable) opened first, though the overlap is drawn on top of it.
        detail = page.locator(".leaflet-popup-content .identify-detail .popup")
        assert detail.get_attribute("data-layer") == "projects" and detail.get_attribute("data-fid") == str(pid)
        # The overlap's popup links to the project's review page.
        listing.locator('.identify-group[data-layer="encroachments"] .identify-item').first.click()
        page.locator('.identify-detail .popup[data-layer="encroachments"]').wait_for()
        assert page.locator(f'.identify-detail a.review-link[href="/flags/projects/{pid}"]').count() == 1
        # Back to the project: its tools are there and work.
        listing.locator(f'.identify-group[data-layer="projects"] .identify-item[data-fid="{pid}"]').click()
        tools = page.locator(f'.identify-detail .popup[data-layer="projects"][data-fid="{pid}"]')
        tools.wait_for()
        assert tools.locator('[data-action="shape"]').count() == 1
        page.screenshot(path="var/map-core-identify.png")
        tools.locator('[data-action="attributes"]').click()
        page.locator("dialog.attr-dialog").wait_for()
        page.locator('dialog.attr-dialog [data-action="cancel"]').click()
        assert problems["errors"] == [] and problems["dialogs"] == []
    finally:
        context.close()


def test_identify_asks_the_server_for_tiled_layers_and_opens_a_single_hit(app, browser, live_server):
    app.config["MAP_TILE_THRESHOLD"] = 100  # the 172 enterprises are drawn as vector tiles below zoom 16
    try:
        context, page, problems = open_map(browser, live_server, "viewer")
        ent = page.evaluate("""async () => {
            const r = await fetch('/ogc/collections/enterprises/items?limit=1', {headers: {Accept: 'application/geo+json'}});
            const f = (await r.json()).features[0];
            return {id: f.id, lon: f.geometry.coordinates[0], lat: f.geometry.coordinates[1]};
        }""")
        assert page.evaluate("window.ShifengMap.layerCfg('enterprises').tiled")
        # Only the enterprises shown: one feature under the click, its popup opens without a list.
        page.evaluate("""() => Object.keys(window.mapLayers).forEach(id => {
            if (id !== 'enterprises') { window.districtMap.removeLayer(window.mapLayers[id]); } })""")
        view(page, ent["lon"], ent["lat"], 14)
        wait_until(page, lambda: page.evaluate("window.ShifengMap.layerCfg('enterprises').as_tiles === true"),
                   what="the tiles at zoom 14")
        click_at(page, ent["lon"], ent["lat"])
        popup = page.locator(f'.leaflet-popup-content .popup[data-layer="enterprises"][data-fid="{ent["id"]}"]')
        popup.wait_for()
        assert page.locator(".leaflet-popup-content .identify-list").count() == 0
        assert problems["errors"] == [] and problems["dialogs"] == []
        context.close()
    finally:
        app.config.pop("MAP_TILE_THRESHOLD")


def test_open_feature_and_highlight_for_other_scripts(browser, live_server, unchecked_overlap):
    pid = unchecked_overlap["project"]
    context, page, problems = open_map(browser, live_server, "viewer")
    try:
        page.evaluate("() => { window.districtMap.removeLayer(window.mapLayers.projects); }")
        page.evaluate("(pid) => window.ShifengMap.openFeature('projects', pid).then(f => f.id)", pid)
        page.locator(f'.leaflet-popup-content .popup[data-layer="projects"][data-fid="{pid}"]').wait_for()
        assert page.evaluate("window.districtMap.hasLayer(window.mapLayers.projects)")  # shown again
        assert page.evaluate("window.districtMap.getZoom()") >= 15
        assert page.locator(".leaflet-highlight-pane path").count() >= 1  # highlighted
        assert page.locator('#legend input.layer-toggle[data-layer="projects"]').is_checked()
        page.evaluate("""() => { window.ShifengMap.highlight({type: 'Point', coordinates: [113.1, 27.9]}); }""")
        assert page.locator(".leaflet-highlight-pane path").count() == 1
        page.evaluate("() => { window.ShifengMap.highlight(null); }")
        assert page.locator(".leaflet-highlight-pane path").count() == 0
        assert problems["errors"] == [] and problems["dialogs"] == []
    finally:
        context.close()


def test_a_save_from_a_tiled_layer_redraws_its_tiles(app, browser, live_server):
    app.config["MAP_TILE_THRESHOLD"] = 100  # the enterprises are vector tiles below zoom 16
    try:
        with f.borrowed_enterprise(app, "accepted", "close") as eid:
            context, page, problems = open_map(browser, live_server, "admin")
            tiles = []
            page.on("request", lambda req: tiles.append(req.url) if "/tiles/enterprises/" in req.url else None)
            where = page.evaluate("""async (eid) => {
                const r = await fetch('/ogc/collections/enterprises/items/' + eid, {headers: {Accept: 'application/geo+json'}});
                return (await r.json()).geometry.coordinates; }""", eid)
            page.evaluate("""() => Object.keys(window.mapLayers).forEach(id => {
                if (id !== 'enterprises') { window.districtMap.removeLayer(window.mapLayers[id]); } })""")
            view(page, where[0], where[1], 14)
            wait_until(page, lambda: tiles, what="the tiles at zoom 14")
            click_at(page, *where)
            popup = page.locator(f'.leaflet-popup-content .popup[data-layer="enterprises"][data-fid="{eid}"]')
            popup.wait_for()
            popup.locator('[data-action="attributes"]').click()
            dialog = page.locator("dialog.attr-dialog")
            dialog.locator('[name="contact_person"]').fill("瓦片刷新")
            before = len(tiles)
            dialog.locator('[data-action="save"]').click()
            dialog.wait_for(state="detached")
            wait_until(page, lambda: len(tiles) > before, what="the tiles fetched again after the save")
            assert problems["errors"] == [] and problems["dialogs"] == []
            context.close()
    finally:
        app.config.pop("MAP_TILE_THRESHOLD")
