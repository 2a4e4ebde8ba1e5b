"""审查未通过的不得实施: a project reaches 已批复 or beyond only past its 两型审查, on every write path.

Each test builds its own protected area and projects in an empty test cell
and checks what a user sees: the status code and its JSON ``code``, the
message naming the flags or indicators, and — for a refusal — that nothing
was stored (status, version, history and audit trail as they were).
"""
from __future__ import annotations

import json
import subprocess

import pytest
from shapely.geometry import box
from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError

from gis_tracker.models import AuditEntry, FeatureVersion, Project, ReviewOverride
from tests.factories import add_protected, cell, lonlat, retire, unique
from tests.support.clients import commit, login, sandbox, upload
from tests.support.features import get_feature, patch_feature, post_feature, put_feature, write_headers


@pytest.fixture()
def planner(app):
    return login(app.test_client(), "planner")


@pytest.fixture()
def admin(app):
    return login(app.test_client(), "admin")


def _new_project(client, geom, status="planned", **props):
    body = {"name": unique("审查项目"), "project_type": "tourism", "status": status, **props}
    return post_feature(client, "projects", body, lonlat(geom))


def _stored(session, pid):
    session.expire_all()
    project = session.get(Project, pid)
    versions = session.scalar(select(func.count()).select_from(FeatureVersion).where(
        FeatureVersion.collection == "projects", FeatureVersion.feature_id == pid))
    audits = session.scalar(select(func.count()).select_from(AuditEntry).where(
        AuditEntry.object_type == "projects", AuditEntry.object_id == str(pid)))
    return project.status, project.version, versions, audits


def _delete(client, pid):
    etag = get_feature(client, "projects", pid).headers["ETag"]
    client.delete(f"/ogc/collections/projects/items/{pid}", headers=write_headers(client, etag))


def test_a_project_in_a_prohibited_zone_cannot_be_approved_by_any_save(session, planner):
    x, y = cell(30)
    zone = add_protected(session, box(x, y, x + 200, y + 200), category="green_heart", tier="prohibited")
    created = _new_project(planner, box(x + 100, y, x + 300, y + 200))
    assert created.status_code == 201, created.get_json()
    pid, etag = created.get_json()["id"], created.headers["ETag"]
    try:
        before = _stored(session, pid)
        refused = patch_feature(planner, "projects", pid, etag, {"status": "approved"})
        assert refused.status_code == 409
        body = refused.get_json()
        assert body["code"] == "review_failed" and body["conclusion"] == "fail"
        assert "绿心禁止开发区" in body["message"] and "已批复" in body["message"]
        assert [f["rule"] for f in body["flags"]] == ["green_heart_prohibited"]
        assert body["review_url"] == f"/flags/projects/{pid}"
        assert _stored(session, pid) == before  # nothing stored: status, version, history, audit trail

        geometry = lonlat(box(x + 100, y, x + 300, y + 200))
        replaced = put_feature(planner, "projects", pid, etag, {"name": unique("整体替换"), "project_type": "tourism",
                                                               "status": "under_construction"}, geometry)
        assert replaced.status_code == 409 and replaced.get_json()["code"] == "review_failed"
        assert _stored(session, pid) == before

        name = unique("直接在建")
        posted = post_feature(planner, "projects", {"name": name, "project_type": "tourism",
                                                    "status": "under_construction"}, geometry)
        assert posted.status_code == 409 and posted.get_json()["code"] == "review_failed"
        assert session.scalar(select(func.count()).select_from(Project).where(Project.name == name)) == 0
    finally:
        retire(session, zone)
        _delete(planner, pid)


def test_needs_review_passes_with_an_issued_report_on_the_current_data(session, planner):
    x, y = cell(31)
    zone = add_protected(session, box(x, y, x + 200, y + 200), category="green_heart", tier="restricted")
    created = _new_project(planner, box(x + 100, y, x + 300, y + 200))
    pid, etag = created.get_json()["id"], created.headers["ETag"]
    try:
        refused = patch_feature(planner, "projects", pid, etag, {"status": "approved"})
        assert refused.status_code == 409 and refused.get_json()["code"] == "review_required"
        assert "绿心限制开发区" in refused.get_json()["message"]
        issued = planner.post(f"/api/projects/{pid}/reviews", headers=write_headers(planner))
        assert issued.status_code == 201 and issued.get_json()["conclusion"] == "needs_review"
        approved = patch_feature(planner, "projects", pid, etag, {"status": "approved"})
        assert approved.status_code == 200, approved.get_json()
        assert approved.get_json()["review_gate"]["basis"] == "report"
        assert approved.get_json()["review_gate"]["report"] == issued.get_json()["number"]
        building = patch_feature(planner, "projects", pid, approved.headers["ETag"], {"status": "under_construction"})
        assert building.status_code == 200, building.get_json()
        # The report covered the old footprint: a larger one is reviewed again and refused.
        bigger = patch_feature(planner, "projects", pid, building.headers["ETag"],
                               geometry=lonlat(box(x + 50, y, x + 300, y + 200)))
        assert bigger.status_code == 409 and bigger.get_json()["code"] == "review_required"
        # Recording a fact later (tax, a date) is never held up.
        fact = patch_feature(planner, "projects", pid, building.headers["ETag"], {"annual_tax_wan": 12.5})
        assert fact.status_code == 200, fact.get_json()
    finally:
        retire(session, zone)
        _delete(planner, pid)


def test_a_project_failing_only_on_land_use_is_held_and_the_reason_named(session, planner):
    x, y = cell(32)
    created = _new_project(planner, box(x, y, x + 200, y + 200), project_type="industrial", investment_wan=90000,
                           floor_area_ratio=1.2, building_coverage=0.5)
    pid, etag = created.get_json()["id"], created.headers["ETag"]
    try:
        refused = patch_feature(planner, "projects", pid, etag, {"status": "approved"})
        assert refused.status_code == 409 and refused.get_json()["code"] == "review_required"
        assert "园区级别未填" in refused.get_json()["message"]
        assert refused.get_json()["findings"][0]["code"] == "park_level_missing"
        low = patch_feature(planner, "projects", pid, etag, {"park_level": "national", "investment_wan": 1000})
        assert low.status_code == 200
        refused = patch_feature(planner, "projects", pid, low.headers["ETag"], {"status": "approved"})
        assert refused.status_code == 409
        [indicator] = refused.get_json()["indicators"]
        assert indicator["code"] == "investment_intensity" and indicator["threshold"] == 200
        assert "投资强度" in refused.get_json()["message"]
        good = patch_feature(planner, "projects", pid, low.headers["ETag"], {"investment_wan": 90000})
        ok = patch_feature(planner, "projects", pid, good.headers["ETag"], {"status": "approved"})
        assert ok.status_code == 200 and ok.get_json()["review_gate"]["basis"] == "assessment"
    finally:
        _delete(planner, pid)


def test_an_admin_override_is_kept_audited_and_shown_on_the_page_and_in_the_report(session, planner, admin):
    x, y = cell(33)
    zone = add_protected(session, box(x, y, x + 200, y + 200), category="green_heart", tier="prohibited")
    created = _new_project(planner, box(x + 100, y, x + 300, y + 200))
    pid, etag = created.get_json()["id"], created.headers["ETag"]
    url = f"/api/projects/{pid}/review/override"
    try:
        body = {"status": "approved", "reason": "市政府常务会议纪要〔2026〕12号同意先行实施"}
        planner_try = planner.post(url, data=json.dumps(body), content_type="application/json",
                                   headers=write_headers(planner, etag))
        assert planner_try.status_code == 403
        no_reason = admin.post(url, data=json.dumps({"status": "approved", "reason": "  "}),
                               content_type="application/json", headers=write_headers(admin, etag))
        assert no_reason.status_code == 422 and no_reason.get_json()["code"] == "reason_required"
        assert session.scalar(select(func.count()).select_from(ReviewOverride).where(
            ReviewOverride.project_id == pid)) == 0
        done = admin.post(url, data=json.dumps(body), content_type="application/json",
                          headers=write_headers(admin, etag))
        assert done.status_code == 200, done.get_json()
        assert done.get_json()["properties"]["status"] == "approved"
        assert done.get_json()["review_gate"]["basis"] == "override"
        stored = session.scalar(select(ReviewOverride).where(ReviewOverride.project_id == pid))
        assert stored.reason == body["reason"] and stored.username == "admin" and stored.conclusion == "fail"
        assert session.scalar(select(AuditEntry).where(AuditEntry.action == "review_override",
                                                       AuditEntry.object_id == str(pid))).after["reason"] == body["reason"]
        page = planner.get(f"/flags/projects/{pid}").get_data(as_text=True)
        assert body["reason"] in page and "越权放行" in page
        issued = planner.post(f"/api/projects/{pid}/reviews", headers=write_headers(planner)).get_json()
        html = planner.get(f"/api/reviews/{issued['id']}.html").get_data(as_text=True)
        pdf = planner.get(f"/api/reviews/{issued['id']}.pdf").data
        words = subprocess.run(["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True).stdout.decode()
        for text_ in (html, words):
            assert body["reason"] in text_ and "越权放行" in text_ and "admin" in text_
    finally:
        retire(session, zone)
        _delete(planner, pid)


def test_moving_back_is_never_held_but_restoring_a_failing_approved_version_is(session, planner, admin):
    x, y = cell(34)
    created = _new_project(planner, box(x, y, x + 200, y + 200))
    pid = created.get_json()["id"]
    approved = patch_feature(planner, "projects", pid, created.headers["ETag"], {"status": "approved"})
    assert approved.status_code == 200  # nothing in the way yet
    zone = add_protected(session, box(x, y, x + 100, y + 100), category="green_heart", tier="prohibited")
    try:
        from gis_tracker.services.encroachment import check
        check.recheck(session, project_ids=[pid], username="tests")
        session.commit()
        back = patch_feature(planner, "projects", pid, approved.headers["ETag"], {"status": "planned"})
        assert back.status_code == 200, back.get_json()  # approval withdrawn: always allowed
        restore = planner.post(f"/api/collections/projects/items/{pid}/versions/2/restore",
                               headers=write_headers(planner, back.headers["ETag"]))
        assert restore.status_code == 409 and restore.get_json()["code"] == "review_failed"
        assert get_feature(planner, "projects", pid).get_json()["properties"]["status"] == "planned"

        # Deleted while approved, then undeleted by an admin: the same gate.
        forward = admin.post(f"/api/projects/{pid}/review/override",
                             data=json.dumps({"status": "approved", "reason": "测试：先放行再删除"}),
                             content_type="application/json", headers=write_headers(admin, back.headers["ETag"]))
        assert forward.status_code == 200
        planner.delete(f"/ogc/collections/projects/items/{pid}", headers=write_headers(planner, forward.headers["ETag"]))
        larger = box(x, y, x + 150, y + 150)  # meanwhile the protected area grew: the override no longer fits
        session.execute(text("UPDATE protected_areas SET geom = ST_Multi(ST_GeomFromText(:w, 4547)) WHERE id = :id"),
                        {"w": larger.wkt, "id": zone.id})
        check.recheck(session, project_ids=[pid], username="tests")
        session.commit()
        undelete = admin.post(f"/api/collections/projects/items/{pid}/restore", headers=write_headers(admin))
        assert undelete.status_code == 409 and undelete.get_json()["code"] == "review_failed"
        assert session.get(Project, pid).deleted_at is not None
    finally:
        retire(session, zone)


def test_an_import_onto_projects_is_held_to_the_review_and_stores_nothing(app, session, client, headers, tmp_path,
                                                                         tmp_path_factory):
    import geopandas as gpd

    x, y = cell(35)
    zone = add_protected(session, box(x, y, x + 200, y + 200), category="drinking_water", tier="level1")
    good, bad = unique("导入通过"), unique("导入违规")
    frame = gpd.GeoDataFrame({"名称": [good, bad], "类型": ["public", "public"], "状态": ["approved", "approved"]},
                             geometry=[box(x + 250, y + 250, x + 350, y + 350), box(x + 50, y + 50, x + 150, y + 150)],
                             crs="EPSG:4547")
    path = tmp_path / "gated.gpkg"
    frame.to_file(path, driver="GPKG", engine="pyogrio")
    try:
        with sandbox(app, tmp_path_factory):
            record = upload(client, headers, path).get_json()
            body = {"target": "projects", "mapping": {"名称": "name", "类型": "project_type", "状态": "status"}}
            resp = commit(client, headers, record["id"], body)
            assert resp.status_code == 409, resp.get_json()
            answer = resp.get_json()
            assert answer["code"] == "review_failed" and bad in answer["message"]
            assert "饮用水水源一级保护区" in answer["message"]
            assert session.scalar(select(func.count()).select_from(Project).where(Project.name.in_([good, bad]))) == 0
            again = client.get(f"/api/imports/{record['id']}", headers=headers).get_json()
            assert again["status"] == "previewed" and again["error_code"] == "review_failed"
    finally:
        retire(session, zone)


def test_the_database_refuses_a_commit_that_skipped_the_gate(session):
    """A path that writes projects without the service (a script, a future importer) cannot store it."""
    x, y = cell(36)
    zone = add_protected(session, box(x, y, x + 200, y + 200), category="green_heart", tier="prohibited")
    name = unique("绕过审查")
    try:
        session.execute(text(
            "INSERT INTO projects (name, project_type, status, geom) "
            "VALUES (:n, 'tourism', 'approved', ST_Multi(ST_GeomFromText(:w, 4547)))"),
            {"n": name, "w": box(x, y, x + 100, y + 100).wkt})
        with pytest.raises(IntegrityError) as refused:
            session.commit()
        assert refused.value.orig.pgcode == "23R01"
        session.rollback()
        assert session.scalar(select(func.count()).select_from(Project).where(Project.name == name)) == 0
        # A plain planned project is no business of the gate.
        session.execute(text("INSERT INTO projects (name, project_type, status, geom) "
                             "VALUES (:n, 'tourism', 'planned', ST_Multi(ST_GeomFromText(:w, 4547)))"),
                        {"n": name, "w": box(x, y, x + 100, y + 100).wkt})
        session.commit()
        session.execute(text("UPDATE projects SET status = 'completed' WHERE name = :n"), {"n": name})
        with pytest.raises(IntegrityError):
            session.commit()
        session.rollback()
    finally:
        session.rollback()
        session.execute(text("UPDATE projects SET deleted_at = now() WHERE name = :n"), {"n": name})
        session.commit()
        retire(session, zone)


def test_the_land_price_entered_on_the_map_gives_the_idle_land_fee(session, planner):
    from datetime import date, timedelta
    x, y = cell(37)
    supplied = (date.today() - timedelta(days=500)).isoformat()  # idle 满 1 年未满 2 年
    created = _new_project(planner, box(x, y, x + 200, y + 200), project_type="industrial", park_level="national",
                           investment_wan=20000, floor_area_ratio=1.0, building_coverage=0.4, annual_tax_wan=10,
                           land_supplied_date=supplied)
    pid = created.get_json()["id"]
    try:
        before = planner.get(f"/api/projects/{pid}/review").get_json()
        assert before["idle_land"]["consequence"] == "fee" and before["idle_land"]["fee_wan"] is None
        assert "无法计算" in before["idle_land"]["text"]
        tax = next(i for i in before["indicators"] if i["code"] == "annual_tax")  # 10 万元 over 60 亩: too low
        assert tax["ok"] is False and "转移生产意见" in tax["consequence"]
        priced = patch_feature(planner, "projects", pid, created.headers["ETag"], {"land_price_wan": 1800})
        assert priced.status_code == 200, priced.get_json()
        after = planner.get(f"/api/projects/{pid}/review").get_json()
        assert after["idle_land"]["fee_wan"] == pytest.approx(360.0)
        assert "1,800.00" in after["idle_land"]["text"] and "360.00" in after["idle_land"]["text"]
        html = planner.get(f"/flags/projects/{pid}").get_data(as_text=True)
        assert "360.00" in html and "转移生产意见" in html
    finally:
        _delete(planner, pid)
