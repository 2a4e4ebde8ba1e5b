"""APIs behind the map editor: split/repair previews, deleted features, planner-defined layers."""
import json

import pytest
from sqlalchemy import func, select

from gis_tracker.db import db
from gis_tracker.errors import Forbidden
from gis_tracker.models import AuditEntry, UserLayer
from gis_tracker.services.accounts import users
from gis_tracker.services.features import catalog, deleted
from tests.factories import unique
from tests.support.clients import csrf_token_of, login

GEOJSON = "application/geo+json"
SQUARE = {"type": "Polygon", "coordinates": [[[113.100, 27.950], [113.102, 27.950], [113.102, 27.952],
                                              [113.100, 27.952], [113.100, 27.950]]]}
BOWTIE = {"type": "Polygon", "coordinates": [[[113.100, 27.950], [113.102, 27.952], [113.102, 27.950],
                                              [113.100, 27.952], [113.100, 27.950]]]}


def _csrf(client):
    return csrf_token_of(client)


def _send(client, method, url, body=None, etag=None):
    headers = {"X-CSRFToken": _csrf(client)}
    if etag:
        headers["If-Match"] = etag
    data = json.dumps(body) if body is not None else None
    return client.open(url, method=method, data=data, content_type=GEOJSON if data else None, headers=headers)


@pytest.fixture()
def planner(client):
    return login(client, "planner")


@pytest.fixture(autouse=True)
def _retire_test_layers(app):
    """Soft-delete the layers a test created, so other tests see only the built-in collections."""
    yield
    with app.app_context():
        for layer in db.session.scalars(select(UserLayer).where(UserLayer.deleted_at.is_(None),
                                                                UserLayer.created_by == "planner")):
            layer.deleted_at = func.now()
        db.session.commit()


def test_split_preview_returns_parts_with_areas(planner):
    line = {"type": "LineString", "coordinates": [[113.1005, 27.949], [113.1005, 27.953]]}
    resp = _send(planner, "POST", "/api/geometry/split", {"geometry": SQUARE, "line": line})
    assert resp.status_code == 200, resp.get_json()
    parts = resp.get_json()["parts"]
    assert len(parts) == 2 and parts[0]["area_m2"] > parts[1]["area_m2"] > 0
    whole = 0.002 * 0.002 * 111320 * 111320 * 0.884  # about 43,000 m² at 27.95°N
    assert abs(sum(p["area_m2"] for p in parts) / whole - 1) < 0.02
    assert abs(parts[0]["area_mu"] - parts[0]["area_m2"] / (10000 / 15)) < 0.01


def test_split_with_a_line_that_misses_is_422(planner):
    line = {"type": "LineString", "coordinates": [[113.2, 27.9], [113.21, 27.9]]}
    resp = _send(planner, "POST", "/api/geometry/split", {"geometry": SQUARE, "line": line})
    assert resp.status_code == 422 and resp.get_json()["code"] == "line_does_not_split"
    bad = _send(planner, "POST", "/api/geometry/split", {"geometry": SQUARE})
    assert bad.status_code == 400 and bad.get_json()["code"] == "bad_body"


def _project_to_split(client, name):
    created = _send(client, "POST", "/ogc/collections/projects/items", {
        "type": "Feature", "geometry": SQUARE,
        "properties": {"name": name, "project_type": "industrial", "status": "planned", "investment_wan": 800}})
    assert created.status_code == 201, created.get_json()
    line = {"type": "LineString", "coordinates": [[113.1005, 27.949], [113.1005, 27.953]]}
    parts = _send(client, "POST", "/api/geometry/split", {"geometry": SQUARE, "line": line}).get_json()["parts"]
    return created.get_json()["id"], created.headers["ETag"], [p["geometry"] for p in parts]


def _projects_named(app, name):
    from gis_tracker.models import Project

    with app.app_context():
        rows = db.session.scalars(select(Project).where(Project.name == name, Project.deleted_at.is_(None))
                                  .order_by(Project.id)).all()
        return [(r.id, r.version, r.investment_wan) for r in rows]


def test_split_saves_all_parts_in_one_transaction(app, planner):
    name = unique("分割项目")
    fid, etag, parts = _project_to_split(planner, name)
    resp = _send(planner, "POST", f"/ogc/collections/projects/items/{fid}/split", {"parts": parts}, etag)
    assert resp.status_code == 200, resp.get_json()
    saved = resp.get_json()["features"]
    assert [f["id"] for f in saved][0] == fid and len(saved) == 2
    assert resp.headers["ETag"] != etag
    rows = _projects_named(app, name)
    assert [(r[1], r[2]) for r in rows] == [(2, 800), (1, 800)]  # the feature's new version + a copy
    history = planner.get(f"/api/collections/projects/items/{fid}/versions").get_json()["versions"]
    assert history[-1]["action"] == "split"
    with app.app_context():
        entry = db.session.scalar(select(AuditEntry).where(AuditEntry.object_type == "projects",
                                                           AuditEntry.object_id == str(fid),
                                                           AuditEntry.action == "split"))
    assert entry is not None and entry.after["split_into"] == [saved[1]["id"]] and entry.before["geometry"]


def test_split_into_three_keeps_dates_and_renames_unique_codes(app, planner):
    """A line crossing twice gives three parts; stored dates copy as they are; a zone's unique code gets -2, -3."""
    u_line = {"type": "LineString", "coordinates": [[113.1005, 27.949], [113.1005, 27.953], [113.1015, 27.953],
                                                    [113.1015, 27.949]]}
    parts = _send(planner, "POST", "/api/geometry/split", {"geometry": SQUARE, "line": u_line}).get_json()["parts"]
    assert len(parts) == 3
    name = unique("三块")
    project = _send(planner, "POST", "/ogc/collections/projects/items", {
        "type": "Feature", "geometry": SQUARE, "properties": {
            "name": name, "project_type": "industrial", "status": "planned", "land_supplied_date": "2019-05-01"}})
    assert project.status_code == 201, project.get_json()
    resp = _send(planner, "POST", f"/ogc/collections/projects/items/{project.get_json()['id']}/split",
                 {"parts": [p["geometry"] for p in parts]}, project.headers["ETag"])
    assert resp.status_code == 200, resp.get_json()
    assert [f["properties"]["land_supplied_date"] for f in resp.get_json()["features"]] == ["2019-05-01"] * 3

    code = unique("Z")[:30]
    zone = _send(planner, "POST", "/ogc/collections/zones/items", {
        "type": "Feature", "geometry": SQUARE,
        "properties": {"code": code, "name": "测试分割片区", "level": "sub_area"}})
    assert zone.status_code == 201, zone.get_json()
    from sqlalchemy import text

    with app.app_context():  # a sub-area of 清水塘片区: the link must survive the split
        db.session.execute(text("UPDATE zones SET parent_id = (SELECT id FROM zones WHERE code = 'QST') "
                                "WHERE id = :id"), {"id": zone.get_json()["id"]})
        db.session.commit()
    etag = planner.get(f"/ogc/collections/zones/items/{zone.get_json()['id']}").headers["ETag"]
    resp = _send(planner, "POST", f"/ogc/collections/zones/items/{zone.get_json()['id']}/split",
                 {"parts": [p["geometry"] for p in parts]}, etag)
    assert resp.status_code == 200, resp.get_json()
    assert [f["properties"]["code"] for f in resp.get_json()["features"]] == [code, f"{code}-2", f"{code}-3"]
    with app.app_context():
        parents = db.session.scalars(text("SELECT DISTINCT parent_id FROM zones WHERE code LIKE :c"),
                                     {"c": code + "%"}).all()
        assert parents == [db.session.scalar(text("SELECT id FROM zones WHERE code = 'QST'"))]

        # Gone for good: other tests count the top-level zones (deleted ones included).
        db.session.execute(text("DELETE FROM zones WHERE code LIKE :c"), {"c": code + "%"})
        db.session.commit()


@pytest.mark.parametrize("problem", ["stale", "overlap", "elsewhere", "part_outside", "no_if_match", "one_part",
                                     "not_a_list"])
def test_a_refused_split_changes_nothing(app, planner, problem):
    name = unique("拒绝分割")
    fid, etag, parts = _project_to_split(planner, name)
    body, sent_etag, status = {"parts": parts}, etag, 200
    if problem == "stale":
        moved = _send(planner, "PATCH", f"/ogc/collections/projects/items/{fid}", {"properties": {"investment_wan": 900}},
                      etag)
        assert moved.status_code == 200
        status = 412
    elif problem == "overlap":
        body, status = {"parts": [SQUARE, parts[1]]}, 422  # the whole square plus a part of it
    elif problem == "elsewhere":  # the right areas, but 1 km east of the feature
        moved = [{"type": "Polygon", "coordinates": [[[x + 0.01, y] for x, y in p["coordinates"][0]]]}
                 for p in parts]
        body, status = {"parts": moved}, 422
    elif problem == "part_outside":  # the whole feature again, plus a sliver of the neighbour's land
        sliver = {"type": "Polygon", "coordinates": [[[113.102, 27.950], [113.10201, 27.950], [113.10201, 27.952],
                                                      [113.102, 27.952], [113.102, 27.950]]]}
        body, status = {"parts": [SQUARE, sliver]}, 422
    elif problem == "no_if_match":
        sent_etag, status = None, 428
    elif problem == "one_part":
        body, status = {"parts": [SQUARE]}, 422
    else:
        body, status = {"parts": SQUARE}, 400
    before = _projects_named(app, name)
    resp = _send(planner, "POST", f"/ogc/collections/projects/items/{fid}/split", body, sent_etag)
    assert resp.status_code == status, resp.get_json()
    assert set(resp.get_json()) >= {"code", "message"}
    assert _projects_named(app, name) == before  # nothing half-saved


def test_repair_preview_makes_a_bowtie_valid_and_it_then_saves(planner):
    resp = _send(planner, "POST", "/api/geometry/repair", {"geometry": BOWTIE})
    body = resp.get_json()
    assert resp.status_code == 200 and body["changed"] and body["valid"]
    assert body["geometry"]["type"] == "MultiPolygon" and body["parts"] == 2
    saved = _send(planner, "POST", "/ogc/collections/projects/items",
                  {"type": "Feature", "geometry": body["geometry"],
                   "properties": {"name": unique("修复"), "project_type": "public", "status": "planned"}})
    assert saved.status_code == 201, saved.get_json()
    untouched = _send(planner, "POST", "/api/geometry/repair", {"geometry": SQUARE}).get_json()
    assert untouched["changed"] is False and untouched["geometry"] == SQUARE


def test_geometry_tools_need_login_and_csrf(client):
    assert client.post("/api/geometry/repair", data="{}", content_type=GEOJSON).status_code == 401
    login(client, "planner")
    resp = client.post("/api/geometry/repair", data=json.dumps({"geometry": BOWTIE}), content_type=GEOJSON)
    assert resp.status_code == 403 and resp.get_json()["code"] == "csrf_failed"


def test_viewers_get_no_geometry_tools(client):
    viewer = login(client, "viewer")
    assert _send(viewer, "POST", "/api/geometry/repair", {"geometry": BOWTIE}).status_code == 403


def test_admin_lists_deleted_features_and_restores_one(app, planner):
    name = unique("已删")
    created = _send(planner, "POST", "/ogc/collections/projects/items",
                    {"type": "Feature", "geometry": SQUARE,
                     "properties": {"name": name, "project_type": "public", "status": "planned"}})
    fid = created.get_json()["id"]
    assert _send(planner, "DELETE", f"/ogc/collections/projects/items/{fid}",
                 etag=created.headers["ETag"]).status_code == 204
    assert planner.get("/api/collections/projects/deleted").status_code == 403
    with app.app_context():  # the service refuses non-admins too, whatever route calls it
        with pytest.raises(Forbidden):
            deleted.list_deleted(db.session, catalog.get("projects"),
                                          users.find_user(db.session, "planner"))

    admin = login(app.test_client(), "admin")
    listing = admin.get("/api/collections/projects/deleted").get_json()
    found = [f for f in listing["features"] if f["id"] == fid]
    assert len(found) == 1 and listing["numberMatched"] >= 1
    assert found[0]["properties"]["name"] == name and found[0]["deleted_by"] == "planner"
    assert found[0]["geometry"]["type"] == "MultiPolygon"
    assert _send(admin, "POST", f"/api/collections/projects/items/{fid}/restore").status_code == 200
    again = admin.get("/api/collections/projects/deleted").get_json()
    assert fid not in [f["id"] for f in again["features"]]
    assert admin.get("/api/collections/nope/deleted").status_code == 404


def _layer_body(name, **extra):
    return {"name": name, "title": "绿道 " + name, "geometry_type": "LineString",
            "fields": [{"name": "grade", "type": "string", "label": "等级", "choices": ["一级", "二级"],
                        "required": True},
                       {"name": "width_m", "type": "number", "label": "宽度（米）"}],
            "style": {"color": "#228b22", "weight": 4}, **extra}


def test_planner_creates_a_layer_and_saves_a_feature_in_it(app, planner):
    name = unique("greenway").replace("-", "_")
    resp = _send(planner, "POST", "/api/layers", _layer_body(name))
    assert resp.status_code == 201, resp.get_json()
    layer = resp.get_json()
    assert layer["style"]["color"] == "#228b22" and layer["style"]["weight"] == 4.0
    assert set(layer["style"]) == {"color", "fillColor", "weight", "opacity", "fillOpacity", "label_field"}
    doc = planner.get(f"/ogc/collections/{name}").get_json()
    assert doc["properties"]["grade"]["enum"] == ["一级", "二级"] and "grade" in doc["required"]
    line = {"type": "LineString", "coordinates": [[113.10, 27.95], [113.11, 27.955]]}
    feat = _send(planner, "POST", f"/ogc/collections/{name}/items",
                 {"type": "Feature", "geometry": line, "properties": {"grade": "一级", "width_m": 6}})
    assert feat.status_code == 201, feat.get_json()
    stored = planner.get(f"/ogc/collections/{name}/items/{feat.get_json()['id']}").get_json()
    assert stored["properties"] == {"grade": "一级", "width_m": 6}  # attributes of user layers are kept
    wrong = _send(planner, "POST", f"/ogc/collections/{name}/items",
                  {"type": "Feature", "geometry": line, "properties": {"grade": "三级"}})
    assert wrong.status_code == 422 and wrong.get_json()["field"] == "grade"
    page = planner.get("/")
    assert name.encode() in page.data  # the map lists it
    with app.app_context():
        entry = db.session.scalar(select(AuditEntry).where(AuditEntry.object_type == "user_layer",
                                                           AuditEntry.object_id == name))
    assert entry.action == "create_layer" and entry.username == "planner"


@pytest.mark.parametrize("change,field", [
    ({"name": "Bad Name"}, "name"),
    ({"name": "zones"}, "name"),
    ({"geometry_type": "Circle"}, "geometry_type"),
    ({"title": ""}, "title"),
    ({"fields": [{"name": "geometry"}]}, "fields[0].name"),
    ({"style": {"fillColor": "javascript:alert(1)"}}, "style.fillColor"),
])
def test_bad_layer_definitions_name_the_field(planner, change, field):
    body = _layer_body(unique("bad").replace("-", "_"))
    body.update(change)
    resp = _send(planner, "POST", "/api/layers", body)
    assert resp.status_code == 422, resp.get_json()
    assert resp.get_json()["field"] == field


def test_style_hide_and_order_with_if_match(app, planner):
    names = [unique(p).replace("-", "_") for p in ("lyr_a", "lyr_b")]
    etags = [_send(planner, "POST", "/api/layers", _layer_body(n)).headers["ETag"] for n in names]
    styled = _send(planner, "PATCH", f"/api/layers/{names[0]}",
                   {"style": {"fillColor": "#ff0000", "fillOpacity": 0.6, "label_field": "grade"},
                    "hidden": True}, etag=etags[0])
    assert styled.status_code == 200, styled.get_json()
    body = styled.get_json()
    assert body["hidden"] is True and body["style"]["label_field"] == "grade"
    assert body["style"]["color"] == "#228b22"  # untouched keys kept
    stale = _send(planner, "PATCH", f"/api/layers/{names[0]}", {"hidden": False}, etag=etags[0])
    assert stale.status_code == 412 and stale.get_json()["current"]["hidden"] is True

    order = _send(planner, "PUT", "/api/layers/order", {"order": [names[1], names[0]]})
    assert order.status_code == 200
    listed = [layer["name"] for layer in order.get_json()["layers"]]
    assert listed.index(names[1]) < listed.index(names[0])
    config_page = planner.get("/").data.decode()
    assert config_page.index(f'"id": "{names[1]}"') < config_page.index(f'"id": "{names[0]}"')
    bad = _send(planner, "PUT", "/api/layers/order", {"order": ["nope"]})
    assert bad.status_code == 422


def test_viewers_and_officers_do_not_manage_layers(app, client):
    viewer = login(client, "viewer")
    assert viewer.get("/api/layers").status_code == 200
    resp = _send(viewer, "POST", "/api/layers", _layer_body(unique("v").replace("-", "_")))
    assert resp.status_code == 403
    officer = login(app.test_client(), "relocation_officer")
    assert _send(officer, "PUT", "/api/layers/order", {"order": []}).status_code == 403
