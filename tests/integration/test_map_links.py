"""Zoom-to links ("在地图中查看"): the URLs map_links.py and _map_link.html build, and every page that names a
feature or a layer links to it on the map with the right ``select=`` / ``fit=``."""
from __future__ import annotations

import re

import pytest
from flask import render_template_string
from sqlalchemy import delete, select

from gis_tracker.models import AuditEntry, Enterprise, Notification, Project
from gis_tracker.services.accounts import notifications
from gis_tracker.services.encroachment import flags as flag_service
from gis_tracker.services.relocation import dashboard
from gis_tracker.web import map_links
from tests.factories import sample_frame, unique
from tests.support.clients import commit, login, sandbox, upload
from tests.support.html import table_rows

MAP_LINK = re.compile(r'<a class="map-link" href="([^"]+)"[^>]*>([^<]*)</a>')


@pytest.fixture(scope="module", autouse=True)
def exchange_dirs(app, tmp_path_factory):
    with sandbox(app, tmp_path_factory):
        yield


def _links(html: str) -> list[str]:
    return [m.group(1).replace("&amp;", "&") for m in MAP_LINK.finditer(html)]


# ------------------------------------------------------------------ the URLs themselves

def test_map_link_and_layer_map_link_build_the_contract_urls(app):
    with app.test_request_context("/"):
        assert map_links.map_link("projects", 12) == "/map?select=projects:12"
        assert map_links.map_link("my_layer_2", "7") == "/map?select=my_layer_2:7"
        assert map_links.layer_map_link("zones") == "/map?fit=zones"


def test_macros_render_the_same_urls_as_text(app):
    with app.test_request_context("/"):
        html = render_template_string(
            '{% from "_map_link.html" import map_link, layer_map_link %}'
            '{{ map_link("projects", 12) }}|{{ layer_map_link("zones") }}|{{ map_link("water_bodies", 5, label) }}',
            label='<img src=x onerror="alert(1)">')
        first, second, third = html.split("|")
        assert first == ('<a class="map-link" href="/map?select=projects:12" data-select="projects:12">'
                         '在地图中查看</a>')
        assert second == '<a class="map-link" href="/map?fit=zones" data-fit="zones">在地图中查看</a>'
        assert "<img" not in third and "&lt;img" in third  # a label is text
        assert MAP_LINK.search(third).group(1) == map_links.map_link("water_bodies", 5)
    with app.test_request_context("/?lang=en"):
        from flask import g
        g.lang = "en"
        html = render_template_string('{% from "_map_link.html" import map_link %}{{ map_link("projects", 1) }}')
        assert ">View on the map</a>" in html


def test_object_map_link_knows_features_from_other_objects(app):
    layers = {"projects", "encroachments", "enterprises", "my_layer"}
    with app.test_request_context("/"):
        link = map_links.object_map_link
        assert link("projects", "5", layers) == "/map?select=projects:5"
        assert link("projects", 5, layers, "update") == "/map?select=projects:5"
        assert link("encroachment_flag", "9", layers) == "/map?select=encroachments:9"
        assert link("my_layer", "77", layers, "import") == "/map?fit=my_layer"  # an import's id is not a feature's
        assert link("projects", "5", layers, "delete") is None  # gone from the map
        assert link("user", "5", layers) is None and link("review_report", "5", layers) is None
        assert link("gone_layer", "5", layers) is None
        for bad in (None, "", "0", "-1", "1e3", "５", "12; drop", "99999999999"):
            assert link("projects", bad, layers) is None, bad


def test_every_link_opens_the_map_page(viewer_client):
    for href in ("/map?select=projects:1", "/map?fit=zones"):
        assert viewer_client.get(href).status_code == 200


# ------------------------------------------------------------------ the pages

def test_flags_list_links_each_flag_to_its_overlap_and_its_project(session, viewer_client):
    listed = {f["id"]: f for f in flag_service.list_flags(session)}
    assert listed, "the sample raises flags"
    rows = table_rows(viewer_client.get("/flags/").get_data(as_text=True), "flags-table")
    assert len(rows) == len(listed)
    for row in rows:
        flag = listed[int(row["attrs"]["data-flag"])]
        assert f"/map?select=encroachments:{flag['id']}" in row["links"]
        assert f"/map?select=projects:{flag['project_id']}" in row["links"]


def test_review_register_and_project_page_link_to_the_map(session, viewer_client):
    rows = table_rows(viewer_client.get("/flags/register").get_data(as_text=True), "register-table")
    assert rows
    for row in rows:
        assert f"/map?select=projects:{row['attrs']['data-project']}" in row["links"]
    baima = session.scalar(select(Project).where(Project.name == "白马欧洲小镇", Project.deleted_at.is_(None)))
    html = viewer_client.get(f"/flags/projects/{baima.id}").get_data(as_text=True)
    links = _links(html)
    assert f"/map?select=projects:{baima.id}" in links
    project_flags = [f for f in flag_service.list_flags(session) if f["project_id"] == baima.id]
    assert project_flags
    for flag in project_flags:
        assert f"/map?select=encroachments:{flag['id']}" in links
        for x in flag["features"]:  # the protected areas and water bodies it touches
            assert f"/map?select={x['layer']}:{x['id']}" in links


def test_enterprise_list_page_and_dashboard_link_to_the_map(session, client):
    officer = login(client, "relocation_officer")
    rows = table_rows(officer.get("/relocation/?per_page=50").get_data(as_text=True), "enterprise-table")
    assert rows
    for row in rows:
        assert f"/map?select=enterprises:{row['attrs']['data-id']}" in row["links"]
    eid = session.scalar(select(Enterprise.id).where(Enterprise.deleted_at.is_(None)).order_by(Enterprise.id))
    html = officer.get(f"/relocation/enterprises/{eid}").get_data(as_text=True)
    assert f"/map?select=enterprises:{eid}" in _links(html)
    late = dashboard.dashboard(session)["overdue"]
    rows = table_rows(officer.get("/relocation/dashboard").get_data(as_text=True), "overdue-list")
    assert [int(r["attrs"]["data-id"]) for r in rows] == [e["id"] for e in late]
    for row in rows:
        assert f"/map?select=enterprises:{row['attrs']['data-id']}" in row["links"]


def test_restoration_list_links_projects_and_sites(client):
    planner = login(client, "planner")
    rows = table_rows(planner.get("/planning/restoration").get_data(as_text=True), "restoration-list")
    items = [r for r in rows if "data-id" in r["attrs"]]
    assert items, "the sample has restorations"
    for row in items:
        layer = "projects" if row["attrs"]["data-kind"] == "project" else "enterprises"
        assert f"/map?select={layer}:{row['attrs']['data-id']}" in row["links"]


def _import(client, headers, path, name):
    record = upload(client, headers, path).get_json()
    done = commit(client, headers, record["id"], {"target": "new", "name": name, "title": name})
    assert done.status_code == 200, done.get_json()
    return record["id"]


def test_a_finished_import_links_to_its_layer_or_its_single_feature(session, client, headers, tmp_path):
    planner = login(client, "planner")
    many, one = tmp_path / "many.geojson", tmp_path / "one.geojson"
    sample_frame("EPSG:4326").to_file(many, driver="GeoJSON", engine="pyogrio")
    sample_frame("EPSG:4326").iloc[:1].to_file(one, driver="GeoJSON", engine="pyogrio")
    many_name, one_name = unique("links_many").replace("-", "_"), unique("links_one").replace("-", "_")
    many_id = _import(client, headers, many, many_name)
    one_id = _import(client, headers, one, one_name)

    html = planner.get(f"/exchange/imports/{many_id}").get_data(as_text=True)
    assert _links(html) == [f"/map?fit={many_name}"]  # the layer, zoomed to its extent — not the whole district
    html = planner.get(f"/exchange/imports/{one_id}").get_data(as_text=True)
    from gis_tracker.models import LayerFeature, UserLayer
    layer_id = session.scalar(select(UserLayer.id).where(UserLayer.name == one_name))
    fid = session.scalar(select(LayerFeature.id).where(LayerFeature.layer_id == layer_id))
    assert _links(html) == [f"/map?select={one_name}:{fid}"]

    # The audit log names the import and the layer: the admin can go to it on the map.
    admin = login(planner, "admin")
    html = admin.get(f"/admin/audit?object_type={many_name}&action=import").get_data(as_text=True)
    assert f"/map?fit={many_name}" in _links(html)


def test_audit_entries_about_features_link_to_them(session, admin_client):
    pid = session.scalar(select(Project.id).where(Project.deleted_at.is_(None)).order_by(Project.id))
    entry = AuditEntry(username="tests", action="update", object_type="projects", object_id=str(pid))
    gone = AuditEntry(username="tests", action="delete", object_type="projects", object_id=str(pid))
    other = AuditEntry(username="tests", action="update", object_type="user", object_id="1")
    session.add_all([entry, gone, other])
    session.commit()
    html = admin_client.get(f"/admin/audit?user=tests&object_type=projects&object_id={pid}").get_data(as_text=True)
    # The audit table has no id: its rows are read by their entry number.
    body = html.split('<table class="data audit">', 1)[1].split("</table>", 1)[0]
    by_id = {int(m.group(1)): m.group(0) for m in re.finditer(r"<tr><td>(\d+)</td>.*?</tr>", body, re.S)}
    assert f'href="/map?select=projects:{pid}"' in by_id[entry.id]
    assert "map-link" not in by_id[gone.id]  # deleted: nothing to show on the map
    html = admin_client.get("/admin/audit?user=tests&object_type=user").get_data(as_text=True)
    assert "map-link" not in html.split('<table class="data audit">', 1)[1]


def test_inbox_items_about_a_feature_link_to_it(session, client):
    pid = session.scalar(select(Project.id).where(Project.deleted_at.is_(None)).order_by(Project.id))
    title = unique("测试通知")
    notifications.notify(session, "flag_raised", title=title, link=f"/flags/projects/{pid}",
                         object_type="projects", object_id=pid, usernames=["planner"])
    other = unique("测试通知")
    notifications.notify(session, "flag_raised", title=other, link="/flags/", usernames=["planner"])
    session.commit()
    try:
        planner = login(client, "planner")
        rows = table_rows(planner.get("/notifications").get_data(as_text=True), "inbox")
        mine = next(r for r in rows if title in r["cells"][2])
        assert f"/map?select=projects:{pid}" in mine["links"]
        plain = next(r for r in rows if other in r["cells"][2])
        assert not any(link and "select=" in link for link in plain.get("links", []))
    finally:
        session.execute(delete(Notification).where(Notification.title.in_([title, other])))
        session.commit()
