"""Then vs now: GET /api/compare between two dates, and its PNG/PDF export for meetings."""
from __future__ import annotations

import json
import subprocess
from datetime import date, timedelta

import pytest
from sqlalchemy import select, text

from gis_tracker.models import Enterprise, User
from gis_tracker.services.cartography import exports
from gis_tracker.services.relocation import transitions
from gis_tracker.services.relocation.transitions import TransitionInput
from tests.factories import add_project, add_water, borrowed_enterprise, cell, rect, retire
from tests.support.clients import csrf_token_of, login

TODAY = date.today()


@pytest.fixture(autouse=True, scope="module")
def export_dir(app, tmp_path_factory):
    old = app.config.get("EXPORT_DIR")
    app.config["EXPORT_DIR"] = str(tmp_path_factory.mktemp("compare_exports"))
    yield
    app.config["EXPORT_DIR"] = old


def test_enterprises_whose_stage_changed_with_counts_per_sub_area(app, client, headers, session):
    officer = session.scalar(select(User).where(User.username == "relocation_officer"))
    with borrowed_enterprise(app, "agreement_signed", "close") as eid:
        ent = session.get(Enterprise, eid)
        before = client.get(f"/api/compare?from={2016}-12-31&to={TODAY.isoformat()}", headers=headers).get_json()
        transitions.record_transition(session, eid, TransitionInput("production_halted", TODAY - timedelta(days=1)),
                                      officer, transitions.enterprise_etag(ent))
        a = (TODAY - timedelta(days=2)).isoformat()
        body = client.get(f"/api/compare?from={a}&to={TODAY.isoformat()}", headers=headers).get_json()
        mine = next(e for e in body["relocation"]["changed"] if e["id"] == eid)
        assert (mine["from_stage"], mine["to_stage"], mine["steps"]) == ("agreement_signed", "production_halted", 1)
        zone = next(z for z in body["relocation"]["by_zone"] if z["zone_code"] == mine["zone_code"])
        assert zone["changed"] >= 1 and zone["advanced"] >= 1
        assert body["counts"]["enterprises_changed"] == len(body["relocation"]["changed"])
        feature = next(f for f in body["relocation"]["map"]["features"] if f["id"] == eid)
        assert feature["properties"]["steps"] == 1 and feature["properties"]["colour"] == "#c7e9c0"
        assert sum(z["total"] for z in body["relocation"]["by_zone"]) == body["relocation"]["counts"]["total"]
        assert before["from"] == "2016-12-31" and before["relocation"]["counts"]["total"] == \
            body["relocation"]["counts"]["total"]


def test_projects_and_flags_new_removed_and_changed(client, headers, session):
    x, y = cell(66)
    water = add_water(session, rect(x + 10, y + 10, x + 60, y + 60))
    old = add_project(session, rect(x + 200, y + 200, x + 260, y + 260))
    gone = add_project(session, rect(x + 300, y + 200, x + 360, y + 260))
    session.execute(text("UPDATE projects SET created_at = now() - interval '5 days' WHERE id IN (:a, :b)"),
                    {"a": old.id, "b": gone.id})
    session.commit()
    etag = client.get(f"/ogc/collections/projects/items/{old.id}", headers=headers).headers["ETag"]
    saved = client.patch(f"/ogc/collections/projects/items/{old.id}", data=json.dumps(
        {"properties": {"description": "调整用地", "status": "approved"}}),
        headers={**headers, "If-Match": etag, "Content-Type": "application/json"})
    assert saved.status_code == 200
    session.execute(text("UPDATE feature_versions SET at = now() - interval '5 days' "
                         "WHERE collection = 'projects' AND feature_id = :id AND version = 1"), {"id": old.id})
    session.commit()
    wet = add_project(session, rect(x, y, x + 100, y + 100))  # new today, filling the pond: a new flag
    retire(session, gone)
    try:
        a = (TODAY - timedelta(days=3)).isoformat()
        body = client.get(f"/api/compare?from={a}&to={TODAY.isoformat()}", headers=headers).get_json()
        projects = body["projects"]
        assert wet.id in [p["id"] for p in projects["new"]] and old.id not in [p["id"] for p in projects["new"]]
        assert gone.id in [p["id"] for p in projects["removed"]]
        changed = next(p for p in projects["changed"] if p["id"] == old.id)
        assert changed["fields"] == ["description", "status"]
        new_flag = next(f for f in body["flags"]["new"] if f["project_id"] == wet.id)
        assert new_flag["severity"] == "violation" and new_flag["status_to"] == "open"
        assert body["counts"]["projects_new"] == len(projects["new"])
        earlier = client.get(f"/api/compare?from=2015-01-01&to={a}", headers=headers).get_json()
        assert wet.id not in [p["id"] for p in earlier["projects"]["new"]]  # did not exist by date B
    finally:
        retire(session, old, wet, water)


@pytest.mark.parametrize("query, parameter", [
    ("from=2020-01-01", "to"), ("to=2020-01-01", "from"), ("from=2021-01-01&to=2020-01-01", "from"),
    ("from=2020-01-01&to=2999-01-01", "to"), ("from=2020-13-01&to=2021-01-01", "from"),
    ("from=2020-01-01&to=2021-01-01&zone=QST", "zone"),
])
def test_bad_dates_are_refused_naming_the_parameter(client, headers, query, parameter):
    resp = client.get(f"/api/compare?{query}", headers=headers)
    assert resp.status_code == 400 and resp.get_json()["parameter"] == parameter


def _text(path) -> str:
    return subprocess.run(["pdftotext", "-enc", "UTF-8", str(path), "-"], capture_output=True, text=True,
                          check=True).stdout


def test_the_comparison_exports_as_pdf_and_png_with_the_same_numbers(client, headers, session, tmp_path):
    params = {"from": "2016-12-31", "to": "2020-12-31"}
    body = client.get("/api/compare?from=2016-12-31&to=2020-12-31", headers=headers).get_json()
    pdf = exports.produce(session, "compare", {**params, "format": "pdf"}, "planner")
    path = tmp_path / "compare.pdf"
    path.write_bytes(exports.file_of(pdf).read_bytes())
    words = _text(path)
    assert "今昔对比：2016-12-31 → 2020-12-31" in words
    assert f"阶段变化的企业 {body['counts']['enterprises_changed']} 家" in words
    first_zone = body["relocation"]["by_zone"][0]
    assert first_zone["zone_name"] in words and "第 1 页 / 共" in words
    if body["relocation"]["changed"]:
        assert body["relocation"]["changed"][0]["name"] in words
    png = exports.produce(session, "compare", {**params, "format": "png"}, "planner")
    data = exports.file_of(png).read_bytes()
    assert data.startswith(b"\x89PNG\r\n\x1a\n") and png.kind == "compare"
    login(client, "viewer")
    csrf = csrf_token_of(client)
    bad = client.post("/api/exports", json={"kind": "compare", "from": "2021-01-01", "to": "2020-01-01"},
                      headers={"X-CSRFToken": csrf})
    assert bad.status_code == 400 and bad.get_json()["code"] == "bad_range"
    bad = client.post("/api/exports", json={"kind": "compare", **params, "format": "html"}, headers={"X-CSRFToken": csrf})
    assert bad.status_code == 400 and bad.get_json()["parameter"] == "format"
