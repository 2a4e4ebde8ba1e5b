"""POST /api/enterprises/<id>/transitions and GET …/history: status codes, ETags, audit, attachments."""
import io
import json
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from gis_tracker.db import db
from gis_tracker.models import AuditEntry, Enterprise
from tests.factories import borrowed_enterprise
from tests.support.clients import csrf_token_of, login

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _csrf(client):
    return csrf_token_of(client)


def _etag(client, eid):
    resp = client.get(f"/ogc/collections/enterprises/items/{eid}")
    assert resp.status_code == 200
    return resp.headers["ETag"]


def _post(client, eid, body, etag=None, **headers):
    h = {"X-CSRFToken": _csrf(client), **headers}
    if etag:
        h["If-Match"] = etag
    return client.post(f"/api/enterprises/{eid}/transitions", data=json.dumps(body),
                       content_type="application/json", headers=h)


@pytest.fixture()
def officer(client):
    return login(client, "relocation_officer")


@pytest.fixture()
def enterprise(app):
    with borrowed_enterprise(app, "assessment", "close") as eid:
        yield eid


def test_transition_201_bumps_version_updates_stage_and_audits(app, officer, enterprise):
    etag = _etag(officer, enterprise)
    body = {"to_stage": "agreement_signed", "date": "2021-03-15", "note": "签订搬迁补偿协议"}
    resp = _post(officer, enterprise, body, etag)
    assert resp.status_code == 201, resp.get_json()
    new_etag = resp.headers["ETag"]
    assert new_etag != etag and new_etag == resp.get_json()["etag"]
    # The OGC item now shows the new stage, its label and the same new ETag.
    item = officer.get(f"/ogc/collections/enterprises/items/{enterprise}")
    assert item.headers["ETag"] == new_etag
    props = item.get_json()["properties"]
    assert props["stage"] == "agreement_signed" and props["stage_label"] == "协议签订"
    assert props["stage_dates"]["agreement_signed"] == "2021-03-15"
    with app.app_context():
        entry = db.session.scalars(select(AuditEntry).where(
            AuditEntry.object_type == "enterprises", AuditEntry.object_id == str(enterprise),
            AuditEntry.action == "transition").order_by(AuditEntry.id.desc())).first()
        assert entry.username == "relocation_officer"
        assert entry.before["stage"] == "assessment" and entry.after["stage"] == "agreement_signed"
    history = officer.get(f"/api/enterprises/{enterprise}/history").get_json()["transitions"]
    assert [t["to_stage"] for t in history] == ["assessment", "agreement_signed"]  # oldest first
    assert history[-1]["username"] == "relocation_officer" and history[-1]["note"] == "签订搬迁补偿协议"
    assert history[-1]["from_stage"] == "assessment" and history[-1]["direction"] == "forward"


def test_invalid_transition_409_names_the_allowed_next_stages(officer, enterprise):
    resp = _post(officer, enterprise, {"to_stage": "demolished", "date": "2021-03-15"}, _etag(officer, enterprise))
    assert resp.status_code == 409
    body = resp.get_json()
    assert body["code"] == "invalid_transition" and body["allowed"] == ["agreement_signed"]
    assert "协议签订" in body["message"] and "agreement_signed" in body["message"]


def test_stale_etag_412_and_missing_if_match_428(officer, enterprise):
    old = _etag(officer, enterprise)
    assert _post(officer, enterprise, {"to_stage": "agreement_signed", "date": "2021-01-05"}, old).status_code == 201
    stale = _post(officer, enterprise, {"to_stage": "production_halted", "date": "2021-02-01"}, old)
    assert stale.status_code == 412 and stale.get_json()["code"] == "stale_version"
    missing = _post(officer, enterprise, {"to_stage": "production_halted", "date": "2021-02-01"})
    assert missing.status_code == 428 and missing.get_json()["code"] == "if_match_required"


@pytest.mark.parametrize("role", ["planner", "viewer"])
def test_planner_and_viewer_get_403_and_nothing_changes(app, client, enterprise, role):
    login(client, role)
    etag = _etag(client, enterprise)
    resp = _post(client, enterprise, {"to_stage": "agreement_signed", "date": "2021-03-15"}, etag)
    assert resp.status_code == 403
    assert _etag(client, enterprise) == etag
    assert client.get(f"/api/enterprises/{enterprise}/history").status_code == 200  # they may look


def test_planner_token_gets_403(client, enterprise, api_token):
    resp = client.post(f"/api/enterprises/{enterprise}/transitions",
                       data=json.dumps({"to_stage": "agreement_signed", "date": "2021-03-15"}),
                       content_type="application/json",
                       headers={"Authorization": f"Bearer {api_token}", "If-Match": '"enterprises-1-v1"'})
    assert resp.status_code == 403


def test_bad_dates_and_missing_reason_are_422_naming_the_field(officer, enterprise):
    etag = _etag(officer, enterprise)
    tomorrow = (date.today() + timedelta(days=1)).isoformat()
    cases = [({"to_stage": "agreement_signed", "date": tomorrow}, "date"),
             ({"to_stage": "agreement_signed", "date": "2010-01-01"}, "date"),  # before assessment
             ({"to_stage": "agreement_signed", "date": "3.5.2021"}, "date"),
             ({"to_stage": "not_started", "date": "2021-01-01"}, "reason"),  # going back without reason
             ({"date": "2021-01-01"}, "to_stage")]
    for body, field in cases:
        resp = _post(officer, enterprise, body, etag)
        assert resp.status_code == 422, (body, resp.get_json())
        assert resp.get_json()["field"] == field
    assert _etag(officer, enterprise) == etag  # nothing was stored


def test_going_back_with_reason_and_admin_override(app, client, enterprise):
    login(client, "admin")
    etag = _etag(client, enterprise)
    # Skipping without the override flag: 409; with it but no reason: 422; with a reason: 201.
    skip = {"to_stage": "production_halted", "date": "2021-04-01"}
    assert _post(client, enterprise, skip, etag).status_code == 409
    assert _post(client, enterprise, {**skip, "override": True}, etag).status_code == 422
    resp = _post(client, enterprise, {**skip, "override": True, "reason": "区政府专题会议纪要特批"}, etag)
    assert resp.status_code == 201
    assert resp.get_json()["transition"]["direction"] == "skip"
    back = _post(client, enterprise, {"to_stage": "agreement_signed", "date": "2021-05-01",
                                      "reason": "停产核查未通过"}, resp.headers["ETag"])
    assert back.status_code == 201 and back.get_json()["transition"]["direction"] == "back"
    history = client.get(f"/api/enterprises/{enterprise}/history").get_json()["transitions"]
    assert [(t["to_stage"], t["direction"]) for t in history[-2:]] == [("production_halted", "skip"),
                                                                        ("agreement_signed", "back")]
    assert history[-1]["reason"] == "停产核查未通过"


def test_officer_may_not_override(officer, enterprise):
    resp = _post(officer, enterprise, {"to_stage": "production_halted", "date": "2021-04-01", "override": True,
                                       "reason": "想跳过"}, _etag(officer, enterprise))
    assert resp.status_code == 403 and resp.get_json()["code"] == "forbidden_override"


def test_relocate_without_destination_cannot_halt_production(app, officer):
    with borrowed_enterprise(app, "agreement_signed", "relocate", destination=None) as eid:
        body = {"to_stage": "production_halted", "date": "2021-06-01"}
        resp = _post(officer, eid, body, _etag(officer, eid))
        assert resp.status_code == 422 and resp.get_json()["field"] == "destination"
        # The destination is an admin's to set (rights per field), also with a transition.
        refused = _post(officer, eid, {**body, "destination": "攸县工业集中区"}, _etag(officer, eid))
        assert refused.status_code == 403 and refused.get_json()["code"] == "forbidden_field"
        assert refused.get_json()["field"] == "destination"
        admin = login(app.test_client(), "admin")
        ok = _post(admin, eid, {**body, "destination": "攸县工业集中区"}, _etag(admin, eid))
        assert ok.status_code == 201
        with app.app_context():
            assert db.session.get(Enterprise, eid).destination == "攸县工业集中区"


def test_attachments_are_checked_stored_and_downloaded(app, officer, enterprise, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "DATA_DIR", tmp_path)
    etag = _etag(officer, enterprise)
    form = {"to_stage": "agreement_signed", "date": "2021-03-15", "note": "协议扫描件"}
    fake = officer.post(f"/api/enterprises/{enterprise}/transitions",
                        data={**form, "attachments": [(io.BytesIO(b"MZ\x90 not a pdf"), "协议.pdf")]},
                        headers={"X-CSRFToken": _csrf(officer), "If-Match": etag}, content_type="multipart/form-data")
    assert fake.status_code == 422 and fake.get_json()["code"] == "attachment_type"
    resp = officer.post(f"/api/enterprises/{enterprise}/transitions",
                        data={**form, "attachments": [(io.BytesIO(PDF), "../../搬迁协议.pdf")]},
                        headers={"X-CSRFToken": _csrf(officer), "If-Match": etag}, content_type="multipart/form-data")
    assert resp.status_code == 201, resp.get_json()
    files = resp.get_json()["transition"]["attachments"]
    assert [f["filename"] for f in files] == ["搬迁协议.pdf"]  # no path kept from the sender's name
    download = officer.get(f"/api/relocation/attachments/{files[0]['id']}")
    assert download.status_code == 200 and download.data == PDF
    assert download.headers["Content-Disposition"].startswith("attachment")
    assert download.headers["X-Content-Type-Options"] == "nosniff"
    stored = list((tmp_path / "attachments").rglob("*"))
    assert [p.read_bytes() for p in stored if p.is_file()] == [PDF]  # the refused file was never written
    login(officer, "viewer")
    assert officer.get(f"/api/relocation/attachments/{files[0]['id']}").status_code == 200


def test_unknown_enterprise_is_404(officer):
    resp = _post(officer, 99999999, {"to_stage": "assessment", "date": "2021-01-01"}, '"enterprises-99999999-v1"')
    assert resp.status_code == 404
    assert officer.get("/api/enterprises/99999999/history").status_code == 404
    huge = 2**40  # beyond PostgreSQL's integer: still a clean 404, not a database error
    assert officer.get(f"/api/enterprises/{huge}/history").status_code == 404
    assert _post(officer, huge, {"to_stage": "assessment", "date": "2021-01-01"}, '"x"').status_code == 404
    assert officer.get(f"/relocation/enterprises/{huge}").status_code == 404
    assert officer.get(f"/api/relocation/attachments/{2**70}").status_code == 404
