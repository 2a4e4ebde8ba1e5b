"""The OpenAPI document is true: every route, its methods, parameters, media types and shapes; 405 lists Allow."""
import re

import jsonschema_rs
import pytest

from gis_tracker.api import openapi_spec
from gis_tracker.exporters.geopackage import GeoPackageExporter

PREFIXES = ("/ogc", "/api/", "/tiles/")


def _doc(client, headers):
    resp = client.get("/ogc/openapi", headers=headers)
    assert resp.status_code == 200 and resp.mimetype == "application/vnd.oai.openapi+json"
    return resp.get_json()


def _full_paths(doc) -> dict[str, dict]:
    """Return the document's paths as the server serves them (path-level servers prefixed)."""
    out = {}
    for key, item in doc["paths"].items():
        prefix = (item.get("servers") or [{"url": ""}])[0]["url"]
        out[(prefix + key).rstrip("/") or "/"] = item
    return out


def _as_template(rule: str) -> str:
    return re.sub(r"<(?:[a-z]+(?:\([^)]*\))?:)?([a-zA-Z_]+)>", r"{\1}", rule).rstrip("/")


def test_every_route_and_method_is_described_and_nothing_else(app, client, headers):
    doc = _doc(client, headers)
    paths = _full_paths(doc)
    templated = {re.sub(r"\{[^}]+\}", "{}", p): item for p, item in paths.items()}
    missing, wrong = [], []
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith(PREFIXES):
            continue
        key = re.sub(r"\{[^}]+\}", "{}", _as_template(rule.rule))
        item = templated.get(key)
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            if item is None or method.lower() not in item:
                missing.append(f"{method} {rule.rule} ({rule.endpoint})")
    assert missing == []
    routed = {(r.endpoint, m) for r in app.url_map.iter_rules() if r.rule.startswith(PREFIXES)
              for m in r.methods - {"HEAD", "OPTIONS"}}
    with app.test_request_context():
        described = openapi_spec.described_operations()
    assert described - routed == set(), "described but not routed"
    for path, item in paths.items():
        for method, op in item.items():
            if method == "servers":
                continue
            if not op.get("responses"):
                wrong.append(f"{method} {path}: no responses")
    assert wrong == []


def test_the_document_is_valid_openapi_with_valid_schemas(client, headers):
    doc = _doc(client, headers)
    assert doc["openapi"] == "3.0.3"
    ids = [op["operationId"] for item in doc["paths"].values() for m, op in item.items() if m != "servers"]
    assert len(ids) == len(set(ids))
    for item in doc["paths"].values():
        for method, op in item.items():
            if method == "servers":
                continue
            for status, response in op["responses"].items():
                for media in response.get("content", {}).values():
                    schema = {k: v for k, v in media["schema"].items() if k != "nullable"}
                    assert jsonschema_rs.meta.is_valid({**schema, "components": doc["components"]}), (method, status)


def test_arrays_are_declared_as_arrays_and_files_with_their_media_types(client, headers):
    paths = _full_paths(_doc(client, headers))

    def ok(path, method="get", status="200"):
        return paths[path][method]["responses"][status]["content"]

    for path in ("/api/flags", "/api/flags/{flag_id}/history", "/api/encroachment-rules",
                 "/api/projects/{project_id}/flags", "/api/projects/{project_id}/reviews"):
        assert ok(path)["application/json"]["schema"]["type"] == "array", path
        assert client.get(path.replace("{flag_id}", "1").replace("{project_id}", "1"), headers=headers)\
            .get_json() is not None
    files = {
        "/api/rasters/{name}/overlay.png": "image/png", "/api/reviews/{report_id}.pdf": "application/pdf",
        "/api/reviews/{report_id}.html": "text/html", "/tiles/{collection_id}/{z}/{x}/{y}.mvt":
            "application/vnd.mapbox-vector-tile", "/api/relocation/ledger/export":
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "/api/rasters/{name}/clip": "image/tiff", "/ogc/collections/{collection_id}/tiles/{tms_id}/{tile_matrix}/"
                                                  "{tile_row}/{tile_col}": "application/vnd.mapbox-vector-tile",
    }
    for path, media in files.items():
        content = ok(path)
        assert media in content and "application/json" not in content, path
    items = ok("/ogc/collections/{collection_id}/items")
    assert {"application/geo+json", "text/html", GeoPackageExporter.media_type, "application/zip"} <= set(items)
    # what the server answers matches: a PNG is image/png, a tile is MVT
    assert client.get("/tiles/zones/12/3334/1711.mvt", headers=headers).mimetype == \
        "application/vnd.mapbox-vector-tile"


def test_items_parameters_are_documented(client, headers):
    paths = _full_paths(_doc(client, headers))
    for path in ("/ogc/collections/{collection_id}/items", "/ogc/collections/enterprises/items"):
        params = {p["name"]: p for p in paths[path]["get"]["parameters"]}
        assert {"crs", "bbox-crs", "datetime", "filter", "filter-lang", "filter-crs", "bbox", "limit", "offset",
                "sortby", "f"} <= set(params), path
        assert params["limit"]["schema"]["maximum"] == 10000
        assert "cql2-text" in params["filter-lang"]["schema"]["enum"]
        assert "http://www.opengis.net/def/crs/EPSG/0/4547" in params["crs"]["schema"]["enum"]
    enterprises = {p["name"]: p for p in paths["/ogc/collections/enterprises/items"]["get"]["parameters"]}
    assert "accepted" in enterprises["stage"]["schema"]["enum"] and "stage_dates" not in enterprises
    writes = paths["/ogc/collections/{collection_id}/items/{feature_id}"]
    for method in ("put", "patch", "delete"):
        names = {p["name"]: p for p in writes[method]["parameters"]}
        assert names["If-Match"]["required"] is True
    assert "Content-Crs" in {p["name"] for p in writes["put"]["parameters"]}


@pytest.mark.parametrize("path,allowed", [
    ("/ogc/collections", {"GET", "HEAD", "OPTIONS"}),
    ("/ogc/collections/zones/items", {"GET", "HEAD", "OPTIONS", "POST"}),
    ("/ogc/collections/zones/items/1", {"GET", "HEAD", "OPTIONS", "PUT", "PATCH", "DELETE"}),
    ("/api/flags", {"GET", "HEAD", "OPTIONS"}),
    ("/tiles/zones/1/1/1.mvt", {"GET", "HEAD", "OPTIONS"}),
])
def test_405_lists_the_allowed_methods(client, headers, path, allowed):
    for method in ({"GET", "POST", "PUT", "PATCH", "DELETE"} - allowed):
        resp = client.open(path, method=method, headers=headers)
        assert resp.status_code == 405, (method, path)
        assert set(m.strip() for m in resp.headers["Allow"].split(",")) == allowed
        assert resp.get_json()["code"] == "method_not_allowed"


def test_every_path_answers_405_with_allow_for_undocumented_methods(app, client, headers):
    """For each documented path, a method it does not document answers 405 listing exactly the documented ones."""
    paths = _full_paths(_doc(client, headers))
    samples = {"collection_id": "zones", "feature_id": "1", "tms_id": "WebMercatorQuad", "export": "1", "name": "dem"}
    checked = 0
    patterns = [(re.compile("^" + re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(p)) + "$"), item)
                for p, item in paths.items()]
    for path in paths:
        url = re.sub(r"\{([^}]+)\}", lambda m: samples.get(m.group(1), "1"), path)
        # e.g. /api/layers/order is PUT, and also the PATCH of /api/layers/{name}
        documented = {m.upper() for pattern, item in patterns if pattern.match(url) for m in item if m != "servers"}
        for method in {"GET", "POST", "PUT", "PATCH", "DELETE"} - documented:
            resp = client.open(url, method=method, headers=headers)
            assert resp.status_code == 405, (method, url)
            assert set(m.strip() for m in resp.headers["Allow"].split(",")) - {"HEAD", "OPTIONS"} == documented
            checked += 1
    assert checked > 100
