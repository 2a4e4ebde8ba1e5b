"""Vector tiles: the features of the tile's extent, fresh after every edit."""
import json
import math

import mapbox_vector_tile

from tests.factories import unique
from tests.support.clients import csrf_token_of, login


def _tile_of(lon: float, lat: float, z: int) -> tuple[int, int]:
    n = 2 ** z
    x = int((lon + 180) / 360 * n)
    y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)
    return x, y


def _names(client, collection, z, x, y):
    resp = client.get(f"/tiles/{collection}/{z}/{x}/{y}.mvt")
    assert resp.status_code == 200 and resp.mimetype == "application/vnd.mapbox-vector-tile"
    decoded = mapbox_vector_tile.decode(resp.data)
    return [f["properties"].get("name") for f in decoded.get(collection, {}).get("features", [])]


def test_tile_holds_the_features_of_its_extent(admin_client):
    feats = admin_client.get("/ogc/collections/enterprises/items?limit=1").get_json()["features"]
    lon, lat = feats[0]["geometry"]["coordinates"]
    x, y = _tile_of(lon, lat, 14)
    assert feats[0]["properties"]["name"] in _names(admin_client, "enterprises", 14, x, y)
    far_x, far_y = _tile_of(113.24, 28.02, 14)  # the north-east lobe: no enterprises there
    assert _names(admin_client, "enterprises", 14, far_x, far_y) == []


def test_tile_is_refreshed_after_an_edit(app, admin_client):
    planner = login(app.test_client(), "planner")
    csrf = csrf_token_of(planner)
    name = unique("瓦片测试")
    square = {"type": "Polygon", "coordinates": [[[113.150, 27.960], [113.152, 27.960], [113.152, 27.962],
                                                  [113.150, 27.962], [113.150, 27.960]]]}
    x, y = _tile_of(113.151, 27.961, 15)
    before = _names(planner, "projects", 15, x, y)  # cached now
    assert name not in before
    created = planner.post("/ogc/collections/projects/items", content_type="application/geo+json",
                           headers={"X-CSRFToken": csrf},
                           data=json.dumps({"type": "Feature", "geometry": square, "properties": {
                               "name": name, "project_type": "public", "status": "planned"}}))
    assert created.status_code == 201
    assert name in _names(planner, "projects", 15, x, y)
    loc = created.headers["Location"].replace("http://localhost", "")
    moved = {"type": "Polygon", "coordinates": [[[113.200, 27.960], [113.202, 27.960], [113.202, 27.962],
                                                 [113.200, 27.962], [113.200, 27.960]]]}
    upd = planner.patch(loc, content_type="application/geo+json",
                        headers={"X-CSRFToken": csrf, "If-Match": created.headers["ETag"]},
                        data=json.dumps({"geometry": moved}))
    assert upd.status_code == 200
    assert name not in _names(planner, "projects", 15, x, y)  # the old tile was invalidated
    nx, ny = _tile_of(113.201, 27.961, 15)
    assert name in _names(planner, "projects", 15, nx, ny)


def test_tilejson_and_bad_tiles(app, admin_client):
    meta = admin_client.get("/tiles/projects.json").get_json()
    assert meta["tilejson"] == "3.0.0" and meta["tiles"][0].endswith("/tiles/projects/{z}/{x}/{y}.mvt")
    assert meta["vector_layers"][0]["id"] == "projects"
    assert admin_client.get("/tiles/projects/3/99/1.mvt").status_code == 404
    assert admin_client.get("/tiles/nope/3/1/1.mvt").status_code == 404
    assert app.test_client().get("/tiles/projects/3/1/1.mvt").status_code == 401  # same access rules as the API
