"""Writes honour Content-Crs and the body's crs (EPSG:4326, 4490, 4547, each in its axis order) and If-Match: *."""
import json

import pytest
import shapely
from shapely.geometry import mapping, shape

from gis_tracker.spatial.measure import reproject
from tests.factories import cell, rect, unique

GEOJSON = "application/geo+json"
EPSG = "http://www.opengis.net/def/crs/EPSG/0/{}"


def _square(i: int):
    x, y = cell(i)
    return rect(x + 50, y + 50, x + 350, y + 350)  # EPSG:4547 metres, a free test cell


def _flip(geom):
    return shapely.transform(geom, lambda xy: xy[:, ::-1])


def _post(client, headers, geom_json, extra_headers=None, **body_extra):
    body = {"type": "Feature", "geometry": geom_json,
            "properties": {"name": unique("坐标系测试"), "project_type": "public", "status": "planned"},
            **body_extra}
    return client.post("/ogc/collections/projects/items", data=json.dumps(body),
                       headers={**headers, "Content-Type": GEOJSON, **(extra_headers or {})})


def _delete(client, headers, resp):
    fid = resp.get_json()["id"]
    client.delete(f"/ogc/collections/projects/items/{fid}", headers={**headers, "If-Match": resp.headers["ETag"]})


def _stored_4547(client, headers, fid):
    doc = client.get(f"/ogc/collections/projects/items/{fid}?crs={EPSG.format(4547)}", headers=headers).get_json()
    return _flip(shape(doc["geometry"]))  # served northing first: back to x/y


@pytest.mark.parametrize("how", ["header", "body-uri", "body-name"])
def test_a_body_in_epsg_4547_northing_first_is_stored_where_it_was_drawn(client, headers, how):
    square = _square(60)
    geom = mapping(_flip(square))  # EPSG:4547 as EPSG defines it: northing, easting
    if how == "header":
        resp = _post(client, headers, geom, {"Content-Crs": f"<{EPSG.format(4547)}>"})
    elif how == "body-uri":
        resp = _post(client, headers, geom, crs=EPSG.format(4547))
    else:
        resp = _post(client, headers, geom, crs={"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::4547"}})
    assert resp.status_code == 201, resp.get_json()
    try:
        assert resp.headers["Content-Crs"] == "<http://www.opengis.net/def/crs/OGC/1.3/CRS84>"
        stored = _stored_4547(client, headers, resp.get_json()["id"])
        assert stored.symmetric_difference(square).area < 0.01  # m²: the same square, to the centimetre
        lon, lat = shape(resp.get_json()["geometry"]).centroid.coords[0]
        assert 112.9 < lon < 113.4 and 27.7 < lat < 28.1  # the answer is lon/lat
    finally:
        _delete(client, headers, resp)


@pytest.mark.parametrize("srid", [4326, 4490])
def test_geographic_crs_are_latitude_first(client, headers, srid):
    square = _square(61)
    latlon = mapping(_flip(reproject(square, 4547, srid)))
    resp = _post(client, headers, latlon, {"Content-Crs": f"<{EPSG.format(srid)}>"})
    assert resp.status_code == 201, resp.get_json()
    try:
        assert _stored_4547(client, headers, resp.get_json()["id"]).symmetric_difference(square).area < 0.05
    finally:
        _delete(client, headers, resp)
    # without a CRS the same numbers are read as lon/lat (CRS84): latitude 113 is refused, nothing stored
    bad = _post(client, headers, latlon)
    assert bad.status_code == 422


def test_crs_conflicts_and_unsupported_crs_are_refused(client, headers):
    geom = mapping(_flip(_square(62)))
    resp = _post(client, headers, geom, {"Content-Crs": f"<{EPSG.format(4547)}>"}, crs=EPSG.format(4326))
    assert resp.status_code == 400 and resp.get_json()["code"] == "bad_crs"
    resp = _post(client, headers, geom, {"Content-Crs": "<http://www.opengis.net/def/crs/EPSG/0/3857>"})
    assert resp.status_code == 400 and resp.get_json()["parameter"] == "Content-Crs"
    resp = _post(client, headers, geom, crs={"type": "link"})
    assert resp.status_code == 400 and resp.get_json()["code"] == "bad_crs"


def test_patch_and_put_honour_content_crs(client, headers):
    first, moved = _square(63), _square(64)
    resp = _post(client, headers, mapping(reproject(first, 4547, 4326)))
    assert resp.status_code == 201
    fid, etag = resp.get_json()["id"], resp.headers["ETag"]
    patch = client.patch(f"/ogc/collections/projects/items/{fid}", data=json.dumps({"geometry": mapping(_flip(moved))}),
                         headers={**headers, "If-Match": etag, "Content-Type": "application/merge-patch+json",
                                  "Content-Crs": f"<{EPSG.format(4547)}>"})
    assert patch.status_code == 200, patch.get_json()
    assert _stored_4547(client, headers, fid).symmetric_difference(moved).area < 0.01
    _delete(client, headers, patch)


def test_if_match_star_matches_any_current_version(client, headers):
    resp = _post(client, headers, mapping(reproject(_square(65), 4547, 4326)))
    fid, etag = resp.get_json()["id"], resp.headers["ETag"]
    url = f"/ogc/collections/projects/items/{fid}"
    patch = {"Content-Type": "application/merge-patch+json"}
    stale = client.patch(url, data=json.dumps({"properties": {"investment_wan": 1}}),
                         headers={**headers, **patch, "If-Match": '"projects-0-v0"'})
    assert stale.status_code == 412
    star = client.patch(url, data=json.dumps({"properties": {"investment_wan": 2}}),
                        headers={**headers, **patch, "If-Match": "*"})
    assert star.status_code == 200 and star.headers["ETag"] != etag
    assert client.get(url, headers=headers).get_json()["properties"]["investment_wan"] == 2
    weak = client.patch(url, data=json.dumps({"properties": {"investment_wan": 3}}),
                        headers={**headers, **patch, "If-Match": "W/" + star.headers["ETag"]})
    assert weak.status_code == 412  # If-Match compares strongly (RFC 9110)
    assert client.patch(url, data=json.dumps({"properties": {"investment_wan": 3}}),
                        headers={**headers, **patch}).status_code == 428
    assert client.delete(url, headers={**headers, "If-Match": "*"}).status_code == 204
    assert client.delete(url, headers={**headers, "If-Match": "*"}).status_code == 404  # no current version
