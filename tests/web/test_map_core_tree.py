"""Issue 18, the layer tree: groups, checkbox / zoom-to / opacity / legend per layer, following the map's
state; the tree collapses; zone labels from zoom 11 and sub-area labels from zoom 13, never overlapping."""
import pytest

from tests.support.browser import open_map, view, wait_until

pytestmark = pytest.mark.browser


def test_layer_tree_groups_toggles_opacity_zoom_and_collapse(browser, live_server):
    context, page, problems = open_map(browser, live_server, "viewer")
    try:
        groups = page.locator("#legend details.tree-group")
        names = groups.evaluate_all("gs => gs.map(g => g.querySelector('summary').textContent)")
        assert names[:6] == ["规划片区", "保护区", "水体", "建设项目", "搬迁企业", "冲突范围"], names
        assert "栅格" in names
        assert page.locator('#legend details[data-group="raster"] #raster-select').count() == 1  # the raster chooser
        # Each layer's legend: the stages of the enterprises, the categories of the protected areas.
        assert "验收销号" in page.locator('#legend section[data-layer="enterprises"]').inner_text()
        assert "禁止开发区" in page.locator('#legend section[data-layer="protected_areas"]').inner_text()

        box = page.locator('#legend input.layer-toggle[data-layer="protected_areas"]')
        box.click()  # real click: hides the layer
        assert page.evaluate("window.districtMap.hasLayer(window.mapLayers.protected_areas)") is False
        # Another script shows it again: the tree follows the map.
        page.evaluate("() => { window.districtMap.addLayer(window.mapLayers.protected_areas); }")
        wait_until(page, lambda: box.is_checked(), what="the tree following layeradd")
        page.evaluate("() => { window.districtMap.removeLayer(window.mapLayers.water_bodies); }")
        wait_until(page, lambda: not page.locator('#legend input.layer-toggle[data-layer="water_bodies"]').is_checked(),
                   what="the tree following layerremove")

        # Opacity: the slider fades the layer's shapes.
        slider = page.locator('#legend section[data-layer="projects"] input.opacity')
        before = page.evaluate("window.mapLayers.projects.getLayers()[0].options.fillOpacity")
        slider.focus()
        for _ in range(10):
            page.keyboard.press("ArrowLeft")  # 100 % → 50 %
        after = page.evaluate("window.mapLayers.projects.getLayers()[0].options.fillOpacity")
        assert after == pytest.approx(before * 0.5, rel=0.05), (before, after)

        # Zoom to layer: the view fits the enterprises (Qingshuitang, west of the district).
        view(page, 113.2, 27.98, 16)
        page.locator('#legend section[data-layer="enterprises"] [data-action="zoom-layer"]').click()
        wait_until(page, lambda: page.evaluate("""() => {
            const b = window.districtMap.getBounds(); return b.contains([27.862, 113.06]); }"""),
                   what="the view on the enterprises")

        # The whole tree collapses to its header and opens again.
        page.click('#legend [data-action="collapse-tree"]')
        assert page.locator("#layer-tree-body").is_hidden()
        page.click('#legend [data-action="collapse-tree"]')
        assert page.locator("#layer-tree-body").is_visible()
        # A group collapses on its own.
        page.click('#legend details[data-group="protected"] > summary')
        assert page.locator('#legend section[data-layer="protected_areas"]').is_hidden()
        assert problems["errors"] == [] and problems["dialogs"] == []
    finally:
        context.close()


def _labels(page):
    return page.evaluate("""() => Array.from(document.querySelectorAll('#map-labels .map-label')).map(n => {
        const r = n.getBoundingClientRect();
        return {kind: n.classList.contains('zone') ? 'zone' : 'sub', text: n.textContent,
                left: r.left, right: r.right, top: r.top, bottom: r.bottom,
                halo: getComputedStyle(n).textShadow};
    })""")


def test_zone_and_sub_area_labels_by_zoom_without_overlaps(browser, live_server):
    context, page, problems = open_map(browser, live_server, "viewer")
    try:
        view(page, 113.10, 27.90, 10)
        wait_until(page, lambda: _labels(page) == [], what="no labels at zoom 10")
        view(page, 113.10, 27.90, 11)
        wait_until(page, lambda: _labels(page), what="zone labels at zoom 11")
        labels = _labels(page)
        assert {label["kind"] for label in labels} == {"zone"}
        zones = page.evaluate("""() => window.mapLayers.zones.getLayers()
            .filter(l => l.feature.properties.level === 'zone').map(l => l.feature.properties.name)""")
        assert {label["text"] for label in labels} <= set(zones) and len(labels) >= 2, (labels, zones)
        assert labels[0]["halo"] != "none"
        view(page, 113.06, 27.87, 13)
        wait_until(page, lambda: any(label["kind"] == "sub" for label in _labels(page)), what="sub-area labels at 13")
        labels = _labels(page)
        for i, a in enumerate(labels):  # collision-free
            for b in labels[i + 1:]:
                overlap = a["left"] < b["right"] and b["left"] < a["right"] and a["top"] < b["bottom"] and b["top"] < a["bottom"]
                assert not overlap, (a, b)
        page.screenshot(path="var/map-core-labels.png")
        # Hiding the zones hides their labels.
        page.locator('#legend input.layer-toggle[data-layer="zones"]').click()
        wait_until(page, lambda: _labels(page) == [], what="labels gone with the zones")
        assert problems["errors"] == [] and problems["dialogs"] == []
    finally:
        context.close()
