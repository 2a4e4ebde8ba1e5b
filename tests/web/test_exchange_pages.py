"""Data exchange in the browser: upload, preview with extent map, mapping, background progress; raster overlay."""
from __future__ import annotations

import io

import pytest
from sqlalchemy import text

from gis_tracker.db import db
from tests.factories import sample_frame, shapefile_zip, unique
from tests.support.browser import wait_until
from tests.support.clients import PASSWORD, csrf_token_of, login, sandbox

CSV = "名称,经度,纬度,人数\n清水塘码头,113.1055,27.8655,12\n田心站,113.1602,27.9821,30\n"


@pytest.fixture(scope="module", autouse=True)
def exchange_dirs(app, tmp_path_factory):
    with sandbox(app, tmp_path_factory, load_rasters=True):
        yield


def _csrf(client):
    return csrf_token_of(client)


def test_pages_answer_for_every_role(client):
    login(client, "viewer")
    for url in ("/exchange", "/exchange/rasters", "/indicators"):
        resp = client.get(url)
        assert resp.status_code == 200, url
    assert "上传并预览" not in client.get("/exchange").get_data(as_text=True)  # viewers cannot import


def test_form_upload_shows_a_readable_error_for_a_bad_file(client, tmp_path):
    login(client, "planner")
    resp = client.post("/exchange/upload", data={"csrf_token": _csrf(client),
                                                 "file": (io.BytesIO(b"<?xml version='1.0'?><!DOCTYPE x [<!ENTITY e "
                                                                     b"SYSTEM 'file:///etc/passwd'>]><kml/>"), "x.kml")},
                       content_type="multipart/form-data")
    assert resp.status_code == 422
    page = resp.get_data(as_text=True)
    assert 'id="upload-error"' in page and "DTD" in page


def test_form_flow_without_a_crs_then_with_one(client, app, tmp_path):
    login(client, "planner")
    path = shapefile_zip(sample_frame(), tmp_path, "noprj", drop=("prj",))
    resp = client.post("/exchange/upload", data={"csrf_token": _csrf(client),
                                                 "file": (io.BytesIO(path.read_bytes()), "noprj.zip")},
                       content_type="multipart/form-data")
    assert resp.status_code == 302
    page_url = resp.headers["Location"]
    page = client.get(page_url).get_data(as_text=True)
    assert "文件未声明坐标系" in page and "清水塘示例地块" in page
    name = unique("form").replace("-", "_")
    import_id = int(page_url.rstrip("/").rsplit("/", 1)[1])
    form = {"csrf_token": _csrf(client), "target": "new", "name": name, "title": "表单导入", "field_count": "4"}
    for i, (src, dst) in enumerate([("name", "name"), ("n", "n"), ("v", "v"), ("备注", "remark")]):
        form.update({f"keep_{i}": "1", f"source_{i}": src, f"name_{i}": dst, f"label_{i}": src, f"type_{i}": "string"})
    form["type_1"], form["type_2"] = "integer", "number"
    refused = client.post(f"/exchange/imports/{import_id}/commit", data=form)
    assert refused.status_code == 422 and "坐标系" in refused.get_data(as_text=True)
    client.post(f"/exchange/imports/{import_id}/options", data={"csrf_token": _csrf(client), "crs": "EPSG:4547"})
    done = client.post(f"/exchange/imports/{import_id}/commit", data=form)
    assert done.status_code == 302
    assert "导入完成" in client.get(page_url).get_data(as_text=True)
    with app.app_context():
        labels = db.session.scalar(text("SELECT fields FROM user_layers WHERE name = :n"), {"n": name})
    assert [f["label"] for f in labels] == ["name", "n", "v", "备注"]


@pytest.mark.browser
def test_browser_upload_preview_commit_in_background(browser, live_server, app, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "IMPORT_INLINE_FEATURES", 0)  # run the commit as a background job
    path = tmp_path / "points.csv"
    path.write_text(CSV, encoding="gb18030")
    page = browser.new_context().new_page()
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(live_server + "/login")
    page.fill("input[name=username]", "planner")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(live_server + "/")
    page.goto(live_server + "/exchange")
    page.set_input_files("#upload-form input[type=file]", str(path))
    page.select_option("#upload-form select[name=crs]", "EPSG:4326")
    page.click("#upload-form button[type=submit]")
    page.wait_for_selector("#extent-map[data-ready='1']")
    assert page.locator("#feature-count").inner_text() == "2"
    assert "清水塘码头" in page.locator("#encoding-samples").inner_text()
    assert page.locator("#extent-map path.leaflet-interactive, #extent-map canvas").count() >= 1
    name = unique("web").replace("-", "_")
    page.fill("#new-layer-name", name)
    page.click("#commit-button")
    page.wait_for_selector("#import-result", timeout=30000)
    assert "2" in page.locator("#import-result").inner_text()
    page.goto(live_server + "/exchange")
    row = page.locator("#imports-table tr[data-status='committed']").first
    assert row.count() == 1
    assert errors == []


@pytest.mark.browser
def test_map_raster_overlay_with_opacity_slider(browser, live_server):
    page = browser.new_context().new_page()
    page.goto(live_server + "/login")
    page.fill("input[name=username]", "viewer")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(live_server + "/")
    page.wait_for_selector("body[data-rasters-ready='1']", state="attached", timeout=30000)
    page.select_option("#raster-select", "sample_landcover")
    image = page.locator("#raster-image")
    image.wait_for()
    wait_until(page, lambda: image.evaluate("el => el.complete && el.naturalWidth > 0"), what="the overlay image")
    assert image.evaluate("el => el.naturalWidth") > 100
    assert "森林" in page.locator("#raster-legend").inner_text()
    page.locator("#raster-opacity").fill("25")
    assert float(image.evaluate("el => el.style.opacity")) == pytest.approx(0.25)
