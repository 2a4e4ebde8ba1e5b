"""Hostile and broken files are refused with a clear 4xx, store nothing, leave no files, and the app keeps serving."""
from __future__ import annotations

import io

import pytest
from sqlalchemy import func, select

from gis_tracker.models import DataImport, Raster, UserLayer
from tests.factories import KML_XXE, VRT_XML, bomb_zip, huge_tiff_header, sample_frame, shapefile_zip, write_zip
from tests.support.clients import sandbox, upload
from tests.support.texts import english


@pytest.fixture(scope="module", autouse=True)
def exchange_dirs(app, tmp_path_factory):
    """Isolated scratch and raster directories (so leftovers can be checked)."""
    with sandbox(app, tmp_path_factory):
        yield


def _counts(session):
    session.rollback()
    return tuple(session.scalar(select(func.count()).select_from(m)) for m in (DataImport, UserLayer, Raster))


def _truncated_shapefile(tmp_path):
    path = shapefile_zip(sample_frame(), tmp_path, "whole")
    import zipfile
    with zipfile.ZipFile(path) as archive:
        files = {n: archive.read(n) for n in archive.namelist()}
    files["whole.shp"] = files["whole.shp"][: len(files["whole.shp"]) // 2]
    return write_zip(tmp_path / "truncated.zip", files)


def _build(kind: str, tmp_path):
    if kind == "zip_slip":
        return write_zip(tmp_path / "slip.zip", {"../../evil.shp": b"\x00\x00\x27\x0a" + b"\x00" * 96,
                                                 "layer.dbf": b"x"}), "archive_unsafe_path"
    if kind == "absolute_path":
        return write_zip(tmp_path / "abs.zip", {"/etc/cron.d/evil": b"x"}), "archive_unsafe_path"
    if kind == "zip_bomb":
        return bomb_zip(tmp_path), "archive_bomb"
    if kind == "too_many_members":
        return write_zip(tmp_path / "many.zip", {f"f{i}.txt": b"x" for i in range(1001)}), "archive_too_many_members"
    if kind == "truncated_shp":
        return _truncated_shapefile(tmp_path), "truncated_file"
    if kind == "kml_xxe":
        path = tmp_path / "evil.kml"
        path.write_bytes(KML_XXE)
        return path, "xml_forbidden"
    if kind == "vrt_as_geojson":
        path = tmp_path / "trick.geojson"
        path.write_bytes(VRT_XML)
        return path, "wrong_format"
    raise ValueError(kind)


@pytest.mark.parametrize("kind", ["zip_slip", "absolute_path", "zip_bomb", "too_many_members", "truncated_shp",
                                  "kml_xxe", "vrt_as_geojson"])
def test_bad_vector_file_is_refused_and_nothing_is_kept(client, headers, session, app, tmp_path, kind):
    path, code = _build(kind, tmp_path)
    before = _counts(session)
    resp = upload(client, headers, path)
    assert 400 <= resp.status_code < 500
    body = resp.get_json()
    assert body["code"] == code, body
    assert english(body["message"]) and "Traceback" not in body["message"]
    assert _counts(session) == before
    assert list(app.config["IMPORT_DIR"].iterdir()) == []
    assert not (tmp_path.parent / "evil.shp").exists()
    assert client.get("/api/imports", headers=headers).status_code == 200


def _raster_upload(client, headers, path, **form):
    data = {"name": form.get("name", "bad_raster"), "title": "坏栅格", "kind": form.get("kind", "dem")}
    data["file"] = (io.BytesIO(path.read_bytes()), path.name)
    return client.post("/api/rasters", data=data, headers=headers, content_type="multipart/form-data")


@pytest.mark.parametrize("kind,code", [("vrt", "not_geotiff"), ("huge", "raster_too_large")])
def test_bad_raster_is_refused_and_nothing_is_kept(client, headers, session, app, tmp_path, kind, code):
    if kind == "vrt":
        path = tmp_path / "dem.tif"
        path.write_bytes(VRT_XML)
    else:
        path = huge_tiff_header(tmp_path / "huge.tif")
    before = _counts(session)
    resp = _raster_upload(client, headers, path)
    assert resp.status_code == 422
    assert resp.get_json()["code"] == code
    assert _counts(session) == before
    assert list(app.config["RASTER_DIR"].iterdir()) == []
    assert list(app.config["IMPORT_DIR"].iterdir()) == []
    assert client.get("/healthz").status_code == 200


def test_upload_over_the_size_limit_answers_413_json(client, headers, app, monkeypatch):
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 2048)
    resp = client.post("/api/imports", data={"file": (io.BytesIO(b"x" * 10_000), "big.csv")}, headers=headers,
                       content_type="multipart/form-data")
    assert resp.status_code == 413
    assert resp.get_json()["code"] == "payload_too_large"


def test_unknown_extension_is_refused_with_the_accepted_list(client, headers):
    resp = client.post("/api/imports", data={"file": (io.BytesIO(b"MZ\x90\x00"), "virus.exe")}, headers=headers,
                       content_type="multipart/form-data")
    assert resp.status_code == 400
    assert ".gpkg" in resp.get_json()["accepted"]


def test_parser_time_limit_kills_a_slow_parse(client, headers, session, app, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "PARSE_TIMEOUT_S", 0.01)
    path = tmp_path / "slow.csv"
    path.write_text("name,lon,lat\na,113.12,27.92\n", encoding="utf-8")
    before = _counts(session)
    resp = upload(client, headers, path)
    assert resp.status_code == 422 and resp.get_json()["code"] == "parse_timeout"
    assert _counts(session) == before
    assert list(app.config["IMPORT_DIR"].iterdir()) == []


def test_parser_memory_limit_stops_a_parse_cleanly(client, headers, session, app, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "PARSE_MEMORY_MB", 48)  # too little even to load GDAL
    path = tmp_path / "small.csv"
    path.write_text("name,lon,lat\na,113.12,27.92\n", encoding="utf-8")
    before = _counts(session)
    resp = upload(client, headers, path, crs="EPSG:4326")
    assert resp.status_code == 422
    assert resp.get_json()["code"] in ("parse_memory", "parse_crashed", "unreadable_file")
    assert _counts(session) == before
    assert list(app.config["IMPORT_DIR"].iterdir()) == []
    monkeypatch.setitem(app.config, "PARSE_MEMORY_MB", 1536)
    assert upload(client, headers, path, crs="EPSG:4326").status_code == 201  # and the next upload works
