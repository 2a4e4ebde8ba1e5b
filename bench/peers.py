"""Our server against tipg on the same PostGIS and the same 100,000 parcels; one ratio per line.

Run from the checkout: ``.venv/bin/python bench/peers.py [--quick] [--rounds 3] [--seconds 10]``.

tipg (developmentseed: FastAPI + asyncpg, OGC API – Features and Tiles straight from PostGIS,
the engine of eoAPI) is installed from PyPI into its own virtual environment under
``var/peers/tipg`` when missing, and served by uvicorn with one worker per core (its
deployment advice), reading a plain copy of the parcels table (columns, primary key, GiST
index: tipg at its best).  Our app is served as ``script/server`` serves it: the production
server (``gis_tracker.server``: gunicorn, ``deploy/gunicorn.conf.py`` defaults), reading the
parcels where the app keeps them (a user layer in ``layer_features``, attributes in JSONB).

The scratch database (private cluster) gets the app's schema and the scaled district of
``bench/scale.py``.  Then, interleaved (the order of the two servers alternates per round):

1. cold tiles: a pass over the district's tiles at z12, z14 and z15 by 4 client threads —
   our tile cache emptied before each of our passes (tipg has no cache); tiles/s;
2. warm tiles: the z14 and z15 tiles again with ``wrk -c8`` (ours from the cache); req/s
   (every client asks with ``Accept-Encoding: gzip``, as browsers, QGIS and GDAL do);
3. items by ``bbox`` (a 1280×720 view at z15) with ``limit=1000``, ``wrk -c8``; req/s;
4. single features by id, ``wrk -c8``; req/s;
5. a mixed load of 50 viewers (a view's tiles, the view's items, a feature, a pause),
   our cache emptied first: p50/p95 latency and errors;
6. memory: RSS and PSS of our gunicorn workers after the load, and of the whole app.

Each line prints the ratio ours/tipg (for latency: tipg/ours, so above 1 is better), the
target, and both medians.  Only ratios mean something on a shared 2-core machine: the load
average is printed before and after.  Not asserted anywhere in the test suite.
"""
from __future__ import annotations

import argparse
import math
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import requests  # noqa: E402
from _harness import AppServer, percentile  # noqa: E402
from scale import X0, X1, Y0, Y1, _vacuum, generate  # noqa: E402
from sqlalchemy import create_engine, text  # noqa: E402

from gis_tracker import create_app, localdb  # noqa: E402
from gis_tracker.config import TestConfig  # noqa: E402
from gis_tracker.db import db  # noqa: E402
from gis_tracker.services.accounts import users  # noqa: E402
from gis_tracker.services.features.tiles import tiles_covering  # noqa: E402
from gis_tracker.services.platform import migrations  # noqa: E402
from tests.support.tempcluster import free_port  # noqa: E402

DB_NAME = "shifeng_bench_peers"
TIPG_VERSION = "1.6.1"
TIPG_ENV = ROOT / "var" / "peers" / "tipg"
TIPG_COLLECTION = "peers.parcels"
CORES = os.cpu_count() or 1


# ---------------------------------------------------------------- setup

def ensure_tipg() -> Path:
    """Install tipg and uvicorn into var/peers/tipg when missing; return its uvicorn."""
    uvicorn = TIPG_ENV / "bin" / "uvicorn"
    probe = [str(TIPG_ENV / "bin" / "python"), "-c", "import tipg, sys; sys.exit(tipg.__version__ != sys.argv[1])",
             TIPG_VERSION]
    if uvicorn.exists() and subprocess.run(probe, capture_output=True).returncode == 0:
        return uvicorn
    print(f"installing tipg {TIPG_VERSION} into {TIPG_ENV.relative_to(ROOT)} …", flush=True)
    python = shutil.which("python3.11") or sys.executable
    subprocess.run([python, "-m", "venv", str(TIPG_ENV)], check=True)
    subprocess.run([str(TIPG_ENV / "bin" / "pip"), "install", "-q", f"tipg=={TIPG_VERSION}", "uvicorn[standard]"],
                   check=True)
    return uvicorn


def prepare_database(scale: float, reuse: bool) -> tuple[str, str]:
    """Create (or reuse) the scratch database with the scaled district and tipg's plain copy; return its URLs."""
    owner = localdb.url(DB_NAME)
    engine = create_engine(owner)
    if reuse:
        try:
            with engine.connect() as conn:
                if conn.scalar(text("SELECT to_regclass('peers.parcels') IS NOT NULL")):
                    print(f"reusing the scratch database {DB_NAME}", flush=True)
                    return owner, localdb.runtime_url_for(owner) or owner
        except Exception:  # noqa: BLE001 - no such database yet: create it below
            pass
        finally:
            engine.dispose()
    localdb.drop_database(DB_NAME)
    owner = localdb.create_database(DB_NAME)
    app = create_app(TestConfig(owner))
    with app.app_context():
        migrations.upgrade(db.migration_engine, app_role=db.app_role)
    app.extensions["db_engine"].dispose()
    engine = create_engine(owner)
    started = time.perf_counter()
    with engine.begin() as conn:
        generate(conn, scale)
        # tipg at its best: the same parcels as a plain table with columns, a primary key and a GiST index.
        conn.execute(text("CREATE SCHEMA peers"))
        conn.execute(text(
            "CREATE TABLE peers.parcels AS SELECT f.id, f.properties->>'code' AS code, "
            "f.properties->>'land_use' AS land_use, f.properties->>'owner' AS owner, "
            "(f.properties->>'registered')::date AS registered, (f.properties->>'area_m2')::float8 AS area_m2, "
            "f.geom::geometry(MultiPolygon, 4547) AS geom FROM layer_features f "
            "JOIN user_layers l ON l.id = f.layer_id WHERE l.name = 'parcels' AND f.deleted_at IS NULL"))
        conn.execute(text("ALTER TABLE peers.parcels ADD PRIMARY KEY (id)"))
        conn.execute(text("CREATE INDEX parcels_geom ON peers.parcels USING gist (geom)"))
    engine.dispose()
    _vacuum(owner)
    print(f"    generated the scaled district and tipg's copy in {time.perf_counter() - started:.0f} s", flush=True)
    return owner, localdb.runtime_url_for(owner) or owner


def viewer_token(owner: str) -> str:
    """Create a viewer account (if missing) and return a new API token for it."""
    app = create_app(TestConfig(owner))
    with app.app_context():
        if users.find_user(db.session, "bench_viewer") is None:
            users.create_user(db.session, "bench_viewer", "viewer", "bench-password-1")
        token = users.issue_token(db.session, "bench_viewer", "peers")
        db.session.close()
    app.extensions["db_engine"].dispose()
    return token


class Tipg:
    """tipg under uvicorn, one worker per core, on the scratch database."""

    def __init__(self, uvicorn: Path, owner_url: str) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        env = dict(os.environ, DATABASE_URL=owner_url.replace("postgresql+psycopg2://", "postgresql://"),
                   TIPG_DB_SCHEMAS='["peers"]', TIPG_DB_FUNCTIONS="[]", TIPG_DEBUG="false")
        self.log = Path(tempfile.mkstemp(prefix="shifeng-bench-tipg-", suffix=".log")[1])
        with open(self.log, "wb") as out:
            self.process = subprocess.Popen(
                [str(uvicorn), "tipg.main:app", "--host", "127.0.0.1", "--port", str(self.port),
                 "--workers", str(CORES), "--no-access-log", "--log-level", "warning"],
                cwd=TIPG_ENV, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
        deadline, ok = time.monotonic() + 120, 0
        while ok < 5:
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("tipg did not start:\n" + self.log.read_text(errors="replace")[-3000:])
            try:
                ok = ok + 1 if requests.get(f"{self.base}/collections/{TIPG_COLLECTION}", timeout=5).ok else 0
            except requests.RequestException:
                ok = 0
            time.sleep(0.3)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.process.kill()
        self.log.unlink(missing_ok=True)


# ---------------------------------------------------------------- what the two servers are asked

class Target:
    """The URLs of one server for the same data."""

    def __init__(self, name: str, base: str, headers: dict, tile: str, items: str, item: str) -> None:
        self.name, self.base, self.headers = name, base, headers
        self.tile, self.items, self.item = tile, items, item

    def tile_url(self, z: int, x: int, y: int) -> str:
        return self.tile.format(z=z, x=x, y=y)

    def items_url(self, bbox) -> str:
        return self.items + "?limit=1000&bbox=" + ",".join(f"{v:.6f}" for v in bbox)

    def item_url(self, fid: int) -> str:
        return self.item.format(id=fid)


def district_bbox(owner: str) -> tuple[float, float, float, float]:
    """Return the lon/lat box of the generated district."""
    with create_engine(owner).connect() as conn:
        row = conn.execute(text("SELECT ST_XMin(b), ST_YMin(b), ST_XMax(b), ST_YMax(b) FROM (SELECT ST_Transform("
                                "ST_MakeEnvelope(:x0, :y0, :x1, :y1, 4547), 4326)::box2d b) s"),
                           {"x0": X0, "y0": Y0, "x1": X1, "y1": Y1}).one()
    return tuple(row)


def pass_tiles(bbox, z: int, side: int | None) -> list[tuple[int, int, int]]:
    """Return the tiles of one cold pass: all tiles over the district, or its central side × side."""
    found = tiles_covering(bbox, z)
    if side:
        xs, ys = sorted({x for x, _ in found}), sorted({y for _, y in found})
        cx, cy = xs[len(xs) // 2], ys[len(ys) // 2]
        found = [(x, y) for x, y in found if cx - side // 2 <= x < cx - side // 2 + side
                 and cy - side // 2 <= y < cy - side // 2 + side]
    return [(z, x, y) for x, y in found]


def view_bbox(lon: float, lat: float, z: int, width: int = 1280, height: int = 720):
    """Return the lon/lat box of a width × height pixel view centred on lon/lat at zoom z."""
    n = 2 ** z * 256
    cx, cy = (lon + 180) / 360 * n, (1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n

    def lat_of(py):
        return math.degrees(math.atan(math.sinh(math.pi * (1 - 2 * py / n))))
    return ((cx - width / 2) / n * 360 - 180, lat_of(cy + height / 2), (cx + width / 2) / n * 360 - 180,
            lat_of(cy - height / 2))


# ---------------------------------------------------------------- measurements

def cold_pass(target: Target, tiles: list, threads: int = 4) -> tuple[float, int]:
    """Fetch every tile once with ``threads`` clients; return (tiles/s, errors)."""
    errors = [0]
    local = threading.local()

    def fetch(tile):
        http = getattr(local, "http", None) or requests.Session()
        local.http = http
        resp = http.get(target.tile_url(*tile), headers=target.headers, timeout=120)
        errors[0] += resp.status_code != 200
    started = time.perf_counter()
    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(fetch, tiles))
    return len(tiles) / (time.perf_counter() - started), errors[0]


def empty_our_cache(owner: str) -> None:
    with create_engine(owner).begin() as conn:
        conn.execute(text("DELETE FROM tile_cache WHERE collection = 'parcels'"))


def wrk(target: Target, paths: list[str], seconds: int, connections: int = 8) -> tuple[float, int]:
    """Return (requests/s, non-2xx answers) of ``wrk`` cycling through ``paths``."""
    script = Path(tempfile.mkstemp(suffix=".lua")[1])
    quoted = ",\n".join('"' + p.replace('"', '\\"') + '"' for p in paths)
    script.write_text("local paths = {\n" + quoted + "\n}\nlocal i = math.random(#paths)\n"
                      "request = function()\n  i = i % #paths + 1\n  return wrk.format('GET', paths[i])\nend\n")
    cmd = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--timeout", "30s", "-s", str(script),
           "-H", "Accept-Encoding: gzip"]  # as browsers, QGIS and GDAL ask (requests does too)
    for key, value in target.headers.items():
        cmd += ["-H", f"{key}: {value}"]
    out = subprocess.run(cmd + [target.base], capture_output=True, text=True).stdout
    script.unlink()
    rate = next((float(ln.split()[1]) for ln in out.splitlines() if ln.startswith("Requests/sec:")), None)
    if rate is None:
        raise RuntimeError(out)
    bad = sum(int(ln.split()[-1]) for ln in out.splitlines() if "Non-2xx" in ln)
    bad += sum(int(part.split()[-1]) for ln in out.splitlines() if ln.strip().startswith("Socket errors:")
               for part in ln.split(":", 1)[1].split(","))
    return rate, bad


def relative(url: str, base: str) -> str:
    return url[len(base):]


def mixed_load(target: Target, bbox, viewers: int, seconds: float, seed: int, ids: int) -> tuple[list, int, int]:
    """``viewers`` threads, each: a view's tiles, its items, one feature, a pause.  Return (latencies, n, errors)."""
    latencies, errors, lock = [], [0], threading.Lock()
    stop = threading.Event()

    def viewer(index: int) -> None:
        rng = random.Random(seed * 1000 + index)
        http = requests.Session()
        while not stop.is_set():
            z = rng.choice((12, 13, 14, 15))
            lon, lat = rng.uniform(bbox[0], bbox[2]), rng.uniform(bbox[1], bbox[3])
            view = view_bbox(lon, lat, z)
            urls = [target.tile_url(z, x, y) for x, y in tiles_covering(view, z)]
            urls += [target.items_url(view_bbox(lon, lat, max(z, 15))), target.item_url(rng.randint(1, ids))]
            for url in urls:
                if stop.is_set():
                    break
                started = time.perf_counter()
                try:
                    ok = http.get(url, headers=target.headers, timeout=60).status_code == 200
                except requests.RequestException:
                    ok = False
                with lock:
                    latencies.append(time.perf_counter() - started)
                    errors[0] += not ok
            stop.wait(rng.uniform(0.2, 0.8))  # the user looks at the map

    threads = [threading.Thread(target=viewer, args=(i,), daemon=True) for i in range(viewers)]
    for t in threads:
        t.start()
    time.sleep(seconds)
    stop.set()
    for t in threads:
        t.join(90)
    return latencies, len(latencies), errors[0]


def memory(server: AppServer) -> dict:
    """Return RSS, peak RSS and PSS (MB) of the arbiter and each worker."""
    def read(pid: int) -> dict:
        values = {}
        for name in (f"/proc/{pid}/status", f"/proc/{pid}/smaps_rollup"):
            for ln in Path(name).read_text().splitlines():
                key, _sep, rest = ln.partition(":")
                if key in ("VmRSS", "VmHWM", "Pss"):
                    values[key] = int(rest.split()[0]) / 1024
        return values
    return {"arbiter": read(server.process.pid), "workers": [read(p) for p in server.worker_pids()]}


def line(ok: bool, label: str, ratio: float, target: str, detail: str) -> None:
    print(f"{'OK ' if ok else 'LOW'} {label}: {ratio:.2f}x ({target}; {detail})", flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a tenth of the data (smoke run)")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds of cold passes")
    parser.add_argument("--seconds", type=int, default=10, help="seconds per wrk run and per mixed-load round")
    parser.add_argument("--viewers", type=int, default=50)
    parser.add_argument("--keep", action="store_true", help="keep the scratch database")
    parser.add_argument("--reuse", action="store_true", help="reuse a kept scratch database")
    parser.add_argument("--only", default="cold,warm,items,item,mixed,memory",
                        help="comma-separated subset of: cold,warm,items,item,mixed,memory")
    args = parser.parse_args()
    only = set(args.only.split(","))
    scale = 0.1 if args.quick else 1.0
    print(f"cores: {CORES}  scale: {scale}  load average before: {' '.join(f'{v:.2f}' for v in os.getloadavg())}",
          flush=True)
    uvicorn = ensure_tipg()
    owner, app_url = prepare_database(scale, args.reuse)
    token = viewer_token(owner)
    ours_server = AppServer({"DATABASE_URL": app_url, "MIGRATION_DATABASE_URL": owner})
    tipg = None
    try:
        tipg = Tipg(uvicorn, owner)
        ours = Target("ours", ours_server.base, {"Authorization": f"Bearer {token}"},
                      ours_server.base + "/tiles/parcels/{z}/{x}/{y}.mvt",
                      ours_server.base + "/ogc/collections/parcels/items",
                      ours_server.base + "/ogc/collections/parcels/items/{id}")
        peer = Target("tipg", tipg.base, {},
                      tipg.base + f"/collections/{TIPG_COLLECTION}/tiles/WebMercatorQuad/{{z}}/{{x}}/{{y}}?properties=id",
                      tipg.base + f"/collections/{TIPG_COLLECTION}/items",
                      tipg.base + f"/collections/{TIPG_COLLECTION}/items/{{id}}")
        print(f"ours: {ours_server.base} (gunicorn, deploy defaults)   tipg {TIPG_VERSION}: {tipg.base} "
              f"(uvicorn, {CORES} workers)", flush=True)
        bbox = district_bbox(owner)
        n_ids = int(100_000 * scale)
        passes = {12: pass_tiles(bbox, 12, None), 14: pass_tiles(bbox, 14, 7), 15: pass_tiles(bbox, 15, 14)}
        # Warm both up once (connections, PostgreSQL's buffers, tipg's catalogue), outside the figures.
        for target in (ours, peer):
            cold_pass(target, passes[14])
        cold = {(name, z): [] for name in ("ours", "tipg") for z in passes}
        cold_errors = 0
        for rnd in range(args.rounds if "cold" in only else 0):
            for z, tiles in passes.items():
                order = (ours, peer) if (rnd + z) % 2 == 0 else (peer, ours)
                for target in order:
                    if target is ours:
                        empty_our_cache(owner)
                    rate, errs = cold_pass(target, tiles)
                    cold[(target.name, z)].append(rate)
                    cold_errors += errs
        targets = {12: 1.0, 14: 1.5, 15: 1.5}
        for z, tiles in passes.items() if "cold" in only else ():
            mine, theirs = statistics.median(cold[("ours", z)]), statistics.median(cold[("tipg", z)])
            line(mine / theirs >= targets[z], f"cold tiles z{z} ({len(tiles)} tiles, 4 clients)", mine / theirs,
                 f"target >= {targets[z]:g}x", f"tipg {theirs:.1f} tiles/s, ours {mine:.1f} tiles/s, "
                 f"median of {args.rounds} passes each")
        # Warm: our cache full (one pass), the same tiles again for both.
        warm_tiles = passes[14] + passes[15]
        cold_pass(ours, warm_tiles)
        results = {}
        for key, label, paths_of in (
            ("warm", "warm tiles z14+z15", lambda t: [relative(t.tile_url(*k), t.base) for k in warm_tiles]),
            ("items", "items by bbox, limit 1000", lambda t: [relative(t.items_url(view_bbox(
                bbox[0] + (bbox[2] - bbox[0]) * fx, bbox[1] + (bbox[3] - bbox[1]) * fy, 15)), t.base)
                for fx in (0.2, 0.4, 0.6, 0.8) for fy in (0.3, 0.7)]),
            ("item", "single feature", lambda t: [relative(t.item_url(i), t.base)
                                          for i in random.Random(7).sample(range(1, n_ids + 1), 200)]),
        ):
            if key not in only:
                continue
            rates = {}
            for target in (ours, peer) if len(results) % 2 == 0 else (peer, ours):
                rates[target.name] = wrk(target, paths_of(target), args.seconds)
            results[label] = rates
        for label, goal in (("warm tiles z14+z15", 5), ("items by bbox, limit 1000", 3), ("single feature", 1.5)):
            if label not in results:
                continue
            (mine, my_bad), (theirs, their_bad) = results[label]["ours"], results[label]["tipg"]
            line(mine / theirs >= goal and my_bad == 0, f"{label} (wrk -c8)", mine / theirs, f"target >= {goal:g}x",
                 f"tipg {theirs:.1f} req/s, ours {mine:.1f} req/s; non-2xx ours {my_bad}, tipg {their_bad}")
        # Mixed load: rounds alternate which server goes first; our cache is emptied before each of ours.
        mixed = {"ours": [], "tipg": []}
        for rnd in range(2 if "mixed" in only else 0):
            for target in (ours, peer) if rnd == 0 else (peer, ours):
                if target is ours:
                    empty_our_cache(owner)
                mixed[target.name].append(mixed_load(target, bbox, args.viewers, args.seconds, rnd, n_ids))
        summary = {}
        for name, runs in mixed.items() if "mixed" in only else ():
            summary[name] = (statistics.median(percentile(r[0], 50) for r in runs),
                             statistics.median(percentile(r[0], 95) for r in runs),
                             sum(r[1] for r in runs), sum(r[2] for r in runs))
        if summary:
            (p50, p95, n, errs), (tp50, tp95, tn, terrs) = summary["ours"], summary["tipg"]
            line(p95 <= tp95 and errs == 0, f"mixed load, {args.viewers} viewers, p95 latency tipg/ours", tp95 / p95,
                 "target >= 1x and 0 errors", f"p95 tipg {tp95:.0f} ms, ours {p95:.0f} ms; p50 tipg {tp50:.0f} ms, "
                 f"ours {p50:.0f} ms; requests tipg {tn}, ours {n}; errors tipg {terrs}, ours {errs}")
        mem = memory(ours_server)
        workers = mem["workers"]
        whole_pss = mem["arbiter"]["Pss"] + sum(w["Pss"] for w in workers)
        whole_rss = mem["arbiter"]["VmRSS"] + sum(w["VmRSS"] for w in workers)
        ok = whole_rss < 1536
        print(f"{'OK ' if ok else 'LOW'} memory of our app after the load: {len(workers)} workers, RSS per worker "
              f"{min(w['VmRSS'] for w in workers):.0f}–{max(w['VmRSS'] for w in workers):.0f} MB (peak "
              f"{max(w['VmHWM'] for w in workers):.0f} MB, PSS {statistics.mean(w['Pss'] for w in workers):.0f} MB); "
              f"whole app RSS {whole_rss:.0f} MB, PSS {whole_pss:.0f} MB (target < 1536 MB)", flush=True)
        if cold_errors:
            print(f"LOW cold passes had {cold_errors} failed tile requests", flush=True)
    finally:
        ours_server.stop()
        if tipg:
            tipg.stop()
        if not args.keep and not args.reuse:
            localdb.drop_database(DB_NAME)
    print(f"load average after: {' '.join(f'{v:.2f}' for v in os.getloadavg())}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
