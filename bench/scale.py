"""Benchmark the app on a scaled-up district; print one ratio per line.

Run from the checkout: ``.venv/bin/python bench/scale.py [--quick] [--keep]``.

A scratch database (private cluster) gets the app's schema and a generated
district: 100,000 parcels (a user layer), 10,000 projects, a protected area
of about 200,000 vertices and 1,000 enterprises.  Each figure compares the
app's way with its baseline on the same data in the same run:

1. encroachment check of 100 random projects: subdivided protected area
   (``ST_Subdivide`` + GiST) vs the raw polygon — results must be identical;
2. 5,000 items as GeoJSON built in SQL vs ORM objects serialised in Python;
3. bytes of one 1280×720 map view at zoom 14: MVT tiles vs GeoJSON;
4. requests per second per core on a read endpoint, served by the
   production server (``gis_tracker.server``: gunicorn, pooled connections),
   loaded by ``wrk`` when installed (else a Python thread pool);
5. bulk insert of 100,000 features: COPY vs ORM row inserts.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import statistics
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, select, text  # noqa: E402

from gis_tracker import create_app, localdb  # noqa: E402
from gis_tracker.config import TestConfig  # noqa: E402
from gis_tracker.db import db  # noqa: E402
from gis_tracker.services.platform import migrations  # noqa: E402

DB_NAME = "shifeng_bench_scale"
X0, Y0, X1, Y1 = 404000, 3082000, 424000, 3100000  # inside the district, EPSG:4547 metres


def timed(fn, repeat: int = 3) -> tuple[float, object]:
    """Return (median seconds, last result) of ``fn()`` over ``repeat`` runs."""
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def line(label: str, ratio: float, target: float, baseline: float, ours: float, unit: str = "s") -> None:
    """Print one result line: ratio, target, and the two absolute medians."""
    ok = "OK " if ratio >= target else "LOW"
    print(f"{ok} {label}: {ratio:.1f}x (target >= {target:g}x; baseline {baseline:.4g} {unit}, ours {ours:.4g} {unit})",
          flush=True)


def generate(conn, scale: float) -> None:
    """Fill the scratch database with the scaled district (set-based SQL, seeded)."""
    n_parcels, n_projects, n_ent = int(100_000 * scale), int(10_000 * scale), int(1_000 * scale)
    conn.execute(text("SELECT setseed(0.42)"))
    conn.execute(text(
        "INSERT INTO user_layers (name, title, geometry_type, fields, style) VALUES "
        "('parcels', '地块（基准测试）', 'MultiPolygon', "
        "'[{\"name\": \"code\", \"type\": \"string\", \"label\": \"地块编号\"}, "
        "{\"name\": \"land_use\", \"type\": \"string\", \"label\": \"地类\"}, "
        "{\"name\": \"owner\", \"type\": \"string\", \"label\": \"权利人\"}, "
        "{\"name\": \"registered\", \"type\": \"date\", \"label\": \"登记日期\"}, "
        "{\"name\": \"area_m2\", \"type\": \"number\", \"label\": \"面积\"}]', '{}')"))
    side = math.ceil(math.sqrt(n_parcels))
    dx, dy = (X1 - X0) / side, (Y1 - Y0) / side
    # Parcels like a cadastre's: rounded corners give ~20 vertices each, and five attributes.
    conn.execute(text(
        "INSERT INTO layer_features (layer_id, properties, geom) "
        "SELECT (SELECT id FROM user_layers WHERE name = 'parcels'), "
        "json_build_object('code', '430204-' || lpad(i::text, 6, '0'), "
        "  'land_use', (ARRAY['工业用地','居住用地','商业用地','公园绿地','道路用地'])[1 + i % 5], "
        "  'owner', '示例权利人' || (i % 997), 'registered', '2015-06-' || lpad((1 + i % 28)::text, 2, '0'), "
        "  'area_m2', round(ST_Area(g)::numeric, 2))::jsonb, ST_Multi(g) "
        "FROM (SELECT i, ST_Buffer(ST_MakeEnvelope(:x0 + (i % :side) * :dx + 3, :y0 + (i / :side) * :dy + 3, "
        "      :x0 + (i % :side) * :dx + :dx * 0.9 - 3, :y0 + (i / :side) * :dy + :dy * 0.9 - 3, 4547), "
        "      3, 'quad_segs=4') AS g FROM generate_series(0, :n - 1) AS i) p"),
        {"n": n_parcels, "side": side, "dx": dx, "dy": dy, "x0": X0, "y0": Y0})
    conn.execute(text(
        "INSERT INTO projects (name, project_type, status, investment_wan, geom) "
        "SELECT '基准项目' || i, 'industrial', 'planned', 1000, "
        "ST_Multi(ST_MakeEnvelope(x, y, x + 80 + random() * 200, y + 80 + random() * 200, 4547)) "
        "FROM (SELECT i, :x0 + random() * (:x1 - :x0 - 300) AS x, :y0 + random() * (:y1 - :y0 - 300) AS y "
        "      FROM generate_series(1, :n) AS i) s"),
        {"n": n_projects, "x0": X0, "x1": X1, "y0": Y0, "y1": Y1})
    conn.execute(text(
        "INSERT INTO enterprises (name, path, stage, geom) "
        "SELECT '基准企业' || i, 'relocate', 'assessment', "
        "ST_SetSRID(ST_MakePoint(:x0 + random() * (:x1 - :x0), :y0 + random() * 4000), 4547) "
        "FROM generate_series(1, :n) AS i"),
        {"n": n_ent, "x0": X0, "x1": X1, "y0": Y0})
    # A wiggly protected area of ~200,000 vertices around the middle of the district.
    conn.execute(text(
        "INSERT INTO protected_areas (name, category, tier, geom) "
        "SELECT '基准保护区', 'green_heart', 'prohibited', ST_Multi(ST_MakePolygon(ST_AddPoint(line, ST_StartPoint(line)))) "
        "FROM (SELECT ST_MakeLine(ST_MakePoint(:cx + r * cos(a), :cy + r * sin(a)) ORDER BY k) AS line "
        "      FROM (SELECT k, 2 * pi() * k / :nv AS a, "
        "                   6000 + 900 * sin(37 * 2 * pi() * k / :nv) + 300 * sin(911 * 2 * pi() * k / :nv) AS r "
        "            FROM generate_series(0, :nv - 1) AS k) pts) ring"),
        {"cx": (X0 + X1) / 2, "cy": (Y0 + Y1) / 2, "nv": 200_000})
    conn.execute(text("UPDATE protected_areas SET geom = ST_SetSRID(geom, 4547)"))


def _vacuum(url: str) -> None:
    """VACUUM ANALYZE the generated district (outside the load's transaction).

    The database as it is once autovacuum has been by, and as PostgreSQL's
    manual advises after a bulk load: visibility map set, statistics fresh.
    """
    with create_engine(url, isolation_level="AUTOCOMMIT").connect() as conn:
        conn.execute(text("VACUUM ANALYZE"))


def bench_encroachment(conn) -> None:
    """Subdivided protected area vs the raw 200,000-vertex polygon, 100 random projects."""
    conn.execute(text("DROP TABLE IF EXISTS bench_parts"))
    conn.execute(text("CREATE TABLE bench_parts AS SELECT id AS area_id, ST_Subdivide(geom, 256) AS geom "
                      "FROM protected_areas WHERE name = '基准保护区'"))
    conn.execute(text("CREATE INDEX ON bench_parts USING gist (geom)"))
    conn.execute(text("ANALYZE bench_parts"))
    ids = [r[0] for r in conn.execute(text("SELECT id FROM projects ORDER BY random() LIMIT 100"))]
    naive = text(
        "SELECT p.id, round(ST_Area(ST_Intersection(p.geom, a.geom))::numeric, 3) FROM projects p "
        "JOIN protected_areas a ON a.name = '基准保护区' AND ST_Intersects(p.geom, a.geom) "
        "WHERE p.id = ANY(:ids) ORDER BY p.id")
    fast = text(
        "SELECT p.id, round(sum(ST_Area(ST_Intersection(p.geom, s.geom)))::numeric, 3) FROM projects p "
        "JOIN bench_parts s ON ST_Intersects(p.geom, s.geom) "
        "WHERE p.id = ANY(:ids) GROUP BY p.id ORDER BY p.id")
    t_naive, r_naive = timed(lambda: conn.execute(naive, {"ids": ids}).all(), 1)
    t_fast, r_fast = timed(lambda: conn.execute(fast, {"ids": ids}).all(), 3)
    same = [(i, float(a)) for i, a in r_naive] == [(i, float(a)) for i, a in r_fast]
    close = len(r_naive) == len(r_fast) and all(
        i == j and abs(float(a) - float(b)) <= 0.01 for (i, a), (j, b) in zip(r_naive, r_fast))
    print(f"    encroachment results identical: {same or close} ({len(r_fast)} of 100 projects overlap)")
    line("encroachment check, subdivided vs raw polygon", t_naive / t_fast, 30, t_naive, t_fast)


def bench_items(app) -> None:
    """5,000 features: GeoJSON built in SQL vs ORM objects serialised in Python."""
    from geoalchemy2.shape import to_shape
    from shapely.geometry import mapping

    from gis_tracker.models import LayerFeature
    from gis_tracker.services.features import catalog
    from gis_tracker.services.features.reads import ItemQuery, query_items
    from gis_tracker.spatial.measure import reproject

    with app.app_context():
        coll = catalog.get("parcels", db.session)

        def sql_way():
            page = query_items(db.session, coll, ItemQuery(limit=5000))
            return '{"type":"FeatureCollection","features":[' + ",".join(page.features) + "]}"

        def orm_way():
            rows = db.session.scalars(select(LayerFeature).where(LayerFeature.layer_id == coll.layer_id)
                                      .order_by(LayerFeature.id).limit(5000)).all()
            feats = [{"type": "Feature", "id": r.id, "properties": r.properties,
                      "geometry": mapping(reproject(to_shape(r.geom), 4547, 4326))} for r in rows]
            return json.dumps({"type": "FeatureCollection", "features": feats})

        t_sql, body = timed(sql_way)
        t_orm, _ = timed(orm_way)
        db.session.rollback()
    assert json.loads(body)["features"].__len__() == 5000
    line("items of 5,000 features, SQL-built vs ORM", t_orm / t_sql, 5, t_orm, t_sql)


def _tiles_for_view(lon: float, lat: float, z: int, width: int = 1280, height: int = 720, pad: float = 0.15):
    """Return the tiles covering a view, and the lon/lat bbox the map requests for it as GeoJSON.

    The map's by-extent loading asks for the view padded by 15 % on each side
    (``getBounds().pad(0.15)`` in static/js/map.js), so that is what GeoJSON costs.
    """
    n = 2 ** z
    cx = (lon + 180) / 360 * n * 256
    cy = (1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n * 256
    xs = range(int((cx - width / 2) // 256), int((cx + width / 2) // 256) + 1)
    ys = range(int((cy - height / 2) // 256), int((cy + height / 2) // 256) + 1)
    width, height = width * (1 + 2 * pad), height * (1 + 2 * pad)
    lon0 = (cx - width / 2) / (n * 256) * 360 - 180
    lon1 = (cx + width / 2) / (n * 256) * 360 - 180

    def lat_of(py):
        return math.degrees(math.atan(math.sinh(math.pi * (1 - 2 * py / (n * 256)))))
    return [(x, y) for x in xs for y in ys], (lon0, lat_of(cy + height / 2), lon1, lat_of(cy - height / 2))


def bench_mvt_bytes(app) -> None:
    """One 1280×720 view at zoom 14 of the parcels layer: MVT bytes vs GeoJSON bytes."""
    from gis_tracker.services.features import catalog, tiles
    from gis_tracker.services.features.reads import ItemQuery, query_items

    with app.app_context():
        coll = catalog.get("parcels", db.session)
        tile_list, bbox = _tiles_for_view(113.13, 27.95, 14)
        mvt = sum(len(tiles.render(db.session, coll, 14, x, y)) for x, y in tile_list)
        page = query_items(db.session, coll, ItemQuery(limit=1_000_000, bbox=bbox))
        geojson = len(('{"type":"FeatureCollection","features":[' + ",".join(page.features) + "]}").encode())
        db.session.rollback()
    print(f"    1280x720 view: {len(tile_list)} tiles vs one GeoJSON request of the view padded 15 % "
          f"({page.number_matched} parcels), as static/js/map.js loads it")
    line("bytes of a zoom-14 view, GeoJSON / MVT", geojson / max(mvt, 1), 10, geojson, mvt, "bytes")


def _load(url: str, token: str, seconds: int, concurrency: int) -> float:
    """Return requests/second on ``url`` (wrk when installed, else a Python thread pool)."""
    if shutil.which("wrk"):
        out = subprocess.run(["wrk", "-t2", f"-c{concurrency}", f"-d{seconds}s", "-H",
                              f"Authorization: Bearer {token}", url], capture_output=True, text=True).stdout
        for ln in out.splitlines():
            if ln.startswith("Requests/sec:"):
                return float(ln.split()[1])
        raise RuntimeError(out)
    import requests

    deadline = time.time() + seconds

    def worker():
        n, s = 0, requests.Session()
        while time.time() < deadline:
            if s.get(url, headers={"Authorization": f"Bearer {token}"}).status_code == 200:
                n += 1
        return n
    with ThreadPoolExecutor(concurrency) as pool:
        total = sum(f.result() for f in [pool.submit(worker) for _ in range(concurrency)])
    return total / seconds


def bench_servers(db_url: str, token: str, seconds: int) -> None:
    """Requests/s of a read endpoint on the production server (its default configuration), per core.

    Not compared with the development server any more: that compared us with ourselves, and on 2
    cores the ratio is bounded by the cores, whatever the code (bench/peers.py compares with tipg).
    """
    from _harness import AppServer

    env = {"DATABASE_URL": localdb.runtime_url_for(db_url) or db_url, "MIGRATION_DATABASE_URL": db_url}
    path = "/ogc/collections/projects/items?limit=20"
    server = AppServer(env)
    try:
        _load(server.base + path, token, 3, 16)  # warm up every worker
        rate = _load(server.base + path, token, seconds, 16)
    finally:
        server.stop()
    cores = os.cpu_count() or 1
    print(f"    read endpoint ({path}, wrk -c16), production server with its default workers: "
          f"{rate:.4g} req/s on {cores} cores = {rate / cores:.4g} req/s per core (shared with PostgreSQL and wrk)",
          flush=True)


def bench_bulk_insert(app, n: int) -> None:
    """n features into a user layer: the import's COPY path vs ORM row inserts."""
    from shapely.geometry import box

    from gis_tracker.models import LayerFeature
    from gis_tracker.services.exchange import copy_loader
    from gis_tracker.services.features import catalog

    with app.app_context():
        with create_engine(app.config["MIGRATION_DATABASE_URL"]).begin() as conn:
            conn.execute(text(
                "INSERT INTO user_layers (name, title, geometry_type) VALUES ('bulk_orm', 'ORM', 'MultiPolygon'), "
                "('bulk_copy', 'COPY', 'MultiPolygon')"))
        orm_layer, copy_layer = catalog.get("bulk_orm", db.session), catalog.get("bulk_copy", db.session)
        rows = [({"code": f"B{i}", "area_m2": 400.0},
                 box(X0 + (i % 1000) * 20.0, Y0 + (i // 1000) * 20.0, X0 + (i % 1000) * 20.0 + 18,
                     Y0 + (i // 1000) * 20.0 + 18)) for i in range(n)]

        def orm_way():
            session = db.session
            session.add_all(LayerFeature(layer_id=orm_layer.layer_id, properties=attrs, version=1,
                                         geom=f"SRID=4547;{geom.wkt}") for attrs, geom in rows)
            session.commit()

        def copy_way():
            session = db.session
            copy_loader.copy_features(session, copy_layer, rows, "bench")
            session.commit()

        t_orm, _ = timed(orm_way, 1)
        t_copy, _ = timed(copy_way, 1)
        counts = dict(db.session.execute(text(
            "SELECT layer_id, count(*) FROM layer_features WHERE layer_id IN (:a, :b) GROUP BY layer_id"),
            {"a": orm_layer.layer_id, "b": copy_layer.layer_id}).all())
        fingerprint = text(
            "SELECT md5(string_agg(properties::text || ST_AsEWKB(geom)::text, ',' ORDER BY properties->>'code')) "
            "FROM layer_features WHERE layer_id = :layer")
        same = (db.session.scalar(fingerprint, {"layer": orm_layer.layer_id})
                == db.session.scalar(fingerprint, {"layer": copy_layer.layer_id}))
        db.session.rollback()
    assert counts.get(orm_layer.layer_id) == counts.get(copy_layer.layer_id) == n and same, (counts, same)
    line(f"bulk insert of {n:,} features, COPY (import path) vs ORM", t_orm / t_copy, 10, t_orm, t_copy)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a tenth of the data (smoke run)")
    parser.add_argument("--keep", action="store_true", help="keep the scratch database")
    parser.add_argument("--seconds", type=int, default=10, help="load duration per server")
    parser.add_argument("--only", default="encroachment,items,mvt,servers,bulk",
                        help="comma-separated subset of: encroachment,items,mvt,servers,bulk")
    args = parser.parse_args()
    only = set(args.only.split(","))
    scale = 0.1 if args.quick else 1.0
    print(f"cores: {os.cpu_count()}  scale: {scale}  database: {DB_NAME}", flush=True)
    url = localdb.create_database(DB_NAME)
    try:
        app = create_app(TestConfig(url))
        with app.app_context():
            migrations.upgrade(db.migration_engine, app_role=db.app_role)
        engine = create_engine(url)
        start = time.perf_counter()
        with engine.begin() as conn:
            generate(conn, scale)
        _vacuum(url)
        print(f"    generated the scaled district in {time.perf_counter() - start:.0f} s", flush=True)
        if "encroachment" in only:
            with engine.begin() as conn:
                bench_encroachment(conn)
        if "items" in only:
            bench_items(app)
        if "mvt" in only:
            bench_mvt_bytes(app)
        if "servers" in only:
            with app.app_context():
                from gis_tracker.services.accounts import users
                users.create_user(db.session, "bench", "viewer", "bench-password-1")
                token = users.issue_token(db.session, "bench")
            bench_servers(url, token, args.seconds)
        if "bulk" in only:
            bench_bulk_insert(app, int(100_000 * scale))
        engine.dispose()
        app.extensions["db_engine"].dispose()
    finally:
        if not args.keep:
            localdb.drop_database(DB_NAME)
    return 0


if __name__ == "__main__":
    sys.exit(main())
