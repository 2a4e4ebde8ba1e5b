"""GET /api/search: what the map's search box finds, in which order, for whom, and what it refuses."""
import json

import pytest
from sqlalchemy import func, select

from gis_tracker import access
from gis_tracker.db import db
from gis_tracker.models import Enterprise, Project, UserLayer
from tests.factories import cell, lonlat, rect, unique
from tests.support.clients import csrf_token_of, login

GEOJSON = "application/geo+json"


def _send(client, method, url, body=None, etag=None):
    headers = {"X-CSRFToken": csrf_token_of(client)}
    if etag:
        headers["If-Match"] = etag
    data = json.dumps(body) if body is not None else None
    return client.open(url, method=method, data=data, content_type=GEOJSON if data else None, headers=headers)


def _search(client, q, **params):
    resp = client.get("/api/search", query_string={"q": q, **params})
    assert resp.status_code == 200, resp.get_json()
    return resp.get_json()["results"]


@pytest.fixture()
def viewer(app):
    return login(app.test_client(), "viewer")


@pytest.fixture()
def planner(app):
    return login(app.test_client(), "planner")


@pytest.fixture()
def projects(app):
    """Three projects whose names hold a unique token exactly, at the start and inside; removed afterwards."""
    token = unique("检索").replace("-", "")
    made = []
    with app.app_context():
        x0, y0 = cell(61)
        for i, name in enumerate([f"新{token}园", f"{token}园区", token]):
            geom = rect(x0 + i * 100, y0, x0 + i * 100 + 50, y0 + 50)
            project = Project(name=name, project_type="public", status="planned",
                              geom=func.ST_Multi(func.ST_GeomFromText(geom.wkt, 4547)),
                              created_by="tests", updated_by="tests")
            db.session.add(project)
            db.session.flush()
            made.append(project.id)
        db.session.commit()
    yield token, made
    with app.app_context():
        for pid in made:
            db.session.delete(db.session.get(Project, pid))
        db.session.commit()


def test_results_carry_collection_id_title_bbox_layer_and_kind(viewer):
    results = _search(viewer, "清水塘")
    assert results, "清水塘 finds nothing"
    top = results[0]
    assert top["collection"] == "zones" and top["title"].startswith("清水塘")
    assert set(top) >= {"collection", "id", "title", "bbox", "layer", "kind"}
    assert top["layer"] == "规划片区" and top["kind"] in ("zone", "sub_area") and top["kind_label"]
    minx, miny, maxx, maxy = top["bbox"]
    assert 112.9 < minx < maxx < 113.4 and 27.7 < miny < maxy < 28.1  # lon/lat of Shifeng, x first
    # Everything the app can show is in lon/lat and named as the map names the layer.
    assert all(len(r["bbox"]) == 4 and r["bbox"][0] <= r["bbox"][2] for r in results)


def test_exact_then_prefix_then_inside(viewer, projects):
    token, (inside, prefix, exact) = projects
    results = [r for r in _search(viewer, token) if r["collection"] == "projects"]
    assert [r["id"] for r in results] == [exact, prefix, inside]
    assert results[0]["title"] == token and results[0]["layer"] == "建设项目"
    assert results[0]["category"] == "公共服务"  # the project type, labelled, not its code


def test_enterprises_by_name_and_credit_code(app, viewer):
    with app.app_context():
        name, code = db.session.execute(
            select(Enterprise.name, Enterprise.credit_code)
            .where(Enterprise.credit_code.is_not(None), Enterprise.deleted_at.is_(None))
            .order_by(Enterprise.id).limit(1)).one()
    by_code = _search(viewer, code[:12].lower())  # case does not matter
    hit = next(r for r in by_code if r["collection"] == "enterprises" and r["title"] == name)
    assert hit["matched"] == "credit_code" and hit["detail"] == code and hit["kind"] == "enterprise"
    assert hit["bbox"][0] == hit["bbox"][2]  # a point: its box is the point
    by_name = _search(viewer, name)
    assert by_name[0]["title"] == name and by_name[0]["collection"] == "enterprises"


def test_zone_codes_and_pinyin_initials(viewer):
    results = _search(viewer, "qst")
    titles = [r["title"] for r in results]
    assert results[0]["collection"] == "zones" and "清水塘" in results[0]["title"]  # its code QST: exact
    assert any(r["matched"] == "pinyin" and r["title"].startswith("清水塘") for r in results), titles
    syllables = _search(viewer, "qingshuitang")
    assert syllables and all(r["title"].startswith("清水塘") for r in syllables[:3])
    assert any(r["title"].startswith("九郎山") for r in _search(viewer, "jls"))


def test_pinyin_follows_a_rename(planner, viewer, projects):
    token, (_inside, _prefix, exact) = projects
    resp = planner.get(f"/ogc/collections/projects/items/{exact}")
    etag = resp.headers["ETag"]
    new_name = "鹭鸶湾" + token[-6:]
    saved = _send(planner, "PATCH", f"/ogc/collections/projects/items/{exact}", {"properties": {"name": new_name}},
                  etag=etag)
    assert saved.status_code == 200, saved.get_json()
    found = [r for r in _search(viewer, "lsw", limit=50) if r["id"] == exact and r["collection"] == "projects"]
    assert found and found[0]["title"] == new_name and found[0]["matched"] == "pinyin"
    assert exact not in [r["id"] for r in _search(viewer, "jians", limit=50) if r["collection"] == "projects"]


def test_deleted_features_are_not_found(planner, viewer, projects):
    token, (inside, _prefix, _exact) = projects
    etag = planner.get(f"/ogc/collections/projects/items/{inside}").headers["ETag"]
    assert _send(planner, "DELETE", f"/ogc/collections/projects/items/{inside}", etag=etag).status_code == 204
    assert inside not in [r["id"] for r in _search(viewer, token)]


def test_user_layer_features_by_their_label_field(app, planner, viewer):
    name = unique("searchable").replace("-", "_")
    body = {"name": name, "title": "检索测试图层", "geometry_type": "Point",
            "fields": [{"name": "code", "type": "string", "label": "编号"},
                       {"name": "mingcheng", "type": "string", "label": "名称"}],
            "style": {"label_field": "mingcheng"}}
    assert _send(planner, "POST", "/api/layers", body).status_code == 201
    label = unique("白马垅泵站")
    x, y = cell(63)
    point = lonlat(rect(x, y, x + 1, y + 1).centroid)
    made = _send(planner, "POST", f"/ogc/collections/{name}/items",
                 {"type": "Feature", "geometry": point, "properties": {"code": "BM-1", "mingcheng": label}})
    assert made.status_code == 201, made.get_json()
    try:
        results = _search(viewer, label)
        assert results[0]["collection"] == name and results[0]["title"] == label
        assert results[0]["layer"] == "检索测试图层" and results[0]["kind"] == "feature"
        assert not [r for r in _search(viewer, "BM-1") if r["collection"] == name]  # not its label field
        assert any(r["collection"] == name for r in _search(viewer, "bmlbz", limit=50))  # pinyin of the label
    finally:
        with app.app_context():
            layer = db.session.scalar(select(UserLayer).where(UserLayer.name == name))
            layer.deleted_at = func.now()
            db.session.commit()
    assert not [r for r in _search(viewer, label) if r["collection"] == name]  # a deleted layer is not searched


def test_limit_default_and_maximum(viewer):
    assert len(_search(viewer, "区")) == 10
    assert len(_search(viewer, "区", limit=3)) == 3
    assert 10 < len(_search(viewer, "区", limit=50)) <= 50


@pytest.mark.parametrize(("params", "parameter", "code"), [
    ({}, "q", "bad_parameter"),
    ({"q": ""}, "q", "bad_parameter"),
    ({"q": "   "}, "q", "bad_parameter"),
    ({"q": "田" * 101}, "q", "bad_parameter"),
    ({"q": "田", "limit": "0"}, "limit", "bad_parameter"),
    ({"q": "田", "limit": "51"}, "limit", "bad_parameter"),
    ({"q": "田", "limit": "１"}, "limit", "bad_parameter"),  # full-width digit
    ({"q": "田", "limit": "ten"}, "limit", "bad_parameter"),
    ({"q": "田", "bbox": "1,2,3,4"}, "bbox", "unknown_parameter"),
    ({"q": "田", "Q": "x"}, "Q", "unknown_parameter"),
])
def test_bad_parameters_are_refused_naming_them(viewer, params, parameter, code):
    resp = viewer.get("/api/search", query_string=params)
    assert resp.status_code == 400
    assert resp.get_json()["code"] == code and resp.get_json()["parameter"] == parameter


def test_a_hundred_characters_are_accepted_and_like_wildcards_are_text(viewer):
    assert viewer.get("/api/search", query_string={"q": "田" * 100}).status_code == 200
    assert _search(viewer, "%") == [] and _search(viewer, "_") == []


def test_english_messages(viewer):
    resp = viewer.get("/api/search", query_string={"q": "田", "zoom": "3", "lang": "en"})
    assert resp.get_json()["message"] == "unknown parameter 'zoom'"
    assert _search(viewer, "清水塘", lang="en")[0]["layer"] == "Planning zones"


def test_needs_a_login(client):
    assert client.get("/api/search?q=qst").status_code == 401


def test_a_role_that_cannot_read_a_layer_gets_nothing_from_it(app, viewer, planner, monkeypatch):
    """Search follows the rule that reading the layers follows: take reading away and search finds nothing."""
    assert _search(viewer, "清水塘")
    monkeypatch.setitem(access.ACCESS, "ogc.items", {"GET": access.EDITORS})
    assert viewer.get("/ogc/collections/zones/items").status_code == 403  # the rule reading is held to
    assert _search(viewer, "清水塘") == []
    assert _search(planner, "清水塘")  # roles that still read the layers still find them
