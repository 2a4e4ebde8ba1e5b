"""Notifications: who hears of which event, the per-user settings, and GET/POST /api/notifications."""
from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select, text

from gis_tracker.models import Notification, NotificationSetting, User
from gis_tracker.services.accounts import notifications
from gis_tracker.services.encroachment import check, flags, review
from tests.factories import add_project, add_water, cell, flags_for, rect, retire, unique
from tests.support.clients import commit, login, sandbox, upload


def _mark(session) -> int:
    return session.scalar(select(func.coalesce(func.max(Notification.id), 0)))


def _since(session, mark: int, username: str) -> list[Notification]:
    session.expire_all()
    return list(session.scalars(select(Notification).join(User, User.id == Notification.user_id).where(
        Notification.id > mark, User.username == username).order_by(Notification.id)))


@pytest.fixture()
def flagged(session):
    """A project filling a test pond (a violation), in test cell 60; retired afterwards."""
    x, y = cell(60)
    water = add_water(session, rect(x + 100, y + 100, x + 200, y + 200), kind="pond")
    mark = _mark(session)
    project = add_project(session, rect(x + 50, y + 50, x + 250, y + 250))
    yield project, water, mark
    retire(session, project, water)


def test_a_new_violation_is_told_to_planners_and_admins_and_marked(session, flagged):
    project, _water, mark = flagged
    for username in ("planner", "admin"):
        found = [n for n in _since(session, mark, username) if n.event == "flag_raised"]
        assert len(found) == 1, username
        assert found[0].severity == "violation" and found[0].title.startswith("【违规】")
        assert project.name in found[0].title and found[0].link == f"/flags/projects/{project.id}"
    for username in ("viewer", "relocation_officer"):
        assert _since(session, mark, username) == []


def test_waiving_tells_the_others_and_a_change_reopens_it(session, flagged):
    project, _water, _mark0 = flagged
    flag = next(f for f in flags_for(session, project.id) if f["rule"] == "water_body_overlap")
    mark = _mark(session)
    flags.set_status(session, flag["id"], "waived", "已批准的临时占用", "planner", flag["etag"])
    closed = [n for n in _since(session, mark, "admin") if n.event == "flag_closed"]
    assert len(closed) == 1 and "豁免" in closed[0].title and closed[0].body == "已批准的临时占用"
    assert [n for n in _since(session, mark, "planner") if n.event == "flag_closed"] == []  # not the one who did it
    x, y = cell(60)
    mark = _mark(session)
    session.execute(text("UPDATE projects SET geom = ST_Multi(ST_MakeEnvelope(:x0, :y0, :x1, :y1, 4547)) "
                         "WHERE id = :id"), {"x0": x + 50, "y0": y + 50, "x1": x + 180, "y1": y + 180,
                                             "id": project.id})
    check.recheck(session, project_ids=[project.id], username="planner2")
    session.commit()
    reopened = [n for n in _since(session, mark, "planner") if n.event == "flag_raised"]
    assert len(reopened) == 1 and project.name in reopened[0].title


def test_an_issued_review_and_a_blocked_project_are_announced(session, flagged):
    project, _water, _mark0 = flagged
    mark = _mark(session)
    report = review.issue(session, project.id, "planner")
    told = [n for n in _since(session, mark, "admin") if n.event == "review_issued"]
    assert len(told) == 1 and report.number in told[0].title and told[0].severity == "violation"  # it failed
    assert [n for n in _since(session, mark, "planner") if n.event == "review_issued"] == []
    mark = _mark(session)
    assert notifications.project_blocked(session, project_id=project.id, project_name=project.name,
                                         report_number=report.number, reason="占用水体", username="planner") == 1
    session.commit()
    again = notifications.project_blocked(session, project_id=project.id, project_name=project.name,
                                          report_number=report.number, username="planner")
    session.commit()
    assert again == 0  # the same block is announced once
    blocked = [n for n in _since(session, mark, "admin") if n.event == "project_blocked"]
    assert len(blocked) == 1 and blocked[0].severity == "violation" and "不得实施" in blocked[0].title
    assert _since(session, mark, "viewer") == []


def _set_events(session, username: str, events: dict) -> None:
    user = session.scalar(select(User).where(User.username == username))
    notifications.update_settings(session, user, {"events": events}, None)


def test_settings_turn_events_off_and_on(session):
    x, y = cell(61)
    water = add_water(session, rect(x + 100, y + 100, x + 200, y + 200))
    _set_events(session, "planner", {"flag_raised": False})
    _set_events(session, "viewer", {"flag_raised": True})
    try:
        mark = _mark(session)
        project = add_project(session, rect(x + 50, y + 50, x + 250, y + 250))
        assert [n.event for n in _since(session, mark, "planner")] == []
        assert [n.event for n in _since(session, mark, "viewer")] == ["flag_raised"]
        assert [n.event for n in _since(session, mark, "admin")] == ["flag_raised"]
        retire(session, project, water)
    finally:
        _set_events(session, "planner", {"flag_raised": True})
        _set_events(session, "viewer", {"flag_raised": False})
    assert session.get(NotificationSetting, session.scalar(
        select(User.id).where(User.username == "viewer"))).events == {}  # back to the defaults


def test_api_lists_the_callers_notifications_newest_first_and_marks_them_read(app, client, session, flagged):
    project, _water, _mark0 = flagged
    login(client, "planner")
    body = client.get("/api/notifications?limit=5").get_json()
    assert body["notifications"] and body["unread"] >= 1
    ids = [n["id"] for n in body["notifications"]]
    assert ids == sorted(ids, reverse=True)
    newest = body["notifications"][0]
    assert newest["event"] == "flag_raised" and project.name in newest["title"] and newest["read"] is False
    assert {"id", "event", "event_label", "severity", "title", "link", "created_at", "read"} <= set(newest)
    unread = client.get("/api/notifications?unread=true&limit=200").get_json()
    assert all(not n["read"] for n in unread["notifications"]) and unread["total"] == body["unread"]
    csrf = client.get("/notifications").data.decode().split('name="csrf-token" content="')[1].split('"')[0]
    done = client.post(f"/api/notifications/{newest['id']}/read", headers={"X-CSRFToken": csrf})
    assert done.status_code == 200 and done.get_json()["read"] is True
    assert done.get_json()["unread"] == body["unread"] - 1
    read = client.get("/api/notifications?unread=false&limit=200").get_json()["notifications"]
    assert newest["id"] in [n["id"] for n in read]
    admin_notice = session.scalar(select(Notification.id).join(User, User.id == Notification.user_id)
                                  .where(User.username == "admin").order_by(Notification.id.desc()))
    assert client.post(f"/api/notifications/{admin_notice}/read", headers={"X-CSRFToken": csrf}).status_code == 404
    bad = client.get("/api/notifications?colour=red")
    assert bad.status_code == 400 and bad.get_json()["parameter"] == "colour"
    assert client.get("/api/notifications?unread=perhaps").status_code == 400
    assert client.get("/api/notifications?event=nonsense").get_json()["code"] == "unknown_event"
    everything = client.post("/api/notifications/read-all", headers={"X-CSRFToken": csrf}).get_json()
    assert everything["unread"] == 0 and client.get("/api/notifications/unread-count").get_json()["unread"] == 0


def test_settings_api_validates_and_honours_if_match(client):
    login(client, "viewer")
    csrf = client.get("/notifications/settings").data.decode().split('name="csrf-token" content="')[1].split('"')[0]
    got = client.get("/api/notifications/settings")
    etag = got.headers["ETag"]
    headers = {"X-CSRFToken": csrf, "Content-Type": "application/json"}
    bad = client.put("/api/notifications/settings", data=json.dumps({"email": "not-an-address", "email_mode": "digest"}),
                     headers={**headers, "If-Match": etag})
    assert bad.status_code == 422 and bad.get_json()["field"] == "email"
    missing = client.put("/api/notifications/settings", data=json.dumps({"email_mode": "immediate"}), headers=headers)
    assert missing.status_code == 422 and missing.get_json()["code"] == "email_required"
    ok = client.put("/api/notifications/settings", data=json.dumps({"email": "wang@shifeng.gov.cn",
                                                                    "email_mode": "digest"}),
                    headers={**headers, "If-Match": etag})
    assert ok.status_code == 200 and ok.get_json()["email_mode"] == "digest"
    stale = client.put("/api/notifications/settings", data=json.dumps({"email_mode": "off"}),
                       headers={**headers, "If-Match": etag})
    assert stale.status_code == 412
    off = client.put("/api/notifications/settings", data=json.dumps({"email_mode": "off"}),
                     headers={**headers, "If-Match": ok.headers["ETag"]})
    assert off.status_code == 200 and off.get_json()["email_mode"] == "off"


def test_an_import_tells_its_author_when_it_is_written_and_when_it_fails(app, client, headers, session, tmp_path,
                                                                        tmp_path_factory):
    import geopandas as gpd
    from shapely.geometry import box

    from tests.factories import X0, Y0
    with sandbox(app, tmp_path_factory):
        frame = gpd.GeoDataFrame({"名称": [unique("通知导入")]}, geometry=[box(X0, Y0 + 4000, X0 + 50, Y0 + 4050)],
                                 crs="EPSG:4547")
        path = tmp_path / "notice.gpkg"
        frame.to_file(path, driver="GPKG", engine="pyogrio")
        mark = _mark(session)
        record = upload(client, headers, path).get_json()
        name = unique("notice").replace("-", "_")
        assert commit(client, headers, record["id"], {"target": "new", "name": name}).status_code == 200
        done = _since(session, mark, "planner")
        assert [n.event for n in done] == ["import_finished"]
        assert "notice.gpkg" in done[0].title and name in done[0].title
        assert done[0].link == f"/exchange/imports/{record['id']}"
        assert _since(session, mark, "admin") == []  # only the author
        bad = gpd.GeoDataFrame({"项目名称": [unique("坏项目")], "类型": ["factory"], "状态": ["planned"]},
                               geometry=[box(X0, Y0 + 4100, X0 + 50, Y0 + 4150)], crs="EPSG:4547")
        path = tmp_path / "bad.gpkg"
        bad.to_file(path, driver="GPKG", engine="pyogrio")
        mark = _mark(session)
        record = upload(client, headers, path).get_json()
        body = {"target": "projects", "mapping": {"项目名称": "name", "类型": "project_type", "状态": "status"}}
        assert commit(client, headers, record["id"], body).status_code == 422
        failed = _since(session, mark, "planner")
        assert [n.event for n in failed] == ["import_failed"] and "bad.gpkg" in failed[0].title
        assert "项目类型" in (failed[0].body or "")
