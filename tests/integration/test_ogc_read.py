"""OGC API – Features read endpoints, as QGIS and GDAL use them."""
import time

import pytest

COLLECTIONS = ["zones", "enterprises", "protected_areas", "water_bodies", "projects", "encroachments"]


def test_landing_and_conformance(admin_client):
    landing = admin_client.get("/ogc").get_json()
    rels = {link["rel"] for link in landing["links"]}
    assert {"self", "conformance", "data"} <= rels
    conf = admin_client.get("/ogc/conformance").get_json()
    assert "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core" in conf["conformsTo"]


def test_collections_list_all_layers(admin_client):
    body = admin_client.get("/ogc/collections").get_json()
    ids = [c["id"] for c in body["collections"]]
    assert ids == COLLECTIONS
    for c in body["collections"]:
        assert any(link["rel"] == "items" for link in c["links"])
        minx, miny, maxx, maxy = c["extent"]["spatial"]["bbox"][0]
        assert 112.9 < minx < maxx < 113.4 and 27.7 < miny < maxy < 28.1


@pytest.mark.parametrize("cid", COLLECTIONS)
def test_items_are_geojson_with_counts(admin_client, cid):
    resp = admin_client.get(f"/ogc/collections/{cid}/items?limit=5")
    assert resp.status_code == 200
    assert resp.mimetype == "application/geo+json"
    body = resp.get_json()
    assert body["type"] == "FeatureCollection"
    assert body["numberReturned"] == len(body["features"]) <= 5
    assert body["numberMatched"] >= body["numberReturned"]
    feat = body["features"][0]
    assert feat["type"] == "Feature" and isinstance(feat["id"], int)
    lon, lat = _first_coordinate(feat["geometry"])
    assert 112.9 < lon < 113.4 and 27.7 < lat < 28.1


def _first_coordinate(geometry):
    coords = geometry["coordinates"]
    while isinstance(coords[0], list):
        coords = coords[0]
    return coords


def test_enterprise_items_carry_stage_code_and_label(admin_client):
    feats = admin_client.get("/ogc/collections/enterprises/items?limit=200").get_json()["features"]
    assert len(feats) == 172
    labels = {f["properties"]["stage"]: f["properties"]["stage_label"] for f in feats}
    if "accepted" in labels:
        assert labels["accepted"] == "验收销号"
    assert all(f["properties"]["name"] for f in feats)


def test_paging_walks_every_enterprise_once(admin_client):
    url = "/ogc/collections/enterprises/items?limit=50"
    seen = []
    while url:
        body = admin_client.get(url).get_json()
        assert body["numberMatched"] == 172
        seen += [f["id"] for f in body["features"]]
        nxt = [link["href"] for link in body["links"] if link["rel"] == "next"]
        url = nxt[0].replace("http://localhost", "") if nxt else None
    assert len(seen) == 172 == len(set(seen))


def test_bbox_filters_features(admin_client):
    everything = admin_client.get("/ogc/collections/enterprises/items?limit=1000").get_json()
    north_only = admin_client.get("/ogc/collections/enterprises/items?bbox=113.0,27.95,113.3,28.1").get_json()
    assert north_only["numberMatched"] == 0  # all enterprises are in Qingshuitang, on the river
    assert everything["numberMatched"] == 172


def test_single_item_has_strong_etag(admin_client):
    first = admin_client.get("/ogc/collections/projects/items?limit=1").get_json()["features"][0]
    resp = admin_client.get(f"/ogc/collections/projects/items/{first['id']}")
    assert resp.status_code == 200
    assert resp.headers["ETag"].startswith('"') and not resp.headers["ETag"].startswith("W/")
    assert resp.get_json()["properties"]["name"] == first["properties"]["name"]


@pytest.mark.parametrize("url,status,code", [
    ("/ogc/collections/nope", 404, "unknown_collection"),
    ("/ogc/collections/nope/items", 404, "unknown_collection"),
    ("/ogc/collections/projects/items/999999", 404, "unknown_feature"),
    ("/ogc/collections/projects/items/abc", 404, "unknown_feature"),
    ("/ogc/collections/projects/items?bbox=1,2,3", 400, "bad_bbox"),
    ("/ogc/collections/projects/items?limit=zero", 400, "bad_limit"),
    ("/ogc/collections/projects/items?offset=-1", 400, "bad_offset"),
])
def test_bad_requests_get_json_errors(admin_client, url, status, code):
    resp = admin_client.get(url)
    assert resp.status_code == status
    body = resp.get_json()
    assert body["code"] == code and body["message"]


def test_bearer_token_reads_the_api(app, api_token):
    client = app.test_client()
    resp = client.get("/ogc/collections/zones/items", headers={"Authorization": f"Bearer {api_token}"})
    assert resp.status_code == 200
    bad = client.get("/ogc/collections/zones/items", headers={"Authorization": "Bearer sf_wrong"})
    assert bad.status_code == 401 and bad.get_json()["code"] == "unauthorized"


def test_unchanged_items_answer_304_and_compress(admin_client):
    first = admin_client.get("/ogc/collections/zones/items?limit=50", headers={"Accept-Encoding": "gzip"})
    assert first.status_code == 200 and first.headers["Content-Encoding"] == "gzip"
    etag = first.headers["ETag"]
    again = admin_client.get("/ogc/collections/zones/items?limit=50", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.data == b""
    time.sleep(1.1)  # the page's timeStamp is another second now: the page itself has not changed
    later = admin_client.get("/ogc/collections/zones/items?limit=50", headers={"If-None-Match": etag})
    assert later.status_code == 304
    other = admin_client.get("/ogc/collections/zones/items?limit=49", headers={"If-None-Match": etag})
    assert other.status_code == 200


def test_crs_round_trip_and_axis_order(admin_client):
    """A feature requested in EPSG:4547 equals its CRS84 original transformed (northing first)."""
    from pyproj import Transformer

    plain = admin_client.get("/ogc/collections/enterprises/items?limit=1").get_json()
    fid = plain["features"][0]["id"]
    lon, lat = plain["features"][0]["geometry"]["coordinates"]
    gk = admin_client.get(f"/ogc/collections/enterprises/items/{fid}"
                          "?crs=http://www.opengis.net/def/crs/EPSG/0/4547")
    assert gk.headers["Content-Crs"] == "<http://www.opengis.net/def/crs/EPSG/0/4547>"
    north, east = gk.get_json()["geometry"]["coordinates"]
    x, y = Transformer.from_crs(4326, 4547, always_xy=True).transform(lon, lat)
    assert abs(east - x) < 0.05 and abs(north - y) < 0.05
    cg = admin_client.get(f"/ogc/collections/enterprises/items/{fid}"
                          "?crs=http://www.opengis.net/def/crs/EPSG/0/4490").get_json()
    lat2, lon2 = cg["geometry"]["coordinates"]  # EPSG:4490 is latitude first
    assert abs(lat2 - lat) < 1e-6 and abs(lon2 - lon) < 1e-6


def test_bbox_crs_4490_is_latitude_first(admin_client):
    lonlat = admin_client.get("/ogc/collections/enterprises/items?bbox=113.0,27.8,113.2,27.9").get_json()
    latlon = admin_client.get("/ogc/collections/enterprises/items?bbox=27.8,113.0,27.9,113.2"
                              "&bbox-crs=http://www.opengis.net/def/crs/EPSG/0/4490").get_json()
    assert lonlat["numberMatched"] == latlon["numberMatched"] > 0


def test_property_filter_and_sortby(admin_client):
    body = admin_client.get("/ogc/collections/enterprises/items?path=close&sortby=-employees&limit=500").get_json()
    assert body["numberMatched"] > 0
    assert all(f["properties"]["path"] == "close" for f in body["features"])
    employees = [f["properties"]["employees"] for f in body["features"]]
    assert employees == sorted(employees, reverse=True)
    assert admin_client.get("/ogc/collections/enterprises/items?colour=red").status_code == 400
    assert admin_client.get("/ogc/collections/enterprises/items?sortby=colour").status_code == 400
    assert admin_client.get("/ogc/collections/enterprises/items?employees=many").status_code == 400
    assert admin_client.get("/ogc/collections/enterprises/items?crs=EPSG:9999").status_code == 400


@pytest.mark.parametrize("url", ["/ogc?f=html", "/ogc/conformance?f=html", "/ogc/collections?f=html",
                                 "/ogc/collections/projects?f=html", "/ogc/collections/projects/items?f=html&limit=3"])
def test_html_encoding(admin_client, url):
    resp = admin_client.get(url)
    assert resp.status_code == 200 and resp.mimetype == "text/html"
    assert "<table" in resp.get_data(as_text=True) or "<ul" in resp.get_data(as_text=True)


def test_browser_accept_header_gets_html_and_bad_format_400(admin_client):
    resp = admin_client.get("/ogc/collections", headers={"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"})
    assert resp.mimetype == "text/html"
    assert admin_client.get("/ogc/collections?f=pdfx").status_code == 400
