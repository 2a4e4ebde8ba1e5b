"""Vector imports and exports: round trips for every format, areas, encodings, CRS rules, GCJ-02."""
from __future__ import annotations

import io

import pytest
from shapely.geometry import Point
from sqlalchemy import func, select, text

from gis_tracker.models import AuditEntry, DataImport
from gis_tracker.spatial import crs as crsmod
from tests.factories import layer_rows, sample_frame, shapefile_zip, unique
from tests.support.clients import commit, csrf_token_of, sandbox, upload
from tests.support.texts import english

FORMATS = ("gpkg", "shp", "geojson", "kml", "csv", "xlsx")
SUFFIX = {"gpkg": ".gpkg", "shp": ".zip", "geojson": ".geojson", "kml": ".kml", "csv": ".csv", "xlsx": ".xlsx"}


@pytest.fixture(scope="module", autouse=True)
def exchange_dirs(app, tmp_path_factory):
    """Keep import scratch files of these tests out of var/; retire the layers they create."""
    with sandbox(app, tmp_path_factory):
        yield


def _import_new(client, headers, path, name, **options):
    resp = upload(client, headers, path, **options)
    assert resp.status_code == 201, resp.get_json()
    record = resp.get_json()
    done = commit(client, headers, record["id"], {"target": "new", "name": name, "title": name})
    assert done.status_code == 200, done.get_json()
    assert done.get_json()["job"]["status"] == "done"
    return record


def _assert_same_layers(session, first, second):
    a, b = layer_rows(session, first), layer_rows(session, second)
    assert len(a) == len(b) == 3
    for (props_a, geom_a), (props_b, geom_b) in zip(a, b):
        assert props_a == props_b
        assert geom_a.hausdorff_distance(geom_b) < 0.01  # metres, EPSG:4547


@pytest.mark.parametrize("fmt", FORMATS)
def test_round_trip_keeps_geometries_and_chinese_attributes(client, headers, session, tmp_path, fmt):
    source = tmp_path / "source.geojson"
    sample_frame("EPSG:4326").to_file(source, driver="GeoJSON", engine="pyogrio")
    first, second = unique("rt_a").replace("-", "_"), unique("rt_b").replace("-", "_")
    record = _import_new(client, headers, source, first)
    assert record["preview"]["feature_count"] == 3
    assert "清水塘示例地块" in record["preview"]["chinese_samples"]

    crs = "EPSG:4490" if fmt in ("gpkg", "shp") else "EPSG:4326"
    exported = client.get(f"/api/exports/{first}?format={fmt}&crs={crs}", headers=headers)
    assert exported.status_code == 200, exported.get_data(as_text=True)[:300]
    assert exported.headers["X-Feature-Count"] == "3"
    out = tmp_path / f"exported{SUFFIX[fmt]}"
    out.write_bytes(exported.data)
    options = {"crs": "EPSG:4326"} if fmt in ("csv", "xlsx") else {}
    _import_new(client, headers, out, second, **options)
    _assert_same_layers(session, first, second)
    props = layer_rows(session, second)[1][0]
    assert props == {"name": "田心·轨道交通园", "n": 22, "v": None, "remark": "第二条（含括号）"}


def test_shapefile_export_is_utf8_with_cpg_and_prj(client, headers, tmp_path):
    source = tmp_path / "s.geojson"
    sample_frame("EPSG:4326").to_file(source, driver="GeoJSON", engine="pyogrio")
    name = unique("shp").replace("-", "_")
    _import_new(client, headers, source, name)
    resp = client.get(f"/ogc/collections/{name}/items?f=shp&crs=EPSG:4547", headers=headers)
    assert resp.status_code == 200
    import zipfile
    archive = zipfile.ZipFile(io.BytesIO(resp.data))
    names = {n.rsplit(".", 1)[1] for n in archive.namelist()}
    assert {"shp", "shx", "dbf", "prj", "cpg"} <= names
    assert archive.read(f"{name}.cpg").decode().strip().upper() in ("UTF-8", "UTF8")
    assert "3-degree" in archive.read(f"{name}.prj").decode() or "114" in archive.read(f"{name}.prj").decode()


def test_ogc_items_export_honours_filters(client, headers, tmp_path):
    resp = client.get("/ogc/collections/projects/items?f=csv&project_type=industrial", headers=headers)
    assert resp.status_code == 200
    lines = resp.data.decode("utf-8-sig").strip().splitlines()
    rows = [line for line in lines[1:] if line]
    everything = client.get("/ogc/collections/projects/items?f=csv", headers=headers).data.decode("utf-8-sig")
    assert 0 < len(rows) < len(everything.strip().splitlines()) - 1
    assert lines[0].split(",")[-1] == "WKT"


def test_one_square_kilometre_in_4547_is_1500_mu(client, headers, session, tmp_path):
    import geopandas as gpd
    from shapely.geometry import box

    from tests.factories import X0, Y0
    frame = gpd.GeoDataFrame({"name": ["一平方公里"]}, geometry=[box(X0, Y0, X0 + 1000, Y0 + 1000)], crs="EPSG:4547")
    path = shapefile_zip(frame, tmp_path, "square")
    name = unique("sq").replace("-", "_")
    record = _import_new(client, headers, path, name)
    assert record["preview"]["area_mu"] == pytest.approx(1500, rel=1e-3)
    area = session.scalar(text("SELECT sum(ST_Area(f.geom)) FROM layer_features f JOIN user_layers l "
                               "ON l.id = f.layer_id WHERE l.name = :n"), {"n": name})
    assert area / (10000 / 15) == pytest.approx(1500, rel=1e-3)


def test_gbk_dbf_without_cpg_is_detected_and_stored_without_mojibake(client, headers, session, tmp_path):
    path = shapefile_zip(sample_frame(), tmp_path, "gbk", encoding="GBK", drop=("cpg",), clear_ldid=True)
    resp = upload(client, headers, path)
    assert resp.status_code == 201, resp.get_json()
    preview = resp.get_json()["preview"]
    assert preview["encoding"]["encoding"] == "gb18030"
    assert preview["encoding"]["source"] == "detected"
    assert "清水塘示例地块" in preview["encoding"]["samples"]
    assert "备注" in [f["name"] for f in preview["fields"]]
    name = unique("gbk").replace("-", "_")
    assert commit(client, headers, resp.get_json()["id"], {"target": "new", "name": name}).status_code == 200
    assert [p["name"] for p, _ in layer_rows(session, name)] == ["清水塘示例地块", "田心·轨道交通园", "九郎山森林公园"]


def test_wrong_encoding_choice_shows_mojibake_and_refuses_commit(client, headers, tmp_path):
    path = shapefile_zip(sample_frame(), tmp_path, "gbk2", encoding="GBK", drop=("cpg",), clear_ldid=True)
    record = upload(client, headers, path).get_json()
    again = client.post(f"/api/imports/{record['id']}/options", json={"encoding": "latin-1"}, headers=headers)
    assert again.status_code == 200
    assert {p["code"] for p in again.get_json()["preview"]["problems"]} == {"mojibake"}
    refused = commit(client, headers, record["id"], {"target": "new", "name": unique("moji").replace("-", "_")})
    assert refused.status_code == 422
    assert refused.get_json()["code"] == "invalid_features"


def test_shapefile_without_prj_is_refused_until_a_crs_is_given(client, headers, session, tmp_path):
    path = shapefile_zip(sample_frame(), tmp_path, "noprj", drop=("prj",))
    resp = upload(client, headers, path)
    assert resp.status_code == 201
    record = resp.get_json()
    assert record["preview"]["needs_crs"] is True
    assert "EPSG:4547" in record["preview"]["crs_candidates"]
    name = unique("noprj").replace("-", "_")
    refused = commit(client, headers, record["id"], {"target": "new", "name": name})
    assert refused.status_code == 422 and refused.get_json()["code"] == "crs_required"
    assert layer_rows(session, name) == []
    fixed = client.post(f"/api/imports/{record['id']}/options", json={"crs": "EPSG:4547"}, headers=headers)
    assert fixed.get_json()["preview"]["needs_crs"] is False
    assert commit(client, headers, record["id"], {"target": "new", "name": name}).status_code == 200
    assert len(layer_rows(session, name)) == 3


def test_gcj02_points_land_within_two_metres_of_the_truth(client, headers, session, tmp_path):
    truth = [(113.118, 27.8748), (113.1502, 27.9511), (113.0805, 27.9105), (113.2103, 28.0012)]
    glng, glat = crsmod.wgs84_to_gcj02([p[0] for p in truth], [p[1] for p in truth])
    csv_text = "名称,经度,纬度\n" + "\n".join(f"点{i},{float(x)!r},{float(y)!r}" for i, (x, y) in enumerate(zip(glng, glat)))
    path = tmp_path / "gaode.csv"
    path.write_text(csv_text, encoding="utf-8")
    resp = upload(client, headers, path, crs="GCJ02")
    assert resp.status_code == 201, resp.get_json()
    name = unique("gcj").replace("-", "_")
    done = commit(client, headers, resp.get_json()["id"], {"target": "new", "name": name})
    assert done.status_code == 200, done.get_json()
    stored = [g for _, g in layer_rows(session, name)]
    expected = [crsmod.transform(Point(p), "EPSG:4326", "EPSG:4547") for p in truth]
    raw = [crsmod.transform(Point(x, y), "EPSG:4326", "EPSG:4547") for x, y in zip(glng, glat)]
    for got, want, offset in zip(stored, expected, raw):
        assert got.distance(want) < 2.0
        assert offset.distance(want) > 300  # the GCJ-02 offset really was removed


def test_import_into_projects_maps_fields_and_records_audit(client, headers, session, tmp_path):
    import geopandas as gpd
    from shapely.geometry import box

    from tests.factories import X0, Y0
    title = unique("导入项目")
    frame = gpd.GeoDataFrame({"项目名称": [title], "类型": ["industrial"], "状态": ["planned"]},
                             geometry=[box(X0 + 3000, Y0 + 3000, X0 + 3200, Y0 + 3100)], crs="EPSG:4547")
    path = tmp_path / "projects.gpkg"
    frame.to_file(path, driver="GPKG", engine="pyogrio")
    record = upload(client, headers, path).get_json()
    body = {"target": "projects", "mapping": {"项目名称": "name", "类型": "project_type", "状态": "status"}}
    resp = commit(client, headers, record["id"], body)
    assert resp.status_code == 200, resp.get_json()
    found = client.get(f"/ogc/collections/projects/items?name={title}", headers=headers).get_json()
    assert found["numberMatched"] == 1
    entry = session.scalar(select(AuditEntry).where(AuditEntry.action == "import", AuditEntry.object_type == "projects",
                                                    AuditEntry.object_id == str(record["id"])))
    assert entry is not None and entry.after["count"] == 1 and entry.username == "planner"


def test_a_bad_feature_imports_nothing(client, headers, session, tmp_path):
    path = tmp_path / "mixed.csv"
    path.write_text("name,WKT\n好的,POINT(113.12 27.92)\n坏的,POINT(113.12 nonsense)\n", encoding="utf-8")
    record = upload(client, headers, path, crs="EPSG:4326").get_json()
    assert record["preview"]["problem_count"] == 1
    name = unique("bad").replace("-", "_")
    resp = commit(client, headers, record["id"], {"target": "new", "name": name})
    assert resp.status_code == 422
    assert resp.get_json()["problems"][0]["code"] == "bad_wkt"
    assert layer_rows(session, name) == []
    assert session.scalar(select(func.count()).select_from(DataImport).where(DataImport.id == record["id"],
                                                                             DataImport.status == "previewed")) == 1


def test_viewer_may_not_import(client, tmp_path):
    from tests.support.clients import login
    login(client, "viewer")
    path = tmp_path / "p.csv"
    path.write_text("name,lon,lat\na,113.12,27.92\n", encoding="utf-8")
    token = csrf_token_of(client)
    with open(path, "rb") as fh:
        resp = client.post("/api/imports", data={"file": (fh, "p.csv")}, headers={"X-CSRFToken": token},
                           content_type="multipart/form-data")
    assert resp.status_code == 403


def test_cli_import_refuses_to_guess_then_imports_and_exports(app, session, tmp_path):
    runner = app.test_cli_runner()
    path = shapefile_zip(sample_frame(), tmp_path, "cli", drop=("prj",))
    name = unique("cli").replace("-", "_")
    refused = runner.invoke(args=["layers", "import", str(path), "--layer", name])
    assert refused.exit_code != 0
    assert "--crs" in refused.output
    assert layer_rows(session, name) == []
    done = runner.invoke(args=["layers", "import", str(path), "--layer", name, "--crs", "EPSG:4547"])
    assert done.exit_code == 0, done.output
    assert "imported 3 features" in done.output
    session.rollback()
    assert len(layer_rows(session, name)) == 3
    out = tmp_path / "out.gpkg"
    exported = runner.invoke(args=["layers", "export", name, "--format", "gpkg", "--out", str(out),
                                   "--crs", "EPSG:4490", "--where", "n=22"])
    assert exported.exit_code == 0, exported.output
    import pyogrio
    frame = pyogrio.read_dataframe(out)
    assert list(frame["name"]) == ["田心·轨道交通园"] and frame.crs.to_epsg() == 4490
    missing = runner.invoke(args=["layers", "export", "no_such_layer", "--format", "csv", "--out", str(out)])
    assert missing.exit_code != 0 and "不存在" in missing.output


def test_previews_left_open_expire_and_their_files_go(app, client, headers, session, tmp_path):
    """An upload nobody commits or cancels is closed after IMPORT_PREVIEW_HOURS; a fresh one stays."""
    from gis_tracker import storage

    source = tmp_path / "left.geojson"
    sample_frame("EPSG:4326").to_file(source, driver="GeoJSON", engine="pyogrio")
    old = upload(client, headers, source).get_json()
    session.execute(text("UPDATE data_imports SET updated_at = now() - interval '100 hours' WHERE id = :id"),
                    {"id": old["id"]})
    session.commit()
    with app.app_context():
        token = session.get(DataImport, old["id"]).token
        assert (storage.directory("imports") / token).exists()
    fresh = upload(client, headers, source).get_json()  # an upload expires the stale previews

    session.expire_all()
    assert session.get(DataImport, old["id"]).status == "expired"
    assert session.get(DataImport, fresh["id"]).status == "previewed"
    with app.app_context():
        assert not (storage.directory("imports") / token).exists()
    late = commit(client, headers, old["id"], {"target": "new", "name": unique("late").replace("-", "_"),
                                               "title": "迟到"})
    assert late.status_code == 409 and late.get_json()["code"] == "import_closed"


def test_tiles_are_fresh_when_an_import_commits(app, client, headers, tmp_path, monkeypatch):
    """Cached tiles of the layer are dropped in the import's own transaction, not by a later hook."""
    import math

    import mapbox_vector_tile

    from gis_tracker.services.features import write_events

    source = tmp_path / "tiles.geojson"
    sample_frame("EPSG:4326").to_file(source, driver="GeoJSON", engine="pyogrio")
    name = unique("tiles").replace("-", "_")
    _import_new(client, headers, source, name)
    first = client.get(f"/ogc/collections/{name}/items?limit=1", headers=headers).get_json()["features"][0]
    from shapely.geometry import shape

    point = shape(first["geometry"]).representative_point()
    lon, lat = point.x, point.y
    n = 2 ** 14
    x, y = int((lon + 180) / 360 * n), int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)

    def count():
        tile = client.get(f"/tiles/{name}/14/{x}/{y}.mvt", headers=headers)
        assert tile.status_code == 200
        return len(mapbox_vector_tile.decode(tile.data).get(name, {}).get("features", []))

    cached = count()  # rendered and cached now
    assert cached >= 1
    monkeypatch.setattr(write_events, "_AFTER_BULK", [])  # no after-commit hook may be what refreshes it
    again = upload(client, headers, source).get_json()
    done = commit(client, headers, again["id"], {"target": name})
    assert done.status_code == 200 and done.get_json()["job"]["status"] == "done", done.get_json()
    assert count() == 2 * cached  # the same features again, imported a second time


def test_an_import_whose_job_died_is_reopened_not_left_committing(app, client, headers, session, tmp_path):
    """A restart ends background jobs mid-way; as soon as the worker's lock is free both say so."""
    source = tmp_path / "died.geojson"
    sample_frame("EPSG:4326").to_file(source, driver="GeoJSON", engine="pyogrio")
    record = upload(client, headers, source).get_json()
    job_id = session.scalar(text(
        "INSERT INTO jobs (kind, status, progress, params, username, heartbeat_at) "
        "VALUES ('import', 'running', 45, '{}', 'planner', now() - interval '2 hours') RETURNING id"))
    session.execute(text("UPDATE data_imports SET status = 'committing', job_id = :j WHERE id = :id"),
                    {"j": job_id, "id": record["id"]})
    from gis_tracker.services.platform import jobs

    worker = app.extensions["db_engine"].connect().execution_options(isolation_level="AUTOCOMMIT")
    try:
        # Silent for two hours but its worker still holds the job's lock: slow, not dead.
        alive = session.scalar(text(
            "INSERT INTO jobs (kind, status, progress, params, username, heartbeat_at) "
            "VALUES ('import', 'running', 10, '{}', 'planner', now() - interval '2 hours') RETURNING id"))
        worker.execute(text("SELECT pg_advisory_lock(:s, :id)"), {"s": jobs.JOB_LOCK_SPACE, "id": alive})
        session.commit()

        reopened = client.get(f"/api/imports/{record['id']}", headers=headers).get_json()
        assert reopened["status"] == "previewed" and reopened["error_code"] == "interrupted"
        job = client.get(f"/api/jobs/{job_id}", headers=headers).get_json()
        assert job["status"] == "failed" and job["error_code"] == "interrupted" and english(job["message"])
        assert client.get(f"/api/jobs/{alive}", headers=headers).get_json()["status"] == "running"  # just slow
    finally:
        worker.execute(text("SELECT pg_advisory_unlock(:s, :id)"), {"s": jobs.JOB_LOCK_SPACE, "id": alive})
        worker.close()
    assert client.get(f"/api/jobs/{alive}", headers=headers).get_json()["status"] == "failed"  # now gone
