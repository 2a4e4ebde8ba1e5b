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


def _features(client, collection, z, x, y):
    resp = client.get(f"/tiles/{collection}/{z}/{x}/{y}.mvt")
    assert resp.status_code == 200, resp.get_data(as_text=True)[:200]
    return mapbox_vector_tile.decode(resp.data).get(collection, {}).get("features", [])


def test_zoomed_out_tiles_hold_every_enterprise(admin_client):
    """From the whole world (z0) down to the district, the tile over Qingshuitang draws all 172 enterprises."""
    total = admin_client.get("/ogc/collections/enterprises/items?limit=1").get_json()["numberMatched"]
    assert total >= 172
    for z in range(0, 9):
        x, y = _tile_of(113.09, 27.87, z)
        assert len(_features(admin_client, "enterprises", z, x, y)) == total, f"zoom {z}"
    assert _features(admin_client, "enterprises", 2, 0, 1) == []  # the Americas: nothing, and no error


def test_tile_features_carry_their_id_and_tilejson_lists_it(admin_client):
    x, y = _tile_of(113.09, 27.87, 12)
    features = _features(admin_client, "enterprises", 12, x, y)
    assert features
    assert all(f["id"] == f["properties"]["id"] for f in features)  # the MVT feature id is the feature's id
    first = admin_client.get(f"/ogc/collections/enterprises/items/{features[0]['id']}").get_json()
    assert first["properties"]["name"] == features[0]["properties"]["name"]
    fields = admin_client.get("/tiles/enterprises.json").get_json()["vector_layers"][0]["fields"]
    assert "id" in fields and "name" in fields


def test_a_large_polygon_is_drawn_as_the_unclipped_polygon_would_be(app, admin_client):
    """Clipping in EPSG:4547 and simplifying to half a pixel change nothing a user could see."""
    from shapely.geometry import shape
    from sqlalchemy import text

    from gis_tracker.db import db

    with app.app_context():
        fid, lon, lat = db.session.execute(text(
            "SELECT id, ST_X(c), ST_Y(c) FROM (SELECT id, ST_Transform(ST_PointOnSurface(ST_Boundary(geom)), 4326) c, "
            "ST_NPoints(geom) n FROM protected_areas WHERE deleted_at IS NULL ORDER BY ST_Area(geom) DESC LIMIT 1) a")).one()
        checked = 0
        for z in (10, 12, 14, 16):
            x, y = _tile_of(lon, lat, z)  # a tile the polygon's edge crosses
            reference = db.session.scalar(text(
                "SELECT ST_AsMVT(q, 'protected_areas', 4096, 'geom') FROM (SELECT ST_AsMVTGeom(ST_Transform(geom, 3857), "
                "ST_TileEnvelope(:z, :x, :y), 4096, 64, true) AS geom FROM protected_areas WHERE id = :id) q"),
                {"z": z, "x": x, "y": y, "id": fid})
            db.session.rollback()
            expected = shape(mapbox_vector_tile.decode(bytes(reference))["protected_areas"]["features"][0]["geometry"])
            drawn = [shape(f["geometry"]) for f in _features(admin_client, "protected_areas", z, x, y) if f["id"] == fid]
            assert len(drawn) == 1, f"zoom {z}"
            difference = drawn[0].symmetric_difference(expected).area
            assert difference <= 0.005 * expected.area + 40, (z, difference, expected.area)  # < 0.5 % or a few pixels
            checked += 1
    assert checked == 4


def test_tiles_are_sent_compressed_to_clients_that_accept_it_and_revalidated(admin_client):
    import gzip

    x, y = _tile_of(113.09, 27.87, 10)
    plain = admin_client.get(f"/tiles/enterprises/10/{x}/{y}.mvt")
    packed = admin_client.get(f"/tiles/enterprises/10/{x}/{y}.mvt", headers={"Accept-Encoding": "gzip, deflate"})
    assert plain.status_code == packed.status_code == 200 and "Content-Encoding" not in plain.headers
    assert packed.headers["Content-Encoding"] == "gzip" and "Accept-Encoding" in packed.headers["Vary"]
    assert gzip.decompress(packed.data) == plain.data and len(packed.data) < len(plain.data)
    assert mapbox_vector_tile.decode(plain.data)["enterprises"]["features"]
    assert packed.headers["ETag"] == plain.headers["ETag"]  # one representation, two encodings
    again = admin_client.get(f"/tiles/enterprises/10/{x}/{y}.mvt", headers={"If-None-Match": plain.headers["ETag"]})
    assert again.status_code == 304 and again.data == b""
