"""The map view reads a permalink's parameters strictly: 400 pages naming what is wrong, a notice for a gone feature."""
import json
import re

import pytest
from flask import url_for
from sqlalchemy import func, select

from gis_tracker.db import db
from gis_tracker.models import Project, Zone
from tests.factories import cell, rect
from tests.support.clients import login

CONFIG = re.compile(r'<script type="application/json" id="map-config">(.*?)</script>', re.S)


def _config(resp) -> dict:
    return json.loads(CONFIG.search(resp.get_data(as_text=True)).group(1))


@pytest.fixture()
def viewer(app):
    return login(app.test_client(), "viewer")


def test_links_to_the_map_are_permalinks_and_the_bare_map_stays_home(app):
    with app.test_request_context():
        assert url_for("map.index") == "/"
        assert url_for("map.index", select="zones:3") == "/map?select=zones:3"
        assert url_for("map.index", fit="water_bodies") == "/map?fit=water_bodies"


def test_a_full_permalink_is_read_into_the_view(app, viewer):
    with app.app_context():
        zone_id = db.session.scalar(select(Zone.id).where(Zone.code == "QST"))
    resp = viewer.get(f"/map?center=27.9,113.12&zoom=15&layers=zones,enterprises&select=zones:{zone_id}")
    assert resp.status_code == 200
    config = _config(resp)
    view = config["view"]
    assert view["center"] == [27.9, 113.12] and view["zoom"] == 15 and view["layers"] == ["zones", "enterprises"]
    assert view["select"]["found"] and view["select"]["collection"] == "zones" and view["select"]["id"] == zone_id
    minx, miny, maxx, maxy = view["select"]["bbox"]
    assert 112.9 < minx < maxx < 113.3 and 27.7 < miny < maxy < 28.0
    assert {layer["id"] for layer in config["layers"] if layer["visible"]} == {"zones", "enterprises"}  # exactly
    assert view["url"] == "/map"


def test_an_empty_layers_list_hides_every_overlay_but_select_and_fit_show_theirs(viewer):
    config = _config(viewer.get("/map?layers="))
    assert not [layer for layer in config["layers"] if layer["visible"]]
    config = _config(viewer.get("/map?layers=&fit=water_bodies"))
    assert [layer["id"] for layer in config["layers"] if layer["visible"]] == ["water_bodies"]
    minx, miny, maxx, maxy = config["view"]["fit"]["bbox"]
    assert 112.9 < minx < maxx < 113.4 and 27.6 < miny < maxy < 28.1


def test_fit_covers_every_feature_of_the_layer(app, viewer):
    box = _config(viewer.get("/map?fit=enterprises"))["view"]["fit"]["bbox"]
    with app.app_context():
        from gis_tracker.models import Enterprise
        lonlat = func.ST_Transform(Enterprise.geom, 4326)
        exact = db.session.execute(select(func.min(func.ST_X(lonlat)), func.min(func.ST_Y(lonlat)),
                                          func.max(func.ST_X(lonlat)), func.max(func.ST_Y(lonlat)))
                                   .where(Enterprise.deleted_at.is_(None))).one()
    assert box[0] <= exact[0] and box[1] <= exact[1] and box[2] >= exact[2] and box[3] >= exact[3]
    assert box[2] - box[0] < (exact[2] - exact[0]) * 1.05 + 0.001  # and not much more


def test_a_deleted_feature_opens_the_map_with_a_notice(app, viewer):
    with app.app_context():
        x, y = cell(64)
        project = Project(name="已删除的链接项目", project_type="public", status="planned",
                          geom=func.ST_Multi(func.ST_GeomFromText(rect(x, y, x + 40, y + 40).wkt, 4547)),
                          deleted_at=func.now(), deleted_by="tests")
        db.session.add(project)
        db.session.commit()
        pid = project.id
    try:
        for fid in (pid, 2_000_000_000):
            resp = viewer.get(f"/map?select=projects:{fid}")
            assert resp.status_code == 200
            view = _config(resp)["view"]
            assert view["select"]["found"] is False and f"projects:{fid}" in view["notice"]
            assert "不存在或已删除" in view["notice"]
    finally:
        with app.app_context():
            db.session.delete(db.session.get(Project, pid))
            db.session.commit()


@pytest.mark.parametrize(("query", "parameter"), [
    ("center=27.9", "center"),
    ("center=27.9,113.1,4", "center"),
    ("center=north,113.1", "center"),
    ("center=95,113.1", "center"),
    ("center=27.9,２", "center"),
    ("zoom=23", "zoom"),
    ("zoom=1.5", "zoom"),
    ("zoom=-1", "zoom"),
    ("layers=zones,rivers", "layers"),
    ("select=zones", "select"),
    ("select=rivers:1", "select"),
    ("select=zones:abc", "select"),
    ("select=zones:0", "select"),
    ("select=:5", "select"),
    ("fit=rivers", "fit"),
    ("bbox=1,2,3,4", "bbox"),
])
def test_malformed_or_unknown_parameters_answer_a_page_naming_them(viewer, query, parameter):
    resp = viewer.get("/map?" + query)
    assert resp.status_code == 400
    assert resp.mimetype == "text/html"
    page = resp.get_data(as_text=True)
    assert parameter in page and "Traceback" not in page


def test_english_error_page(viewer):
    page = viewer.get("/map?layers=rivers&lang=en").get_data(as_text=True)
    assert "parameter layers: no such layer" in page
