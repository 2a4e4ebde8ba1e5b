"""A real QGIS (Debian's 3.22, PyQGIS headless) reads every collection and the vector tiles with a Basic authcfg.

PyQGIS is not pip-installable, so it runs in Debian's own python3 with its
dist-packages (``tests/support/qgis_client.py``), offscreen, in a fresh
profile; the live server is the one the other web tests use.
"""
import json
import os
import subprocess
from pathlib import Path

import pytest

SYSTEM_PYTHON = "/usr/bin/python3"
SCRIPT = Path(__file__).resolve().parent.parent / "support" / "qgis_client.py"


def _qgis_env(tmp_path: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV"))}
    env.update(QT_QPA_PLATFORM="offscreen", HOME=str(tmp_path), XDG_RUNTIME_DIR=str(tmp_path),
               PYTHONPATH="/usr/lib/python3/dist-packages", PATH="/usr/bin:/bin")
    return env


@pytest.fixture(scope="module")
def pyqgis_available(tmp_path_factory):
    env = _qgis_env(tmp_path_factory.mktemp("qgis-probe"))
    probe = subprocess.run([SYSTEM_PYTHON, "-c", "import qgis.core; print(qgis.core.Qgis.QGIS_VERSION)"],
                           capture_output=True, text=True, env=env, timeout=120) if os.path.exists(SYSTEM_PYTHON) \
        else None
    if probe is None or probe.returncode != 0:
        pytest.skip("SKIPPED LOUDLY: PyQGIS cannot be imported by /usr/bin/python3 — install Debian's qgis and "
                    "python3-qgis (script/bootstrap --test does)\n" + (probe.stderr[-500:] if probe else ""))
    return probe.stdout.strip()


def _run_qgis(tmp_path: Path, live_server: str, username: str, token: str, collections: list[str],
              extent: list[float]) -> dict:
    spec = {"url": live_server, "username": username, "token": token, "profile": str(tmp_path / "profile"),
            "master_password": "tests-master-password", "collections": collections, "extent": extent,
            "png": str(tmp_path / "enterprises-tiles.png")}
    spec_path = tmp_path / "spec.json"
    spec_path.write_text(json.dumps(spec), encoding="utf-8")
    result = subprocess.run([SYSTEM_PYTHON, str(SCRIPT), str(spec_path)], capture_output=True, text=True,
                            env=_qgis_env(tmp_path), timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def _canonical(props: dict) -> str:
    def norm(v):
        if isinstance(v, float) and v.is_integer():
            return int(v)
        if isinstance(v, dict):
            return {k: norm(x) for k, x in sorted(v.items())}
        return v
    return json.dumps({k: norm(v) for k, v in sorted(props.items())}, ensure_ascii=False, sort_keys=True)


@pytest.fixture()
def fractional_project(client, headers):
    """A project whose investment is 0.5 (万元), after the sample's whole numbers QGIS types the field from."""
    from shapely.geometry import mapping

    from gis_tracker.spatial.measure import reproject
    from tests.factories import cell, rect, unique

    x, y = cell(66)
    body = {"type": "Feature", "geometry": mapping(reproject(rect(x + 50, y + 50, x + 300, y + 300), 4547, 4326)),
            "properties": {"name": unique("小数投资"), "project_type": "public", "status": "planned",
                           "investment_wan": 0.5}}
    resp = client.post("/ogc/collections/projects/items", json=body, headers=headers)
    assert resp.status_code == 201, resp.get_json()
    yield body["properties"]["name"]
    client.delete(f"/ogc/collections/projects/items/{resp.get_json()['id']}",
                  headers={**headers, "If-Match": resp.headers["ETag"]})


def test_qgis_reads_every_collection_and_renders_the_vector_tiles(client, headers, live_server, api_token,
                                                                  pyqgis_available, tmp_path, fractional_project):
    collections = [c["id"] for c in client.get("/ogc/collections", headers=headers).get_json()["collections"]]
    box = client.get("/ogc/collections/enterprises", headers=headers).get_json()["extent"]["spatial"]["bbox"][0]
    got = _run_qgis(tmp_path, live_server, "planner", api_token, collections, box)
    assert got["qgis"].startswith("3.") and got["authcfg_stored"]
    for cid in collections:
        layer = got["layers"][cid]
        assert layer["valid"], cid
        api = client.get(f"/ogc/collections/{cid}/items?limit=10000", headers=headers).get_json()["features"]
        assert len(layer["features"]) == len(api), cid
        assert sorted(_canonical(f) for f in layer["features"]) == \
            sorted(_canonical(f["properties"]) for f in api), cid
    mine = [f for f in got["layers"]["projects"]["features"] if f["name"] == fractional_project]
    assert [f["investment_wan"] for f in mine] == [0.5]  # not NULL: QGIS typed the field as a decimal
    names = {f["name"] for f in got["layers"]["zones"]["features"]}
    assert "清水塘片区" in names and "田心片区" in names  # Chinese text intact
    assert got["tiles_valid"] and got["render_errors"] == []
    assert got["painted_pixels"] > 500, "the enterprises' vector tiles rendered blank"
    assert (tmp_path / "enterprises-tiles.png").stat().st_size > 1000


def test_qgis_with_a_wrong_token_gets_nothing(client, headers, live_server, pyqgis_available, tmp_path):
    box = client.get("/ogc/collections/enterprises", headers=headers).get_json()["extent"]["spatial"]["bbox"][0]
    got = _run_qgis(tmp_path, live_server, "planner", "sf_not-a-token", ["enterprises"], box)
    assert not got["layers"]["enterprises"]["valid"] or got["layers"]["enterprises"]["features"] == []
    assert got.get("painted_pixels", 0) == 0
