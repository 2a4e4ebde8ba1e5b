"""OGC API Part 4 saves: created, replaced, patched, deleted, restored — never lost, never invalid."""
import json

import pytest
from sqlalchemy import func, select

from gis_tracker.db import db
from gis_tracker.models import AuditEntry, FeatureVersion
from tests.factories import unique
from tests.support.clients import csrf_token_of, login

SQUARE = {"type": "Polygon", "coordinates": [[[113.100, 27.950], [113.102, 27.950], [113.102, 27.952],
                                              [113.100, 27.952], [113.100, 27.950]]]}
BOWTIE = {"type": "Polygon", "coordinates": [[[113.100, 27.950], [113.102, 27.952], [113.102, 27.950],
                                              [113.100, 27.952], [113.100, 27.950]]]}
GEOJSON = "application/geo+json"


def _project(name, geometry=SQUARE, **props):
    return {"type": "Feature", "geometry": geometry,
            "properties": {"name": name, "project_type": "public", "status": "planned", **props}}


def _post(client, body, collection="projects"):
    return client.post(f"/ogc/collections/{collection}/items", data=json.dumps(body), content_type=GEOJSON)


@pytest.fixture()
def planner(client):
    return login(client, "planner")


def _csrf(client):
    return csrf_token_of(client)


def _headers(client, etag=None):
    headers = {"X-CSRFToken": _csrf(client)}
    if etag:
        headers["If-Match"] = etag
    return headers


def test_create_returns_201_location_and_etag(planner):
    name = unique("测试项目")
    resp = planner.post("/ogc/collections/projects/items", data=json.dumps(_project(name)),
                        content_type=GEOJSON, headers=_headers(planner))
    assert resp.status_code == 201, resp.get_json()
    assert "/ogc/collections/projects/items/" in resp.headers["Location"]
    assert resp.headers["ETag"].endswith('-v1"')
    fetched = planner.get(resp.headers["Location"].replace("http://localhost", ""))
    assert fetched.get_json()["properties"]["name"] == name
    assert fetched.headers["ETag"] == resp.headers["ETag"]


def test_stale_write_gets_412_with_the_other_version(app, planner):
    created = planner.post("/ogc/collections/projects/items", data=json.dumps(_project(unique("冲突"))),
                           content_type=GEOJSON, headers=_headers(planner))
    loc = created.headers["Location"].replace("http://localhost", "")
    old_etag = created.headers["ETag"]
    first = planner.patch(loc, data=json.dumps({"properties": {"investment_wan": 100}}),
                          content_type=GEOJSON, headers=_headers(planner, old_etag))
    assert first.status_code == 200 and first.get_json()["properties"]["investment_wan"] == 100
    second = planner.patch(loc, data=json.dumps({"properties": {"investment_wan": 999}}),
                           content_type=GEOJSON, headers=_headers(planner, old_etag))
    assert second.status_code == 412
    body = second.get_json()
    assert body["code"] == "stale_version"
    assert body["current"]["properties"]["investment_wan"] == 100  # their version, for the dialog
    missing = planner.patch(loc, data=json.dumps({"properties": {"investment_wan": 5}}),
                            content_type=GEOJSON, headers=_headers(planner))
    assert missing.status_code == 428
    assert planner.get(loc).get_json()["properties"]["investment_wan"] == 100


def test_bowtie_is_refused_with_reason_and_location(planner):
    resp = planner.post("/ogc/collections/projects/items", data=json.dumps(_project(unique("自相交"), BOWTIE)),
                        content_type=GEOJSON, headers=_headers(planner))
    assert resp.status_code == 422
    body = resp.get_json()
    assert body["code"] == "invalid_geometry" and "自相交" in body["message"]
    lon, lat = body["location"]["coordinates"]
    assert abs(lon - 113.101) < 1e-6 and abs(lat - 27.951) < 1e-6


@pytest.mark.parametrize("geometry,code", [
    ({"type": "Point", "coordinates": [113.1, 27.95]}, "wrong_geometry_type"),
    ({"type": "Polygon", "coordinates": [[[27.95, 113.1], [27.96, 113.1], [27.96, 113.11], [27.95, 113.1]]]},
     "outside_district"),
    ({"type": "Polygon", "coordinates": [[[113.1, 27.95], [1e999, 27.96], [113.11, 27.96], [113.1, 27.95]]]},
     "non_finite_coordinate"),
    ({"type": "Polygon", "coordinates": "nope"}, "bad_geometry"),
])
def test_bad_geometries_are_refused(planner, geometry, code):
    resp = planner.post("/ogc/collections/projects/items", data=json.dumps(_project(unique("坏"), geometry)),
                        content_type=GEOJSON, headers=_headers(planner))
    assert resp.status_code == 422, resp.get_json()
    assert resp.get_json()["code"] == code


def test_too_many_vertices_refused(app, planner):
    ring = [[113.10 + 0.00001 * i, 27.95] for i in range(200)] + [[113.10, 27.951], [113.10, 27.95]]
    app.config["MAX_VERTICES"] = 100
    try:
        resp = planner.post("/ogc/collections/projects/items",
                            data=json.dumps(_project(unique("多点"), {"type": "Polygon", "coordinates": [ring]})),
                            content_type=GEOJSON, headers=_headers(planner))
    finally:
        app.config.pop("MAX_VERTICES")
    assert resp.status_code == 422 and resp.get_json()["code"] == "too_many_vertices"


@pytest.mark.parametrize("props,status,field", [
    ({"name": ""}, 422, "name"),
    ({"project_type": "spaceport"}, 422, "project_type"),
    ({"investment_wan": "lots"}, 422, "investment_wan"),
    ({"colour": "red"}, 400, "colour"),
])
def test_bad_attributes_name_the_field(planner, props, status, field):
    body = _project(unique("属性"))
    body["properties"].update(props)
    resp = planner.post("/ogc/collections/projects/items", data=json.dumps(body),
                        content_type=GEOJSON, headers=_headers(planner))
    assert resp.status_code == status
    assert resp.get_json()["field"] == field


def test_roles(app, client):
    viewer = login(client, "viewer")
    resp = viewer.post("/ogc/collections/projects/items", data=json.dumps(_project("x")),
                       content_type=GEOJSON, headers=_headers(viewer))
    assert resp.status_code == 403
    officer = login(app.test_client(), "relocation_officer")
    for cid in ("protected_areas", "water_bodies", "zones"):
        resp = officer.post(f"/ogc/collections/{cid}/items", data=json.dumps(_project("x")),
                            content_type=GEOJSON, headers=_headers(officer))
        assert resp.status_code == 403, cid


def test_delete_keeps_the_feature_and_admin_restores_it(app, planner):
    created = planner.post("/ogc/collections/projects/items", data=json.dumps(_project(unique("删除"))),
                           content_type=GEOJSON, headers=_headers(planner))
    loc = created.headers["Location"].replace("http://localhost", "")
    fid = loc.rsplit("/", 1)[1]
    gone = planner.delete(loc, headers=_headers(planner, created.headers["ETag"]))
    assert gone.status_code == 204
    assert planner.get(loc).status_code == 404
    refused = planner.post(f"/api/collections/projects/items/{fid}/restore", headers=_headers(planner))
    assert refused.status_code == 403
    admin = login(app.test_client(), "admin")
    back = admin.post(f"/api/collections/projects/items/{fid}/restore", headers=_headers(admin))
    assert back.status_code == 200
    assert admin.get(loc).status_code == 200


def test_history_and_restore_of_an_earlier_version(app, planner):
    name = unique("历史")
    created = planner.post("/ogc/collections/projects/items", data=json.dumps(_project(name)),
                           content_type=GEOJSON, headers=_headers(planner))
    loc = created.headers["Location"].replace("http://localhost", "")
    fid = loc.rsplit("/", 1)[1]
    moved = {"type": "Polygon", "coordinates": [[[113.100, 27.950], [113.103, 27.950], [113.103, 27.953],
                                                 [113.100, 27.953], [113.100, 27.950]]]}
    upd = planner.put(loc, data=json.dumps(_project(name + "-改", moved)), content_type=GEOJSON,
                      headers=_headers(planner, created.headers["ETag"]))
    assert upd.status_code == 200
    hist = planner.get(f"/api/collections/projects/items/{fid}/versions").get_json()["versions"]
    assert [v["version"] for v in hist] == [1, 2]
    assert hist[0]["properties"]["name"] == name and hist[1]["properties"]["name"] == name + "-改"
    assert hist[0]["geometry"] != hist[1]["geometry"] and hist[1]["username"] == "planner"
    back = planner.post(f"/api/collections/projects/items/{fid}/versions/1/restore",
                        headers=_headers(planner, upd.headers["ETag"]))
    assert back.status_code == 200
    assert back.get_json()["properties"]["name"] == name
    assert back.headers["ETag"].endswith('-v3"')
    with app.app_context():
        audits = db.session.scalar(select(func.count()).select_from(AuditEntry).where(
            AuditEntry.object_type == "projects", AuditEntry.object_id == fid))
        versions = db.session.scalar(select(func.count()).select_from(FeatureVersion).where(
            FeatureVersion.collection == "projects", FeatureVersion.feature_id == int(fid)))
    assert audits == 3 and versions == 3


def test_bad_json_and_media_type(planner):
    resp = planner.post("/ogc/collections/projects/items", data="{not json", content_type=GEOJSON,
                        headers=_headers(planner))
    assert resp.status_code == 400 and resp.get_json()["code"] == "bad_json"
    resp = planner.post("/ogc/collections/projects/items", data="x", content_type="text/plain",
                        headers=_headers(planner))
    assert resp.status_code == 415


def test_browser_write_without_csrf_token_is_refused(planner):
    resp = planner.post("/ogc/collections/projects/items", data=json.dumps(_project(unique("csrf"))),
                        content_type=GEOJSON)
    assert resp.status_code == 403 and resp.get_json()["code"] == "csrf_failed"


def test_token_write_needs_no_csrf(app, api_token):
    client = app.test_client()
    resp = client.post("/ogc/collections/projects/items", data=json.dumps(_project(unique("令牌"))),
                       content_type=GEOJSON, headers={"Authorization": f"Bearer {api_token}"})
    assert resp.status_code == 201
