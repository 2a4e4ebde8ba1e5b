"""Issue 6: import throughput — isolated parse + preview, then the all-or-nothing commit, per format.

Creates a scratch database in the private cluster, loads the samples, writes a
layer of N small polygons as GeoPackage, zipped Shapefile and CSV (WKT), and
for each prints the time of the upload (isolated child: read, reproject,
validate, preview) and of the commit (insert in one transaction), features
per second, and the ratio of each format's total to the GeoPackage's in the
same run.  Timings are noisy on 2 cores: read the ratios.

    .venv/bin/python bench/exchange_import.py [--count N]
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import geopandas as gpd  # noqa: E402
from shapely.geometry import box  # noqa: E402

from gis_tracker import create_app, localdb  # noqa: E402
from gis_tracker.config import TestConfig  # noqa: E402
from gis_tracker.db import db  # noqa: E402
from gis_tracker.services.exchange import imports
from gis_tracker.services.platform import migrations, sample_data  # noqa: E402
from tests.factories import X0, Y0, shapefile_zip  # noqa: E402


class Actor:
    """The bench acts as an admin."""

    username, role = "bench", "admin"


def frame(count: int) -> gpd.GeoDataFrame:
    """Return ``count`` 30 m squares on a grid in the district, with a Chinese name and a number."""
    side = int(count ** 0.5) + 1
    geoms = [box(X0 + (i % side) * 40, Y0 + (i // side) * 40, X0 + (i % side) * 40 + 30, Y0 + (i // side) * 40 + 30)
             for i in range(count)]
    return gpd.GeoDataFrame({"name": [f"地块{i}" for i in range(count)], "n": list(range(count))},
                            geometry=geoms, crs="EPSG:4547")


def run(app, path: Path, name: str, options: dict) -> tuple[float, float]:
    """Upload and commit one file; return (upload seconds, commit seconds)."""
    with app.app_context():
        start = time.perf_counter()
        with open(path, "rb") as fh:
            record = imports.upload(db.session, Actor(), path.name, fh, options)
        parsed = time.perf_counter()
        imports.commit(db.session, Actor(), record.id, {"target": "new", "name": name}, wait=True)
        done = time.perf_counter()
        db.session.close()
    return parsed - start, done - parsed


def main() -> None:
    """Prepare the scratch database, run each format, print figures and ratios."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=10_000)
    args = parser.parse_args()
    name = f"shifeng_bench_exchange_{os.getpid()}"
    url = localdb.create_database(name)
    try:
        app = create_app(TestConfig(url))
        scratch = Path(tempfile.mkdtemp(prefix="bench-exchange-"))
        app.config.update(IMPORT_DIR=scratch / "imports", RASTER_DIR=scratch / "rasters")
        with app.app_context():
            migrations.upgrade(db.migration_engine, app_role=db.app_role)
            sample_data.load(db.session)
        data = frame(args.count)
        files = {"gpkg": scratch / "parcels.gpkg", "shp": shapefile_zip(data, scratch, "parcels"),
                 "csv": scratch / "parcels.csv"}
        data.to_file(files["gpkg"], driver="GPKG", engine="pyogrio")
        csv = data.assign(WKT=data.geometry.to_wkt()).drop(columns="geometry")
        csv.to_csv(files["csv"], index=False)
        results = {}
        for fmt, path in files.items():
            results[fmt] = run(app, path, f"bench_{fmt}", {"crs": "EPSG:4547"} if fmt == "csv" else {})
            up, commit = results[fmt]
            print(f"{fmt:5s} {args.count} features: upload+preview {up:6.2f} s, commit {commit:6.2f} s, "
                  f"{args.count / (up + commit):8.0f} features/s")
        base = sum(results["gpkg"])
        print("ratios to gpkg: " + ", ".join(f"{k} {sum(v) / base:.2f}" for k, v in results.items()))
    finally:
        app.extensions["db_engine"].dispose()
        localdb.drop_database(name)


if __name__ == "__main__":
    main()
