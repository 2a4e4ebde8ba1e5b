"""Benchmark: print a 10,000-polygon layer on A3 at 300 dpi, fast path vs a plain GeoDataFrame.plot().

Usage: ``.venv/bin/python bench/snapshot.py [--polygons N] [--keep]``

Creates a scratch database in the private cluster with N generated parcels
(irregular 200-vertex rings, about 2 million vertices), then in the same run:

* baseline, the plain way end to end: read the raw layer with
  ``geopandas.read_postgis``, draw it with ``GeoDataFrame.plot()`` into the A3
  frame and write it with ``Figure.savefig(..., dpi=300)``;
* fast path, the snapshot service's way end to end: its read (clipped and
  simplified in PostGIS to one pixel in EPSG:4547), its drawing (one
  ``PathCollection``) and its PNG encoder (``png_encode``: unfiltered rows,
  zlib level 1, the pHYs DPI chunk).

Prints both times, the ratio (target ≥ 5×) and how much the two images differ:
per pixel (mean absolute difference per channel in 0–255, and the share of
pixels differing by more than 32 levels — outlines move by up to one pixel),
and as seen on paper (the same over 3 × 3-pixel cells, 0.25 mm at 300 dpi).  The images and
their difference are written to ``var/bench/``.
"""
from __future__ import annotations

import argparse
import io
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import geopandas as gpd  # noqa: E402
import matplotlib  # noqa: E402
import numpy as np  # noqa: E402
from geoalchemy2 import Geometry  # noqa: E402
from matplotlib import image as mimage  # noqa: E402
from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from sqlalchemy import DateTime, Integer, String, create_engine, text  # noqa: E402
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column  # noqa: E402

from gis_tracker import localdb  # noqa: E402
from gis_tracker.services.cartography import map_figure, png_encode, snapshot_data  # noqa: E402
from gis_tracker.services.features import catalog
from gis_tracker.spatial import cartography  # noqa: E402

STYLE = {"color": "#7a3e9d", "weight": 1, "fillColor": "#c39bd3", "fillOpacity": 0.45}
DPI = 300


class _Base(DeclarativeBase):
    pass


class BenchParcel(_Base):
    """A generated parcel (the benchmark's only table)."""

    __tablename__ = "bench_parcels"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(40))
    deleted_at = mapped_column(DateTime(timezone=True))
    geom = mapped_column(Geometry("MULTIPOLYGON", srid=4547, spatial_index=False))


def _generate(engine, n: int) -> None:
    """Create N irregular parcels of 200 vertices each on a grid around the district."""
    side = int(np.ceil(np.sqrt(n)))
    with engine.begin() as conn:
        conn.execute(text("CREATE EXTENSION IF NOT EXISTS postgis"))
        conn.execute(text("DROP TABLE IF EXISTS bench_parcels"))
        _Base.metadata.create_all(conn)
        # Star-shaped rings: radius varies smoothly with the angle, so no two parcels are alike.
        conn.execute(text("""
            INSERT INTO bench_parcels (name, geom)
            SELECT 'p' || i, ST_Multi(ST_MakePolygon(ST_AddPoint(line, ST_StartPoint(line))))
            FROM (
              SELECT i, ST_MakeLine(ARRAY(
                SELECT ST_MakePoint(
                  cx + r * (1 + 0.25 * sin(5 * a + i) + 0.08 * sin(23 * a + 2 * i)) * cos(a),
                  cy + r * (1 + 0.25 * sin(5 * a + i) + 0.08 * sin(23 * a + 2 * i)) * sin(a))
                FROM generate_series(0, 198) AS k, LATERAL (SELECT 2 * pi() * k / 199 AS a) AS ang
              )) AS line
              FROM (SELECT i, 38510000 + (i % :side) * 300.0 AS cx, 3080000 + (i / :side) * 220.0 AS cy,
                           90 + (i % 7) * 6 AS r FROM generate_series(0, :n - 1) AS i) AS c
            ) AS rings
        """), {"n": n, "side": side})
        conn.execute(text("UPDATE bench_parcels SET geom = ST_SetSRID(geom, 4547)"))
        conn.execute(text("CREATE INDEX ON bench_parcels USING gist (geom)"))
        conn.execute(text("ANALYZE bench_parcels"))


def _frame():
    """Return the A3 landscape figure size and the map axes rectangle (the whole page but a margin)."""
    w, h = cartography.pixel_size("A3", True, DPI)
    return ((w + 0.01) / DPI, (h + 0.01) / DPI), (0.04, 0.04, 0.92, 0.92)


def _save(fig) -> bytes:
    """Write the PNG with the service's encoder (the same for both sides)."""
    return png_encode.figure_png(fig, DPI)


def _axes(extent):
    size, rect = _frame()
    fig = Figure(figsize=size, dpi=DPI)
    FigureCanvasAgg(fig)
    ax = fig.add_axes(rect)
    ax.set_xlim(extent[0], extent[2])
    ax.set_ylim(extent[1], extent[3])
    ax.set_aspect("equal", adjustable="box")
    ax.set_axis_off()
    return fig, ax


def _extent(engine):
    with engine.connect() as conn:
        row = conn.execute(text("SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) "
                                "FROM (SELECT ST_Extent(geom) AS e FROM bench_parcels) q")).first()
    size, rect = _frame()
    return cartography.fit_bbox(tuple(row), (size[0] * rect[2]) / (size[1] * rect[3]))


def baseline(engine, extent) -> tuple[bytes, float]:
    """Read the raw layer and draw it with a plain GeoDataFrame.plot()."""
    start = time.perf_counter()
    gdf = gpd.read_postgis("SELECT id, geom FROM bench_parcels ORDER BY id", engine, geom_col="geom")
    fig, ax = _axes(extent)
    s = cartography.print_style(STYLE, "MultiPolygon")
    gdf.plot(ax=ax, facecolor=matplotlib.colors.to_rgba(s.face, s.face_alpha),
             edgecolor=matplotlib.colors.to_rgba(s.edge, s.edge_alpha), linewidth=s.linewidth_pt)
    ax.set_xlim(extent[0], extent[2])
    ax.set_ylim(extent[1], extent[3])
    buf = io.BytesIO()  # the plain way to write the PNG, as the baseline is the plain way throughout
    fig.savefig(buf, format="png", dpi=DPI)
    return buf.getvalue(), time.perf_counter() - start


def fast_path(engine, extent) -> tuple[bytes, float, int]:
    """Read simplified to half a pixel in PostGIS and draw as one collection (the snapshot service's path)."""
    start = time.perf_counter()
    coll = catalog.Collection(id="bench", title="测试图层", title_en="bench", description="", model=BenchParcel,
                              geometry_type="MultiPolygon", fields=(), style=STYLE, label_field=None)
    size, rect = _frame()
    tolerance = cartography.simplify_tolerance(extent[2] - extent[0], size[0] * rect[2] * DPI)
    with Session(engine) as session:
        layer = snapshot_data.load_layer(session, coll, extent, tolerance)
    fig, ax = _axes(extent)
    map_figure.draw_layer(ax, layer, 2)
    png = _save(fig)
    return png, time.perf_counter() - start, len(layer.geoms)


def _blocks(img: np.ndarray, n: int = 3) -> np.ndarray:
    """Average n x n pixel blocks: 3 x 3 at 300 dpi is 0.25 mm, about what an eye resolves on paper."""
    h, w = (img.shape[0] // n) * n, (img.shape[1] // n) * n
    return img[:h, :w].reshape(h // n, n, w // n, n, -1).mean(axis=(1, 3))


def _difference(a: bytes, b: bytes, out: Path) -> dict[str, float]:
    ia = mimage.imread(io.BytesIO(a))[:, :, :3] * 255.0
    ib = mimage.imread(io.BytesIO(b))[:, :, :3] * 255.0
    assert ia.shape == ib.shape, (ia.shape, ib.shape)
    diff = np.abs(ia - ib)
    seen = np.abs(_blocks(ia) - _blocks(ib))
    mimage.imsave(out, np.clip(diff.max(axis=2) * 4, 0, 255).astype(np.uint8), cmap="gray")
    return {"mean": float(diff.mean()), "pixels_over_32": float((diff.max(axis=2) > 32).mean() * 100),
            "seen_mean": float(seen.mean()), "seen_over_32": float((seen.max(axis=2) > 32).mean() * 100)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--polygons", type=int, default=10000)
    parser.add_argument("--keep", action="store_true", help="keep the scratch database")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each side (medians are compared)")
    args = parser.parse_args()
    name = f"shifeng_bench_snapshot_{os.getpid()}"
    url = localdb.create_database(name)
    engine = create_engine(url)
    out = ROOT / "var" / "bench"
    out.mkdir(parents=True, exist_ok=True)
    try:
        t = time.perf_counter()
        _generate(engine, args.polygons)
        with engine.connect() as conn:
            vertices = conn.execute(text("SELECT sum(ST_NPoints(geom)) FROM bench_parcels")).scalar()
        print(f"generated {args.polygons} polygons, {vertices:,} vertices in {time.perf_counter() - t:.1f} s")
        extent = _extent(engine)
        with matplotlib.rc_context(map_figure.rc_params()):
            fast_path(engine, extent)  # warm the database cache and imports for both sides
            base_runs, fast_runs = [], []
            for _ in range(args.repeat):  # alternate, so load changes hit both sides alike
                base_png, seconds = baseline(engine, extent)
                base_runs.append(seconds)
                fast_png, seconds, drawn = fast_path(engine, extent)
                fast_runs.append(seconds)
            base_s, fast_s = statistics.median(base_runs), statistics.median(fast_runs)
        (out / "snapshot_baseline.png").write_bytes(base_png)
        (out / "snapshot_fast.png").write_bytes(fast_png)
        d = _difference(base_png, fast_png, out / "snapshot_difference.png")
        w, h = cartography.pixel_size("A3", True, DPI)
        print(f"A3 landscape at {DPI} dpi ({w}x{h} px), {drawn} polygons drawn, cores: {os.cpu_count()}")
        print(f"baseline  GeoDataFrame.plot() of the raw layer: {base_s:6.2f} s (median of {args.repeat})")
        print(f"fast path PostGIS simplify + PathCollection:     {fast_s:6.2f} s (median of {args.repeat})")
        print(f"ratio baseline/fast: {base_s / fast_s:.1f}x (target >= 5x)")
        print(f"image difference per pixel: mean {d['mean']:.2f} of 255 per channel; "
              f"{d['pixels_over_32']:.2f} % of pixels differ by more than 32 levels (edges moved < 1 px)")
        print(f"image difference as seen on paper (0.25 mm cells): mean {d['seen_mean']:.2f} of 255; "
              f"{d['seen_over_32']:.3f} % of cells differ by more than 32 levels")
        print(f"images: {out}/snapshot_baseline.png, snapshot_fast.png, snapshot_difference.png")
    finally:
        engine.dispose()
        if not args.keep:
            localdb.drop_database(name)
    return 0


if __name__ == "__main__":
    sys.exit(main())
