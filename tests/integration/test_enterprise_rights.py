"""Deadlines and the register belong to those who set them: rights per field on enterprises.

Relocation officers record stage transitions and contacts; planned dates, path,
destination, identity fields, creating and deleting are for admins; geometry for
admins and planners.  A refused field answers 403 naming it and nothing is
stored; the layer's schema says ``readOnly`` per role; every transition is also
a version of the enterprise.
"""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from gis_tracker.models import Enterprise, FeatureVersion, StageTransition
from tests.factories import borrowed_enterprise
from tests.support.clients import login
from tests.support.features import get_feature, patch_feature, post_feature, put_feature, write_headers

FIELDS_FOR_ADMINS = {"name": "改名企业", "credit_code": "91430200MA4L00000X", "industry": "化工",
                     "path": "transform", "destination": "攸县工业集中区", "planned_dates": {"accepted": "2030-12-31"},
                     "employees": 12, "land_area_m2": 100.0}


@pytest.fixture()
def enterprise(app):
    with borrowed_enterprise(app, "assessment", "close") as eid:
        yield eid


def _state(session, eid):
    session.expire_all()
    row = session.get(Enterprise, eid)
    versions = session.scalar(select(func.count()).select_from(FeatureVersion).where(
        FeatureVersion.collection == "enterprises", FeatureVersion.feature_id == eid))
    return (row.name, row.path, row.destination, dict(row.planned_dates), row.contact_person, row.version, versions,
            session.scalar(select(func.ST_AsText(Enterprise.geom)).where(Enterprise.id == eid)))


def _moved(client, eid):
    point = get_feature(client, "enterprises", eid).get_json()["geometry"]["coordinates"]
    return {"type": "Point", "coordinates": [point[0] + 0.0005, point[1]]}


@pytest.mark.parametrize("field", sorted(FIELDS_FOR_ADMINS))
def test_an_officer_may_not_change_what_admins_set(app, session, enterprise, field):
    officer = login(app.test_client(), "relocation_officer")
    before = _state(session, enterprise)
    resp = patch_feature(officer, "enterprises", enterprise, get_feature(officer, "enterprises", enterprise)
                         .headers["ETag"], {field: FIELDS_FOR_ADMINS[field]})
    assert resp.status_code == 403, resp.get_json()
    assert resp.get_json()["code"] == "forbidden_field" and resp.get_json()["field"] == field
    assert _state(session, enterprise) == before


def test_an_officer_keeps_contacts_and_may_echo_the_rest(app, session, enterprise):
    officer = login(app.test_client(), "relocation_officer")
    item = get_feature(officer, "enterprises", enterprise)
    resp = patch_feature(officer, "enterprises", enterprise, item.headers["ETag"],
                         {"contact_person": "李主任", "contact_phone": "0731-28888888"})
    assert resp.status_code == 200, resp.get_json()
    # A client that sends the whole feature back (QGIS does) changes only what it changed.
    whole = get_feature(officer, "enterprises", enterprise)
    props = {k: v for k, v in whole.get_json()["properties"].items()
             if k not in ("stage_label", "zone_code", "zone_name", "sub_area_code", "sub_area_name")}
    props["contact_phone"] = "0731-28000000"
    echoed = put_feature(officer, "enterprises", enterprise, whole.headers["ETag"], props, whole.get_json()["geometry"])
    assert echoed.status_code == 200, echoed.get_json()
    assert echoed.get_json()["properties"]["contact_phone"] == "0731-28000000"
    moved = patch_feature(officer, "enterprises", enterprise, echoed.headers["ETag"],
                          geometry=_moved(officer, enterprise))
    assert moved.status_code == 403 and moved.get_json()["field"] == "geometry"


def test_creating_and_deleting_enterprises_is_for_admins(app, session, enterprise):
    officer = login(app.test_client(), "relocation_officer")
    body = {"name": "新增企业（测试）", "path": "close"}
    point = {"type": "Point", "coordinates": [113.06, 27.87]}
    created = post_feature(officer, "enterprises", body, point)
    assert created.status_code == 403 and created.get_json()["code"] == "forbidden_create"
    deleted = officer.delete(f"/ogc/collections/enterprises/items/{enterprise}",
                             headers=write_headers(officer, get_feature(officer, "enterprises", enterprise)
                                                   .headers["ETag"]))
    assert deleted.status_code == 403 and deleted.get_json()["code"] == "forbidden_delete"
    assert session.scalar(select(func.count()).select_from(Enterprise).where(Enterprise.name == body["name"])) == 0


def test_planners_move_enterprises_but_touch_nothing_else(app, session, enterprise):
    planner = login(app.test_client(), "planner")
    etag = get_feature(planner, "enterprises", enterprise).headers["ETag"]
    for field, value in (("name", "改名"), ("contact_person", "王")):
        refused = patch_feature(planner, "enterprises", enterprise, etag, {field: value})
        assert refused.status_code == 403 and refused.get_json()["field"] == field
    moved = patch_feature(planner, "enterprises", enterprise, etag, geometry=_moved(planner, enterprise))
    assert moved.status_code == 200, moved.get_json()
    admin = login(app.test_client(), "admin")
    done = patch_feature(admin, "enterprises", enterprise, moved.headers["ETag"],
                         {"planned_dates": {"accepted": "2022-12-31"}, "destination": None})
    assert done.status_code == 200, done.get_json()


@pytest.mark.parametrize("role,writable", [
    ("relocation_officer", {"contact_person", "contact_phone", "remediation_basis", "remediation_months"}),
    ("planner", set()),
    ("admin", {"name", "credit_code", "industry", "path", "destination", "contact_person", "contact_phone",
               "land_area_m2", "employees", "is_sample", "planned_dates", "chimney_count", "remediation_basis",
               "remediation_months"}),
    ("viewer", set()),
])
def test_the_schema_says_read_only_per_role(app, role, writable):
    client = login(app.test_client(), role)
    doc = client.get("/ogc/collections/enterprises").get_json()
    open_fields = {n for n, p in doc["properties"].items() if not p.get("readOnly")}
    assert open_fields == writable
    assert doc["x-rights"]["geometry"] is (role in ("admin", "planner"))
    assert doc["x-rights"]["create"] is (role == "admin") and doc["x-rights"]["delete"] is (role == "admin")
    config = client.get("/").get_data(as_text=True)  # the map's form reads the same table
    assert '"can_edit_geometry": %s' % ("true" if role in ("admin", "planner") else "false") in config


def test_each_transition_is_also_a_version_of_the_enterprise(app, session, enterprise):
    officer = login(app.test_client(), "relocation_officer")
    import json
    etag = get_feature(officer, "enterprises", enterprise).headers["ETag"]
    resp = officer.post(f"/api/enterprises/{enterprise}/transitions",
                        data=json.dumps({"to_stage": "agreement_signed", "date": "2021-03-15"}),
                        content_type="application/json", headers=write_headers(officer, etag))
    assert resp.status_code == 201, resp.get_json()
    versions = officer.get(f"/api/collections/enterprises/items/{enterprise}/versions").get_json()["versions"]
    last = versions[-1]
    transition = session.scalars(select(StageTransition).where(StageTransition.enterprise_id == enterprise)
                                 .order_by(StageTransition.id.desc())).first()
    assert last["action"] == "transition" and last["version"] == transition.enterprise_version
    assert last["properties"]["stage"] == "agreement_signed"
    assert versions[-2]["properties"]["stage"] == "assessment"  # the state before, kept too
    # Restoring the earlier version brings back its attributes, never a stage: stages move by transitions only.
    admin = login(app.test_client(), "admin")
    restored = admin.post(f"/api/collections/enterprises/items/{enterprise}/versions/{versions[-2]['version']}/restore",
                          headers=write_headers(admin, resp.headers["ETag"]))
    assert restored.status_code == 200, restored.get_json()
    assert get_feature(admin, "enterprises", enterprise).get_json()["properties"]["stage"] == "agreement_signed"
