"""The 两型审查 report: conclusion and indicators, numbered, PDF/HTML stored and locked, new report on change."""
import json
import shutil
import subprocess

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from gis_tracker.models import Project
from tests.support.clients import csrf_token_of, login


@pytest.fixture()
def planner(app):
    return login(app.test_client(), "planner")


def _csrf(client):
    return csrf_token_of(client)


def _pid(session, name):
    return session.scalar(select(Project.id).where(Project.name == name))


def test_assessment_of_sample_projects(planner, session):
    low = planner.get(f"/api/projects/{_pid(session, '示例·低效机械加工项目')}/review").get_json()
    assert low["conclusion"] == "needs_review"
    assert {i["code"]: i["ok"] for i in low["indicators"]} == {
        "investment_intensity": False, "floor_area_ratio": False, "building_coverage": False, "annual_tax": False}
    intensity = next(i for i in low["indicators"] if i["code"] == "investment_intensity")
    assert intensity["threshold"] == 150  # provincial development zone
    assert intensity["value"] == pytest.approx(12181 / low["area_mu"], rel=1e-3)
    good = planner.get(f"/api/projects/{_pid(session, '示例·轨道交通零部件配套项目')}/review").get_json()
    assert good["conclusion"] == "pass" and all(i["ok"] for i in good["indicators"])
    idle_a = planner.get(f"/api/projects/{_pid(session, '示例·闲置工业用地甲')}/review").get_json()
    idle_b = planner.get(f"/api/projects/{_pid(session, '示例·闲置工业用地乙')}/review").get_json()
    assert idle_a["idle_land"]["consequence"] == "fee" and idle_a["conclusion"] == "needs_review"
    assert idle_b["idle_land"]["consequence"] == "reclaim" and idle_b["conclusion"] == "fail"
    baima = planner.get(f"/api/projects/{_pid(session, '白马欧洲小镇')}/review").get_json()
    assert baima["conclusion"] == "fail" and baima["indicators"] == []
    assert planner.get("/api/projects/999999/review").status_code == 404


def test_issued_report_is_numbered_stored_locked_and_superseded_by_a_new_one(planner, session):
    pid = _pid(session, "示例·规模养猪场")
    resp = planner.post(f"/api/projects/{pid}/reviews", headers={"X-CSRFToken": _csrf(planner)})
    assert resp.status_code == 201
    first = resp.get_json()
    assert first["number"].startswith("石峰两型审〔") and first["conclusion"] == "fail"
    pdf = planner.get(f"/api/reviews/{first['id']}.pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf" and pdf.data.startswith(b"%PDF")
    html = planner.get(f"/api/reviews/{first['id']}.html").get_data(as_text=True)
    assert first["number"] in html and first["data_version"] in html and "data:image/png;base64," in html
    assert "畜禽禁养区" in html and "不通过" in html
    if shutil.which("pdftotext"):
        words = subprocess.run(["pdftotext", "-", "-"], input=pdf.data, capture_output=True).stdout.decode()
        for expected in (first["number"], "示例·规模养猪场", "不通过", "禁养区内畜禽养殖", first["data_version"]):
            assert expected in words
    # The stored files cannot be changed or removed, not even by the application's own SQL.
    for statement in ("UPDATE review_reports SET conclusion = 'pass' WHERE id = :id",
                      "DELETE FROM review_reports WHERE id = :id"):
        with pytest.raises(DBAPIError):
            session.execute(text(statement), {"id": first["id"]})
        session.rollback()
    # A change (the violation is waived) makes the report outdated; a new report gets a new number.
    flag = planner.get(f"/api/projects/{pid}/flags").get_json()[0]
    planner.post(f"/api/flags/{flag['id']}/status", data=json.dumps({"status": "waived", "reason": "测试豁免"}),
                 content_type="application/json", headers={"X-CSRFToken": _csrf(planner), "If-Match": flag["etag"]})
    listed = planner.get(f"/api/projects/{pid}/reviews").get_json()
    assert [r["outdated"] for r in listed if r["id"] == first["id"]] == [True]
    second = planner.post(f"/api/projects/{pid}/reviews", headers={"X-CSRFToken": _csrf(planner)}).get_json()
    assert second["number"] != first["number"] and second["conclusion"] == "pass"
    assert planner.get(f"/api/reviews/{first['id']}.pdf").data == pdf.data  # the first one never changes
    back = planner.get(f"/api/projects/{pid}/flags").get_json()[0]
    planner.post(f"/api/flags/{flag['id']}/status", data=json.dumps({"status": "open"}),
                 content_type="application/json", headers={"X-CSRFToken": _csrf(planner), "If-Match": back["etag"]})


def test_viewers_cannot_issue_reports_but_can_read_them(app, session):
    viewer = login(app.test_client(), "viewer")
    pid = _pid(session, "白马欧洲小镇")
    assert viewer.post(f"/api/projects/{pid}/reviews", headers={"X-CSRFToken": _csrf(viewer)}).status_code == 403
    assert viewer.get(f"/flags/projects/{pid}/preview").status_code == 200
    assert viewer.get("/api/reviews/999999.pdf").status_code == 404
