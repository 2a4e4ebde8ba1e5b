"""Export history, the exports API and CLI (the meeting pack's content: tests/integration/test_meeting_pack.py)."""
from __future__ import annotations

import hashlib
import time
from datetime import date

import pytest
from sqlalchemy import func, select

from gis_tracker.db import db
from gis_tracker.models import AuditEntry, Export
from gis_tracker.services.cartography import exports
from tests.support.clients import csrf_token_of, login


@pytest.fixture(autouse=True, scope="module")
def export_dir(app, tmp_path_factory):
    """Keep this module's export files in a temporary directory."""
    old = app.config.get("EXPORT_DIR")
    app.config["EXPORT_DIR"] = str(tmp_path_factory.mktemp("exports"))
    yield app.config["EXPORT_DIR"]
    app.config["EXPORT_DIR"] = old


def test_every_export_is_recorded_with_its_file(session):
    row = exports.produce(session, "snapshot", {"title": "记录测试", "zone": "九郎山片区", "format": "pdf"}, "planner")
    stored = exports.file_of(row).read_bytes()
    assert hashlib.sha256(stored).hexdigest() == row.sha256 and len(stored) == row.size_bytes
    assert row.username == "planner" and row.kind == "snapshot" and row.params["zone"] == "九郎山片区"
    assert row.params["map_date"] == date.today().isoformat()  # stored, so the export can be made again
    assert row.filename.endswith(".pdf") and "记录测试" in row.filename
    audit = session.scalar(select(AuditEntry).where(AuditEntry.object_type == "export",
                                                     AuditEntry.object_id == str(row.id)))
    assert audit is not None and audit.username == "planner" and audit.after["sha256"] == row.sha256
    again = exports.produce(session, "snapshot", row.params, "viewer")
    assert again.sha256 == row.sha256 and again.file_path != row.file_path  # same inputs, same bytes


def test_api_runs_an_export_in_the_background_and_downloads_it(app, client):
    login(client, "viewer")
    csrf = csrf_token_of(client)
    resp = client.post("/api/exports", json={"kind": "snapshot", "zone": "田心片区", "format": "png", "dpi": 96,
                                             "title": "后台导出"}, headers={"X-CSRFToken": csrf})
    assert resp.status_code == 202, resp.json
    job_url = resp.json["job_url"]
    for _ in range(120):
        job = client.get(job_url).json
        if job["status"] in ("done", "failed"):
            break
        time.sleep(0.25)
    assert job["status"] == "done", job
    download = client.get(job["result"]["download_url"])
    assert download.status_code == 200 and download.mimetype == "image/png"
    assert hashlib.sha256(download.data).hexdigest() == job["result"]["sha256"]
    assert "attachment" in download.headers["Content-Disposition"]
    listed = client.get("/api/exports").json["exports"]
    assert listed[0]["id"] == job["result"]["id"] and listed[0]["username"] == "viewer"
    page = client.get("/exports/")
    assert page.status_code == 200 and "后台导出" in page.get_data(as_text=True)


@pytest.mark.parametrize("body,status,code", [
    ({}, 400, "bad_kind"),
    ({"kind": "snapshot", "zone": "没有这个片区"}, 404, "unknown_zone"),
    ({"kind": "snapshot", "paper": "A0"}, 400, "bad_paper"),
    ({"kind": "snapshot", "layers": ["zones", "<script>"]}, 400, "unknown_layer"),
    ({"kind": "meeting_pack", "as_of": "2999-01-01"}, 400, "bad_date"),
])
def test_api_refuses_bad_exports_before_starting(app, client, body, status, code):
    login(client, "planner")
    csrf = csrf_token_of(client)
    with app.app_context():
        before = db.session.scalar(select(func.count()).select_from(Export))
    resp = client.post("/api/exports", json=body, headers={"X-CSRFToken": csrf})
    assert resp.status_code == status and resp.json["code"] == code and resp.json["message"]
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Export)) == before


def test_unknown_export_is_404(client):
    login(client, "viewer")
    resp = client.get("/api/exports/999999/file")
    assert resp.status_code == 404 and resp.json["code"] == "unknown_export"


def test_cli_snapshot_and_clear_errors(app, tmp_path):
    runner = app.test_cli_runner()
    out = tmp_path / "qst.png"
    result = runner.invoke(args=["snapshot", "--out", str(out), "--zone", "清水塘片区", "--layers",
                                 "zones,enterprises", "--title", "清水塘", "--paper", "A4", "--dpi", "72"])
    assert result.exit_code == 0, result.output
    assert out.read_bytes()[:4] == b"\x89PNG" and "export #" in result.output
    html = tmp_path / "qst.html"
    result = runner.invoke(args=["snapshot", "--out", str(html), "--zone", "清水塘片区"])
    assert result.exit_code == 0, result.output
    assert b"<html" in html.read_bytes()[:300].lower()
    for args, words in [
        (["--out", str(tmp_path / "x.png"), "--bbox", "1,2"], "范围"),
        (["--out", str(tmp_path / "x.png"), "--zone", "火星"], "火星"),
        (["--out", str(tmp_path / "x.png"), "--dpi", "9999"], "分辨率"),
        (["--out", str(tmp_path / "x.gif")], "format"),
        (["--out", str(tmp_path / "x.png"), "--format", "pdf"], "does not match"),
        (["--out", str(tmp_path / "no" / "x.png")], "does not exist"),
    ]:
        result = runner.invoke(args=["snapshot", *args])
        assert result.exit_code != 0 and words in result.output, (args, result.output)
        assert "Traceback" not in result.output
    bad_date = runner.invoke(args=["meeting-pack", "--out", str(tmp_path / "p.pdf"), "--as-of", "yesterday"])
    assert bad_date.exit_code != 0 and "YYYY-MM-DD" in bad_date.output


