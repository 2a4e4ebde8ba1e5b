"""Cut a hole and split a polygon in the map with real mouse clicks; large layers load by extent."""
import pytest
from sqlalchemy import func, literal, select

from gis_tracker.db import db
from gis_tracker.models import LayerFeature, UserLayer
from tests.factories import unique
from tests.support.browser import api, click_at, open_map, open_popup, wait_ready, wait_until

pytestmark = pytest.mark.browser
D = 0.0012


def _create_project(page, name, lon, lat):
    ring = [[lon - D, lat - D], [lon + D, lat - D], [lon + D, lat + D], [lon - D, lat + D], [lon - D, lat - D]]
    resp = api(page, "POST", "/ogc/collections/projects/items",
               {"type": "Feature", "geometry": {"type": "Polygon", "coordinates": [ring]},
                "properties": {"name": name, "project_type": "industrial", "status": "planned",
                               "investment_wan": 500}})
    assert resp.status == 201, resp.text()
    page.reload()
    wait_ready(page)
    return resp.json()["id"]


def _start(page, fid, action, at=None):
    open_popup(page, "projects", fid, at)
    page.locator(f'.leaflet-popup-content [data-action="{action}"]').click()
    page.locator(".leaflet-popup").wait_for(state="detached")
    page.wait_for_function("window.mapEdit.session() && window.mapEdit.session().mode === '%s'" % action)


def test_cut_a_hole_then_split_by_a_line(browser, live_server):
    context, page, problems = open_map(browser, live_server, "planner")
    lon, lat = 113.0935, 27.9635
    name = unique("切分")
    fid = _create_project(page, name, lon, lat)

    _start(page, fid, "cut")
    h = D / 4
    for c in [(lon - h, lat - h), (lon + h, lat - h), (lon + h, lat + h), (lon - h, lat + h)]:
        click_at(page, *c)
    page.keyboard.press("Enter")  # finish the hole
    page.wait_for_function("window.mapEdit.session().mode === 'cut-done'")
    assert "m²" in page.inner_text("#measure-box")
    page.keyboard.press("Enter")  # save the reshaped feature
    page.wait_for_function("window.mapEdit.session() === null")
    cut = api(page, "GET", f"/ogc/collections/projects/items/{fid}").json()
    polygon = cut["geometry"]["coordinates"][0]
    assert len(polygon) == 2  # outer ring and the hole

    _start(page, fid, "split", at=(lon - 0.75 * D, lat))  # not in the hole
    click_at(page, lon + D / 2, lat - 2 * D)
    click_at(page, lon + D / 2, lat + 2 * D)
    page.keyboard.press("Enter")  # finish the cutting line: the parts are previewed
    dialog = page.locator("dialog.split-dialog")
    dialog.wait_for()
    assert "2" in dialog.inner_text()
    dialog.locator('[data-action="confirm-split"]').click()
    page.wait_for_function("window.mapLayers.projects.getLayers()"
                           ".filter(l => l.feature.properties.name === %r).length === 2" % name)
    parts = page.evaluate("""(name) => window.mapLayers.projects.getLayers()
        .filter(l => l.feature.properties.name === name).map(l => l.feature)""", name)
    assert {p["properties"]["investment_wan"] for p in parts} == {500}  # attributes copied
    assert fid in [p["id"] for p in parts]
    versions = api(page, "GET", f"/api/collections/projects/items/{fid}/versions").json()["versions"]
    assert [v["version"] for v in versions] == [1, 2, 3]  # created, hole cut, split
    assert versions[-1]["action"] == "split"  # saved in one transaction with the new part
    assert problems["errors"] == [], problems
    context.close()


@pytest.fixture()
def large_layer(app):
    """A planner layer of 400 points on a grid, with a bbox threshold of 100 for this test."""
    name = unique("big").replace("-", "_")
    with app.app_context():
        layer = UserLayer(name=name, title="大图层测试", geometry_type="Point", fields=[
            {"name": "n", "type": "integer", "label": "序号"}], style={"color": "#aa0000"},
            created_by="planner", updated_by="planner")
        db.session.add(layer)
        db.session.flush()
        grid = select(func.generate_series(0, 399).label("i")).subquery()
        db.session.execute(LayerFeature.__table__.insert().from_select(
            ["layer_id", "properties", "geom", "created_by"],
            select(layer.id, func.jsonb_build_object("n", grid.c.i),
                   func.ST_Transform(func.ST_SetSRID(func.ST_MakePoint(
                       113.05 + (grid.c.i % 20) * 0.005, 27.92 + (grid.c.i / 20) * 0.005), 4326), 4547),
                   literal("planner"))))
        db.session.commit()
    old = app.config["MAP_BBOX_THRESHOLD"]
    app.config["MAP_BBOX_THRESHOLD"] = 100
    yield name
    app.config["MAP_BBOX_THRESHOLD"] = old
    with app.app_context():
        db.session.execute(UserLayer.__table__.update().where(UserLayer.name == name).values(deleted_at=func.now()))
        db.session.commit()


def test_large_layer_loads_by_visible_extent(browser, live_server, large_layer):
    context, page, problems = open_map(browser, live_server, "viewer")
    requests = []
    page.on("request", lambda r: requests.append(r.url) if f"/collections/{large_layer}/items" in r.url else None)
    assert page.evaluate(f"window.mapLayerTotals['{large_layer}']") == 400
    page.evaluate("() => { window.districtMap.setView([27.9225, 113.0525], 16, {animate: false}); }")
    page.wait_for_function(f"window.mapLayerCounts['{large_layer}'] < 50")
    shown = page.evaluate(f"window.mapLayerCounts['{large_layer}']")
    assert 0 < shown < 50
    page.evaluate("() => { window.districtMap.panBy([400, 0], {animate: false}); }")
    page.evaluate("() => { window.districtMap.panBy([0, -300], {animate: false}); }")  # two moves, one request
    wait_until(page, lambda: len([u for u in requests if "bbox=" in u]) >= 2, what="the debounced bbox request")
    page.wait_for_load_state("networkidle")  # and no third request after it
    bbox_requests = [u for u in requests if "bbox=" in u]
    assert len(bbox_requests) == 2, bbox_requests  # one for the zoom, one for the two quick pans (debounced)
    note = page.locator(f'#legend section[data-layer="{large_layer}"] .legend-note').inner_text()
    assert "400" in note
    assert problems["errors"] == [], problems
    context.close()
