"""Issue 5: a 20,000-feature layer in the browser map — loaded by extent vs all at once.

Creates a scratch database in the private cluster, loads the samples plus a
planner layer of 20,000 small polygons, serves the app in a thread and drives
Debian's Chromium.  For each mode (bbox loading with the default threshold,
and the naive "load everything" with the threshold raised above 20,000) it
prints the median time until the map is ready, the median time for a pan to
be redrawn, and the features held in the browser; then the ratios of the two.
Timings are noisy on 2 cores: read the ratios.

    .venv/bin/python bench/map_large_layer.py [--quick] [--runs N]
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import func, literal, select  # noqa: E402
from werkzeug.serving import make_server  # noqa: E402

from gis_tracker import create_app, localdb  # noqa: E402
from gis_tracker.config import TestConfig  # noqa: E402
from gis_tracker.db import db  # noqa: E402
from gis_tracker.models import LayerFeature, UserLayer  # noqa: E402
from gis_tracker.services.accounts import users
from gis_tracker.services.platform import migrations, sample_data  # noqa: E402

PASSWORD = "bench-password-1"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


def prepare(app, count: int) -> None:
    """Migrate, load samples, add a viewer and a layer of ``count`` 40 m squares on a grid."""
    with app.app_context():
        migrations.upgrade(db.migration_engine, app_role=db.app_role)  # owner migrates; app is restricted
        sample_data.load(db.session)
        users.create_user(db.session, "viewer", "viewer", PASSWORD)
        layer = UserLayer(name="parcels_bench", title="地块（基准）", geometry_type="Polygon",
                          fields=[{"name": "n", "type": "integer"}], style={"color": "#884400"},
                          created_by="bench", updated_by="bench")
        db.session.add(layer)
        db.session.flush()
        side = int(count ** 0.5) + 1
        grid = select(func.generate_series(0, count - 1).label("i")).subquery()
        x = 113.03 + (grid.c.i % side) * 0.0009
        y = 27.88 + (grid.c.i / side) * 0.0009
        square = func.ST_MakeEnvelope(x, y, x + 0.0004, y + 0.0004, 4326)
        db.session.execute(LayerFeature.__table__.insert().from_select(
            ["layer_id", "properties", "geom", "created_by"],
            select(literal(layer.id), func.jsonb_build_object("n", grid.c.i),
                   func.ST_Transform(square, 4547), literal("bench"))))
        db.session.commit()


def measure(browser, base: str, runs: int) -> dict:
    """Return medians of ready time and pan redraw time, and the features held."""
    ready, pans, held = [], [], []
    for _ in range(runs):
        context = browser.new_context(bypass_csp=True, viewport={"width": 1280, "height": 860})
        page = context.new_page()
        page.goto(base + "/login")
        page.fill("input[name=username]", "viewer")
        page.fill("input[name=password]", PASSWORD)
        start = time.perf_counter()
        page.click("button[type=submit]")
        page.wait_for_function("document.body.dataset.mapReady === '1'", timeout=300000)
        ready.append(time.perf_counter() - start)
        page.evaluate("() => { window.districtMap.setView([27.94, 113.09], 16, {animate: false}); }")
        page.wait_for_timeout(1500)
        for dx in (300, -300, 300, -300):
            # Redraw cost in the page: pan, then two animation frames (the canvas has redrawn).
            pans.append(page.evaluate("""(dx) => new Promise(done => {
                const t0 = performance.now();
                window.districtMap.panBy([dx, 0], {animate: false});
                requestAnimationFrame(() => requestAnimationFrame(() => done((performance.now() - t0) / 1000)));
            })""", dx))
            page.wait_for_timeout(400)  # debounce (300 ms) + the bbox request, if any
            page.wait_for_load_state("networkidle")
        held.append(page.evaluate("window.mapLayerCounts.parcels_bench"))
        context.close()
    return {"ready": statistics.median(ready), "pan": statistics.median(pans), "held": statistics.median(held)}


def main() -> None:
    """Run both modes and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="2,000 features instead of 20,000")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    count = 2000 if args.quick else 20000
    name = f"shifeng_bench_map_{os.getpid()}"
    url = localdb.create_database(name)
    try:
        app = create_app(TestConfig(url))
        prepare(app, count)
        server = make_server("127.0.0.1", 0, app, threaded=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        base = f"http://127.0.0.1:{server.server_port}"
        from playwright.sync_api import sync_playwright
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
            results = {}
            for mode, threshold in (("by_extent", 2000), ("load_all", count + 1)):
                app.config["MAP_BBOX_THRESHOLD"] = threshold
                app.config["OGC_MAX_LIMIT"] = max(app.config["OGC_MAX_LIMIT"], count + 1)
                results[mode] = measure(browser, base, args.runs)
                r = results[mode]
                print(f"{mode:10s} features={count} ready={r['ready']:.2f}s pan={r['pan']:.3f}s "
                      f"held_in_browser={r['held']}", flush=True)
            browser.close()
        server.shutdown()
        a, b = results["by_extent"], results["load_all"]
        print(f"cores={os.cpu_count()}")
        print(f"ratio ready  by_extent/load_all = {a['ready'] / b['ready']:.2f}")
        print(f"ratio pan    by_extent/load_all = {a['pan'] / b['pan']:.2f}")
        print(f"ratio held   by_extent/load_all = {a['held'] / max(b['held'], 1):.3f}")
    finally:
        try:
            app.extensions["db_engine"].dispose()
        except Exception:  # the app may not exist if creation failed
            pass
        localdb.drop_database(name)


if __name__ == "__main__":
    main()
