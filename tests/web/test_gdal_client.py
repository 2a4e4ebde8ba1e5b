"""Real clients: GDAL's OGC API – Features driver, as Debian's GDAL 3.6 (ogr2ogr) and pyogrio's GDAL ≥ 3.9 use it.

GDAL runs in separate processes, as an external client would (it holds the
GIL while reading, which would starve an in-process server).  A recording
server in front of the app keeps every request GDAL sent, so the tests can
check that a ``where`` went to the server as a CQL2 ``filter``.
"""
import json
import os
import shutil
import subprocess
import sys
import threading

import pytest
from sqlalchemy import func, select
from werkzeug.serving import make_server

from gis_tracker.db import db
from gis_tracker.models import Enterprise

OGR2OGR = shutil.which("ogr2ogr")
CLIENT = r"""
import json, sys, pyogrio
source = "OAPIF:" + sys.argv[1]
layers = [name for name, _ in pyogrio.list_layers(source)]
where = sys.argv[2] if len(sys.argv) > 2 else None
frame = pyogrio.read_dataframe(source, layer="enterprises", where=where).to_crs(4326)
rows = [{"name": r.name, "stage": r.stage, "stage_label": r.stage_label, "path": r.path,
         "employees": None if r.employees != r.employees else int(r.employees),
         "lon": r.geometry.x, "lat": r.geometry.y} for r in frame.itertuples()]
print(json.dumps({"layers": layers, "rows": rows, "gdal": pyogrio.__gdal_version_string__}))
"""


@pytest.fixture(scope="module")
def recording_server(app):
    """Serve the app on its own port and record the path and query of every request."""
    seen: list[str] = []

    def recording(environ, start_response):
        seen.append(environ.get("PATH_INFO", "") + "?" + environ.get("QUERY_STRING", ""))
        return app(environ, start_response)

    server = make_server("127.0.0.1", 0, recording, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}", seen
    server.shutdown()


def _pyogrio(url: str, env_extra: dict, where: str | None = None) -> subprocess.CompletedProcess:
    env = dict(os.environ, GDAL_HTTP_TIMEOUT="60", **env_extra)
    args = [sys.executable, "-c", CLIENT, url] + ([where] if where else [])
    return subprocess.run(args, capture_output=True, text=True, env=env, timeout=240)


def _rows(result):
    assert result.returncode == 0, result.stderr[-2000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def _expected_enterprises(app):
    with app.app_context():
        return db.session.execute(select(
            Enterprise.name, Enterprise.stage, Enterprise.path, Enterprise.employees,
            func.ST_X(func.ST_Transform(Enterprise.geom, 4326)), func.ST_Y(func.ST_Transform(Enterprise.geom, 4326)))
            .where(Enterprise.deleted_at.is_(None))).all()


@pytest.mark.parametrize("auth", ["bearer", "basic"])
def test_gdal_3_9_plus_reads_enterprises_with_bearer_or_basic(app, live_server, api_token, auth):
    env = ({"GDAL_HTTP_AUTH": "BEARER", "GDAL_HTTP_BEARER": api_token} if auth == "bearer"
           else {"GDAL_HTTP_AUTH": "BASIC", "GDAL_HTTP_USERPWD": f"planner:{api_token}"})
    got = _rows(_pyogrio(f"{live_server}/ogc", env))
    major, minor = (int(p) for p in got["gdal"].split(".")[:2])
    assert (major, minor) >= (3, 9), got["gdal"]
    assert {"zones", "enterprises", "protected_areas", "water_bodies", "projects"} <= set(got["layers"])
    expected = _expected_enterprises(app)
    by_name = {row["name"]: row for row in got["rows"]}
    assert len(got["rows"]) == len(expected) == len(by_name)
    for name, stage, path, employees, lon, lat in expected:
        row = by_name[name]
        assert (row["stage"], row["path"], row["employees"]) == (stage, path, employees)
        assert row["stage_label"]
        assert abs(row["lon"] - lon) < 1e-6 and abs(row["lat"] - lat) < 1e-6


def test_gdal_sends_a_where_to_the_server_as_a_cql2_filter(app, client, headers, recording_server, api_token):
    url, seen = recording_server
    where = "stage = 'accepted' AND employees > 100"
    seen.clear()
    got = _rows(_pyogrio(f"{url}/ogc", {"GDAL_HTTP_AUTH": "BEARER", "GDAL_HTTP_BEARER": api_token}, where))
    filtered = [s for s in seen if "/collections/enterprises/items" in s and "filter=" in s]
    assert filtered, seen  # the filter went to the server, not evaluated by GDAL after downloading everything
    assert "filter-lang=cql" in filtered[0] and "stage" in filtered[0]
    assert not any("/collections/enterprises/items" in s and "filter=" not in s and "limit=20" not in s for s in seen)
    api = client.get("/ogc/collections/enterprises/items", headers=headers,
                     query_string={"filter": where, "limit": 1000}).get_json()
    assert sorted(r["name"] for r in got["rows"]) == sorted(f["properties"]["name"] for f in api["features"])
    assert api["numberMatched"] > 0


def test_gdal_without_token_is_refused(live_server):
    result = _pyogrio(f"{live_server}/ogc", {})
    assert result.returncode != 0 and "401" in result.stderr


@pytest.mark.skipif(OGR2OGR is None, reason="SKIPPED LOUDLY: Debian's gdal-bin (ogr2ogr) is not installed; "
                                             "script/bootstrap --test installs it")
def test_gdal_3_6_ogr2ogr_copies_every_collection_with_gdal_http_headers(client, headers, live_server, api_token,
                                                                          tmp_path):
    version = subprocess.run([OGR2OGR, "--version"], capture_output=True, text=True).stdout
    assert version.startswith("GDAL 3."), version
    target = tmp_path / "copy.gpkg"
    env = dict(os.environ, GDAL_HTTP_HEADERS=f"Authorization: Bearer {api_token}", GDAL_HTTP_TIMEOUT="60")
    result = subprocess.run([OGR2OGR, "-f", "GPKG", str(target), f"OAPIF:{live_server}/ogc"],
                            capture_output=True, text=True, env=env, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    import pyogrio

    copied = {name: pyogrio.read_info(target, layer=name)["features"] for name, _ in pyogrio.list_layers(target)}
    served = client.get("/ogc/collections", headers=headers).get_json()["collections"]
    for coll in served:
        matched = client.get(f"/ogc/collections/{coll['id']}/items?limit=1", headers=headers).get_json()
        assert copied[coll["id"]] == matched["numberMatched"], coll["id"]
    frame = pyogrio.read_dataframe(target, layer="zones")
    api_names = {f["properties"]["name"] for f in client.get("/ogc/collections/zones/items?limit=1000",
                                                               headers=headers).get_json()["features"]}
    assert set(frame["name"]) == api_names and "清水塘片区" in api_names  # Chinese text intact
    refused = subprocess.run([OGR2OGR, "-f", "GPKG", str(tmp_path / "no.gpkg"), f"OAPIF:{live_server}/ogc"],
                             capture_output=True, text=True, env=dict(os.environ), timeout=120)
    assert refused.returncode != 0
