"""The review register (合规审查 → 审查台账): every project, its conclusion and why, filters, Excel export."""
from __future__ import annotations

import io
import json

import pytest
from openpyxl import load_workbook
from shapely.geometry import box
from sqlalchemy import func, select

from gis_tracker.models import Project
from gis_tracker.services.encroachment import review
from tests.factories import add_project, cell, retire
from tests.support.clients import login
from tests.support.features import write_headers
from tests.support.html import table_rows


@pytest.fixture()
def viewer(app):
    return login(app.test_client(), "viewer")


def _by_name(rows):
    return {r["cells"][0]: r for r in rows}


def test_every_project_appears_with_its_conclusion_and_reasons(session, viewer):
    page = viewer.get("/flags/register")
    assert page.status_code == 200
    listed = table_rows(page.get_data(as_text=True), "register-table")
    live = session.scalar(select(func.count()).select_from(Project).where(Project.deleted_at.is_(None)))
    assert len(listed) == live
    assert len({int(r["attrs"]["data-project"]) for r in listed}) == live  # each project once
    rows = _by_name(listed)
    for name, row in rows.items():  # the page says what the assessment says
        pid = int(row["attrs"]["data-project"])
        assert row["attrs"]["data-conclusion"] == review.assess(session, pid, with_map=False).conclusion, name
        assert row["links"][0] == f"/flags/projects/{pid}"
    baima = rows["白马欧洲小镇"]
    assert baima["attrs"]["data-conclusion"] == "fail" and "绿心禁止开发区" in baima["cells"][5]
    assert "against-review" in baima["attrs"]["class"]  # under construction against a failing review
    idle = rows["示例·闲置工业用地乙"]  # fails on land use alone: no flag at all
    assert idle["attrs"]["data-conclusion"] == "fail" and "收回土地使用权" in idle["cells"][5]
    low = rows["示例·低效机械加工项目"]
    assert "投资强度" in low["cells"][5] and "容积率" in low["cells"][5]
    assert rows["示例·轨道交通零部件配套项目"]["attrs"]["data-conclusion"] == "pass"


def test_filters_by_zone_conclusion_and_status_and_refuse_unknown_values(viewer):
    fail = table_rows(viewer.get("/flags/register?conclusion=fail").get_data(as_text=True), "register-table")
    assert fail and {r["attrs"]["data-conclusion"] for r in fail} == {"fail"}
    jls = table_rows(viewer.get("/flags/register?zone=JLS").get_data(as_text=True), "register-table")
    assert jls and {r["attrs"]["data-zone"] for r in jls} == {"JLS"} and "九郎山片区" in jls[0]["cells"][1]
    both = table_rows(viewer.get("/flags/register?status=approved&conclusion=needs_review").get_data(as_text=True),
                      "register-table")
    assert both and all(r["attrs"]["data-status"] == "approved" and r["attrs"]["data-conclusion"] == "needs_review"
                        for r in both)
    for query, parameter in (("conclusion=bad", "conclusion"), ("zone=XX", "zone"), ("colour=red", "colour")):
        resp = viewer.get(f"/api/review-register?{query}")
        assert resp.status_code == 400, query
        assert resp.get_json()["parameter"] == parameter and parameter in resp.get_json()["message"]
        page = viewer.get(f"/flags/register?{query}")
        assert page.status_code == 400 and parameter in page.get_data(as_text=True)
    api = viewer.get("/api/review-register?zone=JLS").get_json()
    assert [p["name"] for p in api["projects"]] == [r["cells"][0] for r in jls]
    assert all(p["lonlat"] and p["review_url"] == f"/flags/projects/{p['project_id']}" for p in api["projects"])


def test_latest_report_number_and_whether_it_is_outdated(app, session):
    planner = login(app.test_client(), "planner")
    x, y = cell(40)
    project = add_project(session, box(x, y, x + 100, y + 100), project_type="industrial", investment_wan=100)
    try:
        issued = planner.post(f"/api/projects/{project.id}/reviews", headers=write_headers(planner)).get_json()
        rows = _by_name(table_rows(planner.get("/flags/register").get_data(as_text=True), "register-table"))
        row = rows[project.name]
        assert issued["number"] in row["cells"][6] and "已过期" not in row["cells"][6]
        etag = planner.get(f"/ogc/collections/projects/items/{project.id}").headers["ETag"]
        changed = planner.patch(f"/ogc/collections/projects/items/{project.id}",
                                data=json.dumps({"properties": {"investment_wan": 200}}),
                                content_type="application/geo+json", headers=write_headers(planner, etag))
        assert changed.status_code == 200
        rows = _by_name(table_rows(planner.get("/flags/register").get_data(as_text=True), "register-table"))
        assert issued["number"] in rows[project.name]["cells"][6] and "已过期" in rows[project.name]["cells"][6]
    finally:
        retire(session, project)


def test_excel_export_matches_the_page_and_never_runs_a_formula(app, session, viewer):
    x, y = cell(41)
    project = add_project(session, box(x, y, x + 100, y + 100), project_type="industrial",  # 园区级别未填: 需审查
                          name="=HYPERLINK(\"http://x.invalid\",\"点我\")")
    control = add_project(session, box(x + 150, y, x + 250, y + 100), project_type="industrial",
                          name="控制字符\x01\x1b项目")  # XML cannot hold these: the export drops them, not fails
    try:
        resp = viewer.get("/flags/register.xlsx?conclusion=needs_review")
        assert resp.status_code == 200 and resp.data[:2] == b"PK"
        sheet = load_workbook(io.BytesIO(resp.data)).active
        header = [c.value for c in sheet[2]]
        assert header[:8] == ["序号", "项目名称", "所在片区", "所在功能区", "项目类型", "状态", "审查结论", "原因"]
        body = list(sheet.iter_rows(min_row=3))
        page = table_rows(viewer.get("/flags/register?conclusion=needs_review").get_data(as_text=True),
                          "register-table")
        from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
        assert [r[1].value for r in body] == [ILLEGAL_CHARACTERS_RE.sub("", r["cells"][0]) for r in page]
        assert {r[6].value for r in body} == {"需审查"}
        assert any(r[1].value == "控制字符项目" for r in body)
        formula = next(r for r in body if r[1].value == project.name)
        assert formula[1].data_type == "s"  # stored as text: Excel shows it, never runs it
        assert formula[12].value.endswith(f"/flags/projects/{project.id}")
        unfiltered = load_workbook(io.BytesIO(viewer.get("/flags/register.xlsx").data)).active
        assert unfiltered.max_row - 2 == session.scalar(select(func.count()).select_from(Project)
                                                        .where(Project.deleted_at.is_(None)))
    finally:
        retire(session, project, control)
