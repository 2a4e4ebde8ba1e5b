"""A big layer's low-zoom tiles are rendered again in the background after an import or an edit,
and no tile rendered before a write is ever cached after it."""
from __future__ import annotations

import gzip
import threading

import geopandas as gpd
import mapbox_vector_tile
import pytest
from shapely.geometry import box
from sqlalchemy import text

from gis_tracker.db import db
from gis_tracker.services.features import catalog, reads, tiles
from tests.factories import shapefile_zip, unique
from tests.support.clients import commit, sandbox, upload

X0, Y0 = 421_000.0, 3_093_000.0  # EPSG:4547, an empty spot in the north of the district
SEED_ZOOMS = (8, 9, 10)


@pytest.fixture(scope="module", autouse=True)
def exchange_dirs(app, tmp_path_factory):
    with sandbox(app, tmp_path_factory):
        yield


@pytest.fixture()
def seeding(app, monkeypatch):
    """Pre-rendering on (the test configuration has it off), for layers of 50+ features, run inline."""
    for key, value in {"TILE_SEED_ZOOMS": "8-10", "TILE_SEED_MIN_FEATURES": 50, "TILE_SEED_MIN_BYTES": 1,
                       "JOBS_INLINE": True}.items():
        monkeypatch.setitem(app.config, key, value)


def _import_grid(client, headers, tmp_path, n: int = 120) -> str:
    frame = gpd.GeoDataFrame({"name": [f"预生成地块{i}" for i in range(n)]},
                             geometry=[box(X0 + (i % 12) * 60, Y0 + (i // 12) * 60, X0 + (i % 12) * 60 + 50,
                                           Y0 + (i // 12) * 60 + 50) for i in range(n)], crs="EPSG:4547")
    resp = upload(client, headers, shapefile_zip(frame, tmp_path, "seed"))
    assert resp.status_code == 201, resp.get_json()
    name = unique("seed").replace("-", "_")
    done = commit(client, headers, resp.get_json()["id"], {"target": "new", "name": name, "title": "预生成"})
    assert done.status_code == 200, done.get_json()
    return name, done.get_json()["job"]["result"]


def _cached(session, name: str) -> dict[tuple[int, int, int], bytes]:
    rows = session.execute(text("SELECT z, x, y, data FROM tile_cache WHERE collection = :c"), {"c": name}).all()
    session.rollback()
    return {(z, x, y): gzip.decompress(data) if tiles.is_gzip(data) else bytes(data) for z, x, y, data in rows}


def _ids(data: bytes, name: str) -> set[int]:
    return {f["id"] for f in mapbox_vector_tile.decode(data).get(name, {}).get("features", [])}


def test_an_import_pre_renders_the_low_zooms_and_an_edit_renders_them_again(app, client, headers, tmp_path, seeding):
    name, result = _import_grid(client, headers, tmp_path)
    job_id = result["hooks"]["tile_seed_job"]
    job = client.get(f"/api/jobs/{job_id}", headers=headers).get_json()  # the importer follows it
    assert job["kind"] == "tile_seed" and job["status"] == "done" and job["progress"] == 100, job
    with app.app_context():
        coll = catalog.get(name, db.session)
        bbox = reads.extent(db.session, coll)
        expected = {(z, x, y) for z in SEED_ZOOMS for x, y in tiles.tiles_covering(bbox, z)}
        cached = _cached(db.session, name)
    assert set(cached) == expected  # every low-zoom tile over the layer, nothing else
    assert job["result"]["tiles"] == len(expected)
    z10 = next(key for key in cached if key[0] == 10)
    served = client.get(f"/tiles/{name}/{z10[0]}/{z10[1]}/{z10[2]}.mvt", headers=headers)
    assert served.data == cached[z10] and len(_ids(served.data, name)) == 120

    # An edit drops the tiles it touches; they are rendered again, without the deleted feature.
    victim = sorted(_ids(cached[z10], name))[0]
    item = client.get(f"/ogc/collections/{name}/items/{victim}", headers=headers)
    gone = client.delete(f"/ogc/collections/{name}/items/{victim}", headers={**headers, "If-Match": item.headers["ETag"]})
    assert gone.status_code == 204, gone.get_data(as_text=True)
    with app.app_context():
        again = _cached(db.session, name)
    assert z10 in again and victim not in _ids(again[z10], name) and len(_ids(again[z10], name)) == 119


def test_small_layers_are_not_pre_rendered(app, client, headers, tmp_path, seeding):
    _name, result = _import_grid(client, headers, tmp_path, n=30)
    assert "tile_seed_job" not in (result.get("hooks") or {})


@pytest.mark.parametrize("through", ["service", "endpoint"])
def test_a_tile_rendered_while_a_write_commits_is_not_cached(app, client, headers, tmp_path, monkeypatch, through):
    """The epoch check: a tile built from data a concurrent write has just changed is answered, not kept —
    by the tile service, and by the tile endpoint (whose statements run without a transaction)."""
    name, _result = _import_grid(client, headers, tmp_path)  # pre-rendering off here
    with app.app_context():
        coll = catalog.get(name, db.session)
        x, y = tiles.tiles_covering(reads.extent(db.session, coll), 10)[0]
        victim = sorted(_ids(tiles.render(db.session, coll, 10, x, y), name))[0]
        db.session.rollback()
    item = client.get(f"/ogc/collections/{name}/items/{victim}", headers=headers)
    original_render = tiles.render

    def render_then_a_write_commits(*args, **kwargs):
        data = original_render(*args, **kwargs)
        writer = threading.Thread(target=lambda: client.delete(
            f"/ogc/collections/{name}/items/{victim}", headers={**headers, "If-Match": item.headers["ETag"]}))
        writer.start()
        writer.join(30)
        return data

    monkeypatch.setattr(tiles, "render", render_then_a_write_commits)
    with app.app_context():
        if through == "service":
            stale = tiles.get_tile(db.session, coll, 10, x, y)
        else:
            stale = app.test_client().get(f"/tiles/{name}/10/{x}/{y}.mvt", headers=headers).data
        assert victim in _ids(stale, name)  # answered as rendered, before the delete
        assert (10, x, y) not in _cached(db.session, name)  # but not kept
    monkeypatch.setattr(tiles, "render", original_render)
    with app.app_context():
        fresh = tiles.get_tile(db.session, coll, 10, x, y)
        assert victim not in _ids(fresh, name) and (10, x, y) in _cached(db.session, name)
