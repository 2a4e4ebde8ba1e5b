"""Ecological restoration within one year of completion: the proposal, the due date, recording it, the list."""
from __future__ import annotations

import io
import json
from datetime import date, timedelta

import numpy as np
import pytest
import rasterio
from rasterio.transform import from_origin
from sqlalchemy import select

from gis_tracker.models import AuditEntry, RestorationCheck
from gis_tracker.services.exchange import rasters
from gis_tracker.services.planning import restoration
from tests.factories import add_project, add_protected, add_water, borrowed_enterprise, cell, rect, retire
from tests.support.clients import login, sandbox

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def _csrf(client, path="/planning/restoration") -> str:
    return client.get(path).data.decode().split('name="csrf-token" content="')[1].split('"')[0]


def _check(session, project_id: int) -> RestorationCheck:
    session.expire_all()
    return session.get(RestorationCheck, project_id)


def test_overlapping_water_or_ecological_land_proposes_restoration_but_a_livestock_zone_does_not(session):
    x, y = cell(62)
    water = add_water(session, rect(x + 10, y + 10, x + 60, y + 60))
    park = add_protected(session, rect(x + 200, y + 10, x + 260, y + 60), category="forest_park")
    ban = add_protected(session, rect(x + 10, y + 200, x + 390, y + 390), category="livestock_ban")
    wet = add_project(session, rect(x, y, x + 100, y + 100))
    green = add_project(session, rect(x + 180, y, x + 280, y + 100))
    farm = add_project(session, rect(x + 50, y + 250, x + 150, y + 350))
    restoration.refresh(session, [wet.id, green.id, farm.id])
    session.commit()
    try:
        assert _check(session, wet.id).proposed and _check(session, wet.id).reasons[0]["kind"] == "water"
        assert _check(session, wet.id).reasons[0]["features"][0]["name"] == water.name
        assert _check(session, green.id).proposed and _check(session, green.id).reasons[0]["kind"] == "protected"
        assert _check(session, farm.id).proposed is False  # a 畜禽禁养区 restricts a use, it is not ecological land
    finally:
        retire(session, wet, green, farm, water, park, ban)


def _steep_dem(path, x0: float, y0: float) -> None:
    """A 30 m DEM over test cell 63 rising 25 m per pixel to the east (about 40°), flat in the west half."""
    cols = np.arange(40, dtype="float32")
    row = np.where(cols < 20, 50.0, 50.0 + (cols - 20) * 25.0).astype("float32")
    data = np.tile(row, (40, 1))
    with rasterio.open(path, "w", driver="GTiff", width=40, height=40, count=1, dtype="float32", crs="EPSG:4547",
                       transform=from_origin(x0 - 200, y0 + 1000, 30, 30), nodata=-9999) as ds:
        ds.write(data, 1)


def test_steep_slopes_on_the_dem_propose_restoration(app, session, tmp_path, tmp_path_factory):
    x, y = cell(63)
    with sandbox(app, tmp_path_factory):
        _steep_dem(tmp_path / "steep.tif", x, y)
        rasters.ingest(session, "tests", tmp_path / "steep.tif", name="test_steep_dem", title="测试陡坡", kind="dem")
        steep = add_project(session, rect(x + 500, y + 100, x + 560, y + 160))
        flat = add_project(session, rect(x - 150, y + 100, x - 100, y + 160))
        restoration.refresh(session, [steep.id, flat.id])
        session.commit()
        try:
            found = _check(session, steep.id)
            assert found.proposed and found.dem_raster == "test_steep_dem"
            slope = next(r for r in found.reasons if r["kind"] == "slope")
            assert slope["max_slope_deg"] > 35 and slope["threshold_deg"] == 25
            assert _check(session, flat.id).proposed is False
        finally:
            retire(session, steep, flat)


@pytest.fixture()
def wet_project(session):
    """A completed project that filled a pond in test cell 64 (restoration proposed)."""
    x, y = cell(64)
    water = add_water(session, rect(x + 10, y + 10, x + 60, y + 60))
    project = add_project(session, rect(x, y, x + 100, y + 100), completion_date=date.today() - timedelta(days=400))
    restoration.refresh(session, [project.id])
    session.commit()
    yield project
    retire(session, project, water)


def test_the_due_date_and_status_are_served_read_only_with_the_project(client, headers, wet_project):
    item = client.get(f"/ogc/collections/projects/items/{wet_project.id}", headers=headers)
    props = item.get_json()["properties"]
    completed = date.today() - timedelta(days=400)
    assert props["restoration_proposed"] is True and props["restoration_required"] is None
    assert props["restoration_due"] == restoration.rules.restoration_due(completed).isoformat()
    assert props["restoration_status"] == "overdue"
    body = {"properties": {"restored_date": "2020-01-01"}}  # only the restoration record sets it
    refused = client.patch(f"/ogc/collections/projects/items/{wet_project.id}", data=json.dumps(body),
                           headers={**headers, "If-Match": item.headers["ETag"], "Content-Type": "application/json"})
    assert refused.status_code == 422 and refused.get_json()["field"] == "restored_date"


def test_the_planners_no_overrides_the_proposal(client, headers, session, wet_project):
    item = client.get(f"/ogc/collections/projects/items/{wet_project.id}", headers=headers)
    saved = client.patch(f"/ogc/collections/projects/items/{wet_project.id}",
                         data=json.dumps({"properties": {"restoration_required": False}}),
                         headers={**headers, "If-Match": item.headers["ETag"], "Content-Type": "application/json"})
    assert saved.status_code == 200, saved.get_json()
    props = saved.get_json()["properties"]
    assert props["restoration_status"] == "not_required" and props["restoration_due"] is None
    listed = client.get("/api/restoration?kind=project", headers=headers).get_json()
    assert wet_project.id not in [i["id"] for i in listed["items"]]


def test_recording_a_restoration_needs_evidence_the_version_and_a_planner(app, client, session, wet_project):
    login(client, "planner")
    csrf = _csrf(client)
    etag = client.get(f"/api/projects/{wet_project.id}/restoration").headers["ETag"]
    url = f"/api/projects/{wet_project.id}/restoration"
    day = (date.today() - timedelta(days=2)).isoformat()
    none = client.post(url, data={"restored_date": day}, headers={"X-CSRFToken": csrf, "If-Match": etag})
    assert none.status_code == 422 and none.get_json()["code"] == "evidence_required"
    fake = client.post(url, data={"restored_date": day, "evidence": (io.BytesIO(b"not a picture"), "photo.png")},
                       headers={"X-CSRFToken": csrf, "If-Match": etag}, content_type="multipart/form-data")
    assert fake.status_code == 422 and fake.get_json()["code"] == "attachment_type"
    stale = client.post(url, data={"restored_date": day, "evidence": (io.BytesIO(PNG), "photo.png")},
                        headers={"X-CSRFToken": csrf, "If-Match": '"projects-1-v999"'}, content_type="multipart/form-data")
    assert stale.status_code == 412
    future = client.post(url, data={"restored_date": (date.today() + timedelta(days=3)).isoformat(),
                                    "evidence": (io.BytesIO(PNG), "photo.png")},
                         headers={"X-CSRFToken": csrf, "If-Match": etag}, content_type="multipart/form-data")
    assert future.status_code == 422 and future.get_json()["field"] == "restored_date"
    done = client.post(url, data={"restored_date": day, "note": "复绿完成", "evidence": (io.BytesIO(PNG), "现场.png")},
                       headers={"X-CSRFToken": csrf, "If-Match": etag}, content_type="multipart/form-data")
    assert done.status_code == 201, done.get_json()
    body = done.get_json()
    assert body["restored_date"] == day and body["restored_by"] == "planner"
    assert body["status"] == "restored_late" and body["restoration_required"] is True  # due 35 days ago
    assert body["evidence"][0]["filename"] == "现场.png"
    assert client.get(body["evidence"][0]["url"]).data == PNG
    entry = session.scalar(select(AuditEntry).where(AuditEntry.action == "record_restoration",
                                                    AuditEntry.object_id == str(wet_project.id)))
    assert entry.after["restored_date"] == day and entry.before["restored_date"] is None
    login(client, "viewer")
    refused = client.post(url, data={"restored_date": day, "evidence": (io.BytesIO(PNG), "x.png")},
                          headers={"X-CSRFToken": _csrf(client), "If-Match": done.headers["ETag"]},
                          content_type="multipart/form-data")
    assert refused.status_code == 403


def test_the_overdue_list_and_map_and_the_review_page(client, headers, session, wet_project):
    listed = client.get("/api/restoration?status=overdue", headers=headers).get_json()
    item = next(i for i in listed["items"] if i["id"] == wet_project.id)
    assert item["status"] == "overdue" and item["days_left"] == -35 and item["reasons"][0]["kind"] == "water"
    assert listed["counts"]["overdue"] >= 1
    as_of = (date.today() - timedelta(days=100)).isoformat()
    earlier = client.get(f"/api/restoration?as_of={as_of}", headers=headers).get_json()
    assert next(i for i in earlier["items"] if i["id"] == wet_project.id)["status"] == "pending"
    assert client.get("/api/restoration?status=late", headers=headers).status_code == 400
    assert client.get("/api/restoration?colour=1", headers=headers).get_json()["parameter"] == "colour"
    feats = client.get("/api/restoration/map", headers=headers).get_json()["features"]
    mine = next(f for f in feats if f["id"] == f"project-{wet_project.id}")
    assert mine["geometry"]["type"] == "MultiPolygon" and mine["properties"]["colour"] == "#c00000"
    page = client.get(f"/flags/projects/{wet_project.id}", headers=headers).data.decode()
    assert 'id="restoration-status" data-status="overdue"' in page and "已逾期" in page


def test_a_site_term_runs_from_equipment_removal_until_acceptance(app, client, session):
    removed = (date.today() - timedelta(days=500)).isoformat()
    with borrowed_enterprise(app, "demolished", "relocate", stage_dates={"demolished": removed}) as eid:
        login(client, "relocation_officer")
        csrf = client.get(f"/relocation/enterprises/{eid}").data.decode().split(
            'name="csrf-token" content="')[1].split('"')[0]
        etag = client.get(f"/ogc/collections/enterprises/items/{eid}").headers["ETag"]
        body = {"remediation_basis": "demolished", "remediation_months": 12}
        saved = client.put(f"/api/enterprises/{eid}/remediation-term", data=json.dumps(body),
                           headers={"X-CSRFToken": csrf, "If-Match": etag, "Content-Type": "application/json"})
        assert saved.status_code == 200, saved.get_json()
        props = client.get(f"/ogc/collections/enterprises/items/{eid}").get_json()["properties"]
        due = restoration.rules.add_months(date.fromisoformat(removed), 12)
        assert props["remediation_due"] == due.isoformat()
        site = next(i for i in client.get("/api/restoration?kind=site").get_json()["items"] if i["id"] == eid)
        assert site["status"] == "overdue" and site["remediation_due"] == due.isoformat()
        bad = client.put(f"/api/enterprises/{eid}/remediation-term",
                         data=json.dumps({"remediation_basis": "demolished", "remediation_months": 500}),
                         headers={"X-CSRFToken": csrf, "If-Match": saved.headers["ETag"],
                                  "Content-Type": "application/json"})
        assert bad.status_code == 422 and bad.get_json()["field"] == "remediation_months"
        login(client, "planner")
        assert client.put(f"/api/enterprises/{eid}/remediation-term", data=json.dumps(body), headers={
            "X-CSRFToken": _csrf(client), "If-Match": saved.headers["ETag"],
            "Content-Type": "application/json"}).status_code == 403
        cleared = restoration.set_site_term(session, eid, None, None, session.scalar(
            select(restoration.User).where(restoration.User.username == "admin")), saved.headers["ETag"])
        assert cleared["remediation_basis"] is None


def test_a_completed_site_counts_as_restored(app, session):
    halted, accepted = date.today() - timedelta(days=300), date.today() - timedelta(days=10)
    dates = {"production_halted": halted.isoformat(), "demolished": halted.isoformat(),
             "remediation": halted.isoformat(), "accepted": accepted.isoformat()}
    with borrowed_enterprise(app, "accepted", "close", stage_dates=dates, remediation_basis="production_halted",
                             remediation_months=12) as eid:
        site = next(s for s in restoration.sites(session) if s.enterprise_id == eid)
        assert site.status == "restored" and site.done == accepted
    with app.app_context():
        from gis_tracker.db import db
        from gis_tracker.models import Enterprise
        ent = db.session.get(Enterprise, eid)
        ent.remediation_basis = ent.remediation_months = None
        db.session.commit()


def test_a_new_water_body_under_a_project_proposes_restoration_at_once(client, headers, session):
    from tests.factories import lonlat
    x, y = cell(68)
    project = add_project(session, rect(x, y, x + 100, y + 100))
    restoration.refresh(session, [project.id])
    session.commit()
    assert _check(session, project.id).proposed is False
    body = {"type": "Feature", "properties": {"name": "测试新池塘", "kind": "pond"},
            "geometry": lonlat(rect(x + 20, y + 20, x + 70, y + 70))}
    saved = client.post("/ogc/collections/water_bodies/items", data=json.dumps(body),
                        headers={**headers, "Content-Type": "application/geo+json"})
    assert saved.status_code == 201, saved.get_json()
    try:
        found = _check(session, project.id)
        assert found.proposed and found.reasons[0]["features"][0]["name"] == "测试新池塘"
    finally:
        from gis_tracker.models import WaterBody
        retire(session, project, session.get(WaterBody, saved.get_json()["id"]))
