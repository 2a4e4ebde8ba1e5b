"""A real client: GDAL's OGC API – Features driver (as QGIS uses it) reads our layers with a bearer token.

GDAL runs in a separate process, as an external client would: it holds the
GIL while reading, which would starve the in-process test server.
"""
import json
import os
import subprocess
import sys

from sqlalchemy import func, select

from gis_tracker.db import db
from gis_tracker.models import Enterprise

CLIENT = r"""
import json, sys, pyogrio
source = "OAPIF:" + sys.argv[1]
layers = [name for name, _ in pyogrio.list_layers(source)]
frame = pyogrio.read_dataframe(source, layer="enterprises").to_crs(4326)
rows = [{"name": r.name, "stage": r.stage, "stage_label": r.stage_label, "path": r.path,
         "employees": None if r.employees != r.employees else int(r.employees),
         "lon": r.geometry.x, "lat": r.geometry.y} for r in frame.itertuples()]
print(json.dumps({"layers": layers, "rows": rows}))
"""


def _gdal(url: str, token: str | None) -> subprocess.CompletedProcess:
    env = dict(os.environ, GDAL_HTTP_TIMEOUT="60")
    if token:
        env.update(GDAL_HTTP_AUTH="BEARER", GDAL_HTTP_BEARER=token)
    return subprocess.run([sys.executable, "-c", CLIENT, url], capture_output=True, text=True,
                          env=env, timeout=180)


def test_gdal_lists_collections_and_reads_enterprises(app, live_server, api_token):
    result = _gdal(f"{live_server}/ogc", api_token)
    assert result.returncode == 0, result.stderr[-2000:]
    got = json.loads(result.stdout.strip().splitlines()[-1])
    assert {"zones", "enterprises", "protected_areas", "water_bodies", "projects"} <= set(got["layers"])
    with app.app_context():
        expected = db.session.execute(select(
            Enterprise.name, Enterprise.stage, Enterprise.path, Enterprise.employees,
            func.ST_X(func.ST_Transform(Enterprise.geom, 4326)), func.ST_Y(func.ST_Transform(Enterprise.geom, 4326)))
            .where(Enterprise.deleted_at.is_(None))).all()
    by_name = {row["name"]: row for row in got["rows"]}
    assert len(got["rows"]) == len(expected) == len(by_name)
    for name, stage, path, employees, lon, lat in expected:
        row = by_name[name]
        assert (row["stage"], row["path"], row["employees"]) == (stage, path, employees)
        assert row["stage_label"]
        assert abs(row["lon"] - lon) < 1e-6 and abs(row["lat"] - lat) < 1e-6


def test_gdal_without_token_is_refused(live_server):
    result = _gdal(f"{live_server}/ogc", None)
    assert result.returncode != 0 and "401" in result.stderr
