"""Flags follow saves: POST returns them, layer edits re-check neighbours, waivers persist, rules re-check."""
import json

import pytest
from sqlalchemy import select

from gis_tracker.models import EncroachmentFlagEvent
from gis_tracker.services.encroachment import check
from gis_tracker.services.features import write_events
from tests.factories import add_project, add_protected, add_water, cell, flags_for, lonlat, rect, retire, unique
from tests.support.clients import csrf_token_of, login

GEOJSON = "application/geo+json"


def _csrf(client):
    return csrf_token_of(client)


@pytest.fixture()
def planner(app):
    return login(app.test_client(), "planner")


@pytest.fixture()
def admin(app):
    return login(app.test_client(), "admin")


def _send(client, method, url, body, etag=None):
    headers = {"X-CSRFToken": _csrf(client)}
    if etag:
        headers["If-Match"] = etag
    return client.open(url, method=method, data=json.dumps(body), content_type=GEOJSON, headers=headers)


def _project_body(geom, **props):
    return {"type": "Feature", "geometry": lonlat(geom),
            "properties": {"name": unique("测试项目"), "project_type": "tourism", "status": "planned", **props}}


def test_post_into_a_prohibited_zone_returns_201_with_its_flags(session, planner):
    x, y = cell(10)
    zone = add_protected(session, rect(x, y, x + 200, y + 200), category="green_heart", tier="prohibited")
    resp = _send(planner, "POST", "/ogc/collections/projects/items", _project_body(rect(x + 100, y, x + 300, y + 200)))
    pid = resp.get_json()["id"]
    try:
        assert resp.status_code == 201
        [flag] = resp.get_json()["flags"]
        assert (flag["rule"], flag["severity"], flag["status"]) == ("green_heart_prohibited", "violation", "open")
        assert flag["overlap_m2"] == pytest.approx(20000.0, rel=1e-6)  # lon/lat round trip: sub-millimetre
        assert flag["overlap_pct"] == pytest.approx(50.0, abs=1e-3)
        listed = planner.get(f"/api/projects/{pid}/flags").get_json()
        assert [(f["rule"], f["overlap_m2"], f["overlap_mu"], f["overlap_pct"], f["min_distance_m"]) for f in listed] \
            == [(flag["rule"], flag["overlap_m2"], flag["overlap_mu"], flag["overlap_pct"], flag["min_distance_m"])]
        overlaps = planner.get("/ogc/collections/encroachments/items?limit=1000").get_json()["features"]
        assert any(f["properties"]["project_id"] == pid and f["properties"]["severity"] == "violation"
                   for f in overlaps)
    finally:
        retire(session, zone)
        etag = planner.get(f"/ogc/collections/projects/items/{pid}").headers["ETag"]
        _send(planner, "DELETE", f"/ogc/collections/projects/items/{pid}", {}, etag)
    assert planner.get(f"/api/projects/{pid}/flags").status_code == 404  # deleted: no page, flags cleared


def test_self_intersecting_footprint_is_refused_with_reason_and_location(planner):
    x, y = cell(11)
    bowtie = {"type": "Polygon", "coordinates": [[list(p) for p in lonlat(rect(x, y, x + 100, y + 100))
                                                  ["coordinates"][0]]]}
    ring = bowtie["coordinates"][0]
    ring[1], ring[2] = ring[2], ring[1]  # cross two edges
    resp = _send(planner, "POST", "/ogc/collections/projects/items",
                 {"type": "Feature", "geometry": bowtie,
                  "properties": {"name": unique("自相交"), "project_type": "public", "status": "planned"}})
    assert resp.status_code == 422
    body = resp.get_json()
    assert body["field"] == "geometry" and body["message"]
    lon, lat = body["location"]["coordinates"]
    assert 113.0 < lon < 113.3 and 27.8 < lat < 28.1
    assert "flags" not in body


def test_layer_edit_clears_one_flag_and_raises_another(session, planner):
    x, y = cell(12)
    pond = add_water(session, rect(x, y, x + 60, y + 60))
    first = add_project(session, rect(x + 30, y, x + 130, y + 60))  # overlaps the pond
    second = add_project(session, rect(x + 200, y, x + 300, y + 60))  # clear of it for now
    try:
        assert [f["rule"] for f in flags_for(session, first.id)] == ["water_body_overlap"]
        assert flags_for(session, second.id) == []
        etag = planner.get(f"/ogc/collections/water_bodies/items/{pond.id}").headers["ETag"]
        moved = {"type": "Feature", "geometry": lonlat(rect(x + 250, y + 300, x + 310, y + 360)),
                 "properties": {"name": pond.name, "kind": "pond"}}
        resp = _send(planner, "PUT", f"/ogc/collections/water_bodies/items/{pond.id}", moved, etag)
        assert resp.status_code == 200
        report = resp.get_json()["encroachment_changes"]
        assert [(c["project_id"], c["rule"]) for c in report["cleared"]] == [(first.id, "water_body_overlap")]
        assert report["raised"] == [] and report["changed"] == []
        # Move it again so it overlaps the second project: raised there.
        etag = resp.headers["ETag"]
        moved["geometry"] = lonlat(rect(x + 270, y + 30, x + 330, y + 90))
        report = _send(planner, "PUT", f"/ogc/collections/water_bodies/items/{pond.id}", moved,
                       etag).get_json()["encroachment_changes"]
        assert [(c["project_id"], c["rule"]) for c in report["raised"]] == [(second.id, "water_body_overlap")]
        [raised] = report["raised"]
        assert raised["overlap_m2"] == pytest.approx(30 * 30, rel=1e-5)
        assert flags_for(session, first.id) == []
        history = planner.get(f"/api/flags/{raised['flag_id']}/history").get_json()
        assert [e["action"] for e in history] == ["raised"]
    finally:
        retire(session, first, second, pond)


def test_bulk_change_of_a_layer_rechecks_every_project_set_based(session):
    x, y = cell(13)
    project = add_project(session, rect(x, y, x + 100, y + 100))
    pond = add_water(session, rect(x + 50, y + 50, x + 150, y + 150))  # stored without any hook
    try:
        assert flags_for(session, project.id) == []
        report = write_events.run_after_bulk(session, "water_bodies", "tests")["encroachment_changes"]
        session.commit()
        assert (project.id, "water_body_overlap") in {(c["project_id"], c["rule"]) for c in report["raised"]}
        assert report["checked_projects"] >= 38
    finally:
        retire(session, project, pond)


def test_waived_flag_stays_waived_across_rechecks_unless_its_overlap_changes(session, planner, app):
    x, y = cell(14)
    zone = add_protected(session, rect(x, y, x + 200, y + 200), category="green_heart", tier="restricted")
    resp = _send(planner, "POST", "/ogc/collections/projects/items", _project_body(rect(x + 100, y, x + 300, y + 200)))
    pid, etag = resp.get_json()["id"], resp.headers["ETag"]
    [flag] = resp.get_json()["flags"]
    try:
        bad = _send(planner, "POST", f"/api/flags/{flag['id']}/status", {"status": "waived"}, flag["etag"])
        assert bad.status_code == 422  # a waiver needs a reason
        waived = _send(planner, "POST", f"/api/flags/{flag['id']}/status",
                       {"status": "waived", "reason": "规划调整已批准"}, flag["etag"])
        assert waived.status_code == 200 and waived.get_json()["status"] == "waived"
        stale = _send(planner, "POST", f"/api/flags/{flag['id']}/status", {"status": "open"}, flag["etag"])
        assert stale.status_code == 412
        # An attribute edit and a full re-check leave the waiver alone.
        resp = _send(planner, "PATCH", f"/ogc/collections/projects/items/{pid}",
                     {"properties": {"investment_wan": 1000}}, etag)
        assert [f["status"] for f in resp.get_json()["flags"]] == ["waived"]
        check.recheck(session)
        session.commit()
        assert [f["status"] for f in flags_for(session, pid)] == ["waived"]
        # Moving the footprint changes the overlap: the waiver no longer covers it.
        resp = _send(planner, "PATCH", f"/ogc/collections/projects/items/{pid}",
                     {"geometry": lonlat(rect(x + 150, y, x + 350, y + 200))}, resp.headers["ETag"])
        [moved] = resp.get_json()["flags"]
        assert moved["status"] == "open" and moved["overlap_pct"] == pytest.approx(25.0, abs=1e-3)
        assert resp.get_json()["encroachment_changes"]["counts"]["changed"] == 1
        actions = [e["action"] for e in planner.get(f"/api/flags/{flag['id']}/history").get_json()]
        assert actions == ["raised", "waived", "changed"]
    finally:
        retire(session, zone)
        etag = planner.get(f"/ogc/collections/projects/items/{pid}").headers["ETag"]
        _send(planner, "DELETE", f"/ogc/collections/projects/items/{pid}", {}, etag)
    # Nothing was deleted: the flag is cleared and its history kept.
    assert session.scalars(select(EncroachmentFlagEvent.action).where(
        EncroachmentFlagEvent.flag_id == flag["id"]).order_by(EncroachmentFlagEvent.id)).all()[-1] == "cleared"


def test_only_planners_and_admins_change_flag_status(app, session):
    viewer = login(app.test_client(), "viewer")
    x, y = cell(15)
    zone = add_protected(session, rect(x, y, x + 100, y + 100), category="green_heart", tier="controlled")
    project = add_project(session, rect(x + 50, y, x + 150, y + 100))
    [flag] = flags_for(session, project.id)
    try:
        resp = _send(viewer, "POST", f"/api/flags/{flag['id']}/status", {"status": "acknowledged"}, flag["etag"])
        assert resp.status_code == 403
        assert viewer.get(f"/api/projects/{project.id}/flags").get_json()[0]["status"] == "open"
    finally:
        retire(session, project, zone)


def test_rule_changes_recheck_every_project(admin, session):
    """A new rule on the forest park flags 明峰生态园 (sample data); switching it off clears the flag."""
    body = {"code": unique("forest_park"), "name": "森林公园", "layer": "protected_areas",
            "feature_filter": {"category": ["forest_park"]}, "relation": "intersects", "severity": "review",
            "message": "项目进入森林公园", "basis": "二(三)5(3)"}
    resp = _send(admin, "POST", "/api/encroachment-rules", body)
    assert resp.status_code == 201
    rule = resp.get_json()["rule"]
    raised = {c["project"] for c in resp.get_json()["encroachment_changes"]["raised"]}
    assert "明峰生态园" in raised
    resp = _send(admin, "PATCH", f"/api/encroachment-rules/{rule['id']}", {"active": False}, rule["etag"])
    assert resp.status_code == 200
    assert "明峰生态园" in {c["project"] for c in resp.get_json()["encroachment_changes"]["cleared"]}
    bad = _send(admin, "PATCH", f"/api/encroachment-rules/{rule['id']}", {"severity": "fatal"},
                resp.headers["ETag"])
    assert bad.status_code == 422 and bad.get_json()["field"] == "severity"
    gone = _send(admin, "DELETE", f"/api/encroachment-rules/{rule['id']}", {}, resp.headers["ETag"])
    assert gone.status_code == 200


def test_planners_may_not_edit_rules(planner):
    resp = _send(planner, "POST", "/api/encroachment-rules", {"code": "x"})
    assert resp.status_code == 403


def test_sample_data_deliberate_cases_are_flagged_after_a_fresh_load(admin):
    flags = admin.get("/api/flags").get_json()
    found = {(f["project_name"], f["rule"], f["severity"]) for f in flags}
    expected = {
        ("白马欧洲小镇", "green_heart_prohibited", "violation"),
        ("白马欧洲小镇", "green_heart_restricted", "review"),
        ("霞湾港二期", "water_body_overlap", "violation"),
        ("示例·规模养猪场", "livestock_no_farming", "violation"),
        ("示例·清水湖片区安置小区", "water_body_overlap", "violation"),
        ("示例·湘江取水口旁滨江驿站", "drinking_water_level1", "violation"),
    }
    assert expected <= found
    baima = [f for f in flags if f["project_name"] == "白马欧洲小镇" and f["rule"] == "green_heart_restricted"]
    assert baima[0]["overlap_pct"] > 50 and baima[0]["overlap_mu"] > 0
    # Projects the sample keeps clear of protected areas and water carry no flags.
    assert not {f["project_name"] for f in flags} & {"田心城市综合体", "上善国际", "示例·田心第二中学"}
    by_zone = admin.get("/api/flags?zone=QST&severity=violation").get_json()
    assert by_zone and all(f["zone_code"] == "QST" and f["severity"] == "violation" for f in by_zone)
    assert admin.get("/api/flags?severity=nope").status_code == 400
