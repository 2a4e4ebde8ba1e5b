"""Stored rasters: sample DEM and land cover as COGs, overlay image, zone clip, zonal indicators, population."""
from __future__ import annotations

import io

import numpy as np
import pytest
import rasterio
from rasterio.io import MemoryFile
from sqlalchemy import select

from gis_tracker.models import AuditEntry, Raster
from tests.support.clients import csrf_token_of, sandbox


@pytest.fixture(scope="module", autouse=True)
def sample_rasters(app, tmp_path_factory):
    """Load the synthetic sample rasters into a private raster directory (removed afterwards)."""
    with sandbox(app, tmp_path_factory, load_rasters=True):
        yield


def test_samples_are_stored_as_cogs_with_metadata(client, headers, app):
    listed = {r["name"]: r for r in client.get("/api/rasters", headers=headers).get_json()["rasters"]}
    assert {"sample_dem", "sample_landcover"} <= set(listed)
    dem = listed["sample_dem"]
    assert dem["crs"] == "EPSG:4547" and dem["kind"] == "dem"
    west, south, east, north = dem["bounds_4326"]
    assert 113.0 < west < 113.05 and 28.0 < north < 28.06
    assert [e["label"] for e in listed["sample_landcover"]["legend"]][:4] == ["森林", "绿地（公园、防护绿地）", "水体",
                                                                               "建设用地"]
    for path in app.config["RASTER_DIR"].glob("*.tif"):
        with rasterio.open(path) as ds:
            assert ds.tags(ns="IMAGE_STRUCTURE").get("LAYOUT") == "COG"


def test_overlay_is_a_transparent_png_in_web_mercator(client, headers):
    resp = client.get("/api/rasters/sample_landcover/overlay.png", headers=headers)
    assert resp.status_code == 200 and resp.mimetype == "image/png"
    with MemoryFile(resp.data) as mem, mem.open() as png:
        alpha = png.read(4)
    assert (alpha == 0).any() and (alpha == 255).any()  # outside the district is see-through


def test_clip_to_a_zone_returns_a_geotiff_of_that_zone(client, headers):
    whole = client.get("/api/rasters/sample_dem", headers=headers).get_json()
    resp = client.get("/api/rasters/sample_dem/clip?zone=JLS", headers=headers)
    assert resp.status_code == 200 and resp.mimetype == "image/tiff"
    with MemoryFile(resp.data) as mem, mem.open() as ds:
        assert ds.width < whole["width"] and ds.height <= whole["height"]
        data = ds.read(1, masked=True)
        assert data.count() > 100 and data.mask.any()
    assert client.get("/api/rasters/sample_dem/clip?zone=NOPE", headers=headers).status_code == 404


def test_indicators_per_zone_compare_with_plan_targets(client, headers):
    data = client.get("/api/indicators", headers=headers).get_json()
    assert data["landcover_raster"] == "sample_landcover" and data["dem_raster"] == "sample_dem"
    zones = {z["code"]: z for z in data["zones"]}
    jls, qst = zones["JLS"], zones["QST"]
    total = sum(jls["shares"][k] for k in ("forest_share", "green_share", "water_share", "built_share"))
    assert 95 <= total <= 100.01
    assert jls["shares"]["forest_cover"] > qst["shares"]["forest_cover"]  # the wooded hills of 九郎山
    assert jls["dem"]["mean_elevation"] > qst["dem"]["mean_elevation"]
    assert jls["dem"]["mean_slope"] > 0
    forest = next(t for t in jls["targets"] if t["key"] == "forest_cover")
    assert forest["target"] == 55.0 and forest["met"] is None and not forest["judged"]  # a zone is context
    assert {z["level"] for z in data["zones"]} == {"zone", "sub_area"}
    # 森林覆盖率 ≥ 55 % is the district's target: judged on the whole district, which is more than any zone.
    district = data["district"]
    whole = next(t for t in district["targets"] if t["key"] == "forest_cover")
    assert whole["judged"] and whole["met"] == (whole["value"] >= 55.0)
    top = [z for z in data["zones"] if z["level"] == "zone"]
    area = sum(z["area_m2"] for z in top)
    weighted = sum(z["shares"]["forest_cover"] * z["area_m2"] for z in top) / area
    assert whole["value"] == pytest.approx(weighted, abs=2.0)  # the zones tile the district (approximately)
    central = data["central_city"]
    assert [t["key"] for t in central["targets"]] == ["central_city_green_cover"] and central["targets"][0]["target"] == 50
    assert "建设用地与城市绿地" in data["definitions"]["built_up"]


def test_population_gives_green_space_per_person(client, headers, session):
    resp = client.put("/api/zones/TX/population", json={"population": 120000, "year": 2025}, headers=headers)
    assert resp.status_code == 200, resp.get_json()
    tx = next(z for z in client.get("/api/indicators", headers=headers).get_json()["zones"] if z["code"] == "TX")
    per_capita = next(t for t in tx["targets"] if t["key"] == "green_per_capita")
    assert per_capita["value"] == pytest.approx(tx["landcover_m2"]["green"] / 120000, abs=0.01)
    entry = session.scalar(select(AuditEntry).where(AuditEntry.action == "set_population",
                                                    AuditEntry.object_id == "TX").order_by(AuditEntry.id.desc()))
    assert entry.after == {"population": 120000, "year": 2025} and entry.username == "planner"
    bad = client.put("/api/zones/TX/population", json={"population": "很多"}, headers=headers)
    assert bad.status_code == 400 and bad.get_json()["code"] == "bad_population"


def test_upload_a_dem_with_a_named_crs(client, headers, session, tmp_path):
    path = tmp_path / "small.tif"
    transform = rasterio.transform.from_origin(413000, 3090000, 100, 100)
    with rasterio.open(path, "w", driver="GTiff", width=20, height=20, count=1, dtype="float32",
                       transform=transform) as ds:  # no CRS in the file
        ds.write(np.arange(400, dtype="float32").reshape(20, 20) + 40, 1)
    data = {"name": "small_dem", "title": "小范围高程", "kind": "dem", "file": (io.BytesIO(path.read_bytes()), "s.tif")}
    refused = client.post("/api/rasters", data=dict(data), headers=headers, content_type="multipart/form-data")
    assert refused.status_code == 422 and refused.get_json()["code"] == "crs_required"
    data["file"] = (io.BytesIO(path.read_bytes()), "s.tif")
    data["crs"] = "EPSG:4547"
    resp = client.post("/api/rasters", data=data, headers=headers, content_type="multipart/form-data")
    assert resp.status_code == 201, resp.get_json()
    assert resp.get_json()["stats"] == {"min": 40.0, "max": 439.0}
    assert session.scalar(select(Raster.crs).where(Raster.name == "small_dem")) == "EPSG:4547"


def test_viewer_may_not_upload_rasters(client, tmp_path):
    from tests.support.clients import login
    login(client, "viewer")
    token = csrf_token_of(client)
    resp = client.post("/api/rasters", data={"name": "x_y", "kind": "dem", "file": (io.BytesIO(b"II*\x00"), "a.tif")},
                       headers={"X-CSRFToken": token}, content_type="multipart/form-data")
    assert resp.status_code == 403


def test_a_raster_file_gone_from_disk_is_reported_not_a_server_error(client, headers, app):
    raster = client.get("/api/rasters/small_dem", headers=headers).get_json()
    assert raster["name"] == "small_dem"
    for path in app.config["RASTER_DIR"].glob("small_dem-*"):
        path.unlink()
    resp = client.get("/api/rasters/small_dem/overlay.png", headers=headers)
    assert resp.status_code == 404 and resp.get_json()["code"] == "raster_file_missing"
    data = client.get("/api/indicators", headers=headers)
    assert data.status_code == 200 and data.get_json()["missing_files"] == ["small_dem"]
