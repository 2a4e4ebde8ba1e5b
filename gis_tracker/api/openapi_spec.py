"""Build the OpenAPI 3.0 document of the API: every ``/ogc``, ``/api`` and ``/tiles`` route, as it answers.

Each operation is declared in :data:`OPERATIONS` (endpoint, method → summary,
parameters, body, responses with their real media types and shapes: arrays
as arrays, files as files).  ``tests/integration/test_openapi_document.py``
fails when a route of ``app.url_map`` has no declaration here (or a
declaration names no route), and schemathesis checks the answers against it
(``tests/web/test_openapi_schemathesis.py``).

The OGC API paths are written relative to ``/ogc`` (a path-level
``servers`` entry), as OGC API clients expect them: GDAL looks up
``/collections/{name}/items`` to learn a collection's query parameters and
filter languages, so each collection's items path is also listed on its own
with its queryables as parameters (Part 3 "queryables as query parameters").
"""
from __future__ import annotations

import re

from flask import current_app

from ..db import db
from ..parsing import INT64_MAX
from ..rules import encroachment as enc_rules
from ..rules import planning as plan_rules
from ..rules import project_status
from ..services.features import catalog
from . import ogc_schema
from .ogc_crs import served_uris

OGC_ROOT = "/ogc"
ERROR = {"$ref": "#/components/schemas/Error"}
JSON_ANY = {"type": "object", "additionalProperties": True}
BINARY = {"type": "string", "format": "binary"}
LINKS = {"type": "array", "items": {"$ref": "#/components/schemas/Link"}}
GEOMETRY = {"type": "object", "nullable": True, "required": ["type"],
            "properties": {"type": {"type": "string"}}, "additionalProperties": True}
FEATURE = {
    "type": "object", "required": ["type", "geometry", "properties"],
    "properties": {"type": {"type": "string", "enum": ["Feature"]}, "id": {"type": "integer"},
                   "geometry": GEOMETRY,
                   "properties": {"type": "object", "nullable": True, "additionalProperties": True},
                   "links": LINKS},
    "additionalProperties": True,
}
FEATURE_COLLECTION = {
    "type": "object", "required": ["type", "features"],
    "properties": {"type": {"type": "string", "enum": ["FeatureCollection"]},
                   "features": {"type": "array", "items": FEATURE},
                   "numberMatched": {"type": "integer", "minimum": 0},
                   "numberReturned": {"type": "integer", "minimum": 0},
                   "timeStamp": {"type": "string"}, "links": LINKS},
    "additionalProperties": True,
}
GEOJSON = "application/geo+json"
HTML = "text/html"
MVT = "application/vnd.mapbox-vector-tile"
SCHEMA_JSON = ogc_schema.SCHEMA_MEDIA
OPENAPI_JSON = "application/vnd.oai.openapi+json;version=3.0"
EXPORT_MEDIA = {  # f=… on items and format=… on /api/exports/{collection_id}: the exporters' media types
    "gpkg": "application/geopackage+sqlite3", "shp": "application/zip", "kml": "application/vnd.google-earth.kml+xml",
    "csv": "text/csv", "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "geojson": GEOJSON,
}
# Routes Flask tells apart by a converter (int vs. text) but OpenAPI cannot: one path, one description.
SHARED_PATHS = {"/api/exports/<int:export_id>": ("/api/exports/{export}", "export"),
                "/api/exports/<collection_id>": ("/api/exports/{export}", "export")}
_CONVERTER = re.compile(r"<(?:([a-z]+)(?:\([^)]*\))?:)?([a-zA-Z_]+)>")


def _obj(*required: str, **props) -> dict:
    return {"type": "object", "required": list(required),
            "properties": dict(props), "additionalProperties": True}


def _arr(items: dict | None = None) -> dict:
    return {"type": "array", "items": items or JSON_ANY}


STR = {"type": "string"}
INT = {"type": "integer"}
NUM = {"type": "number"}
BOOL = {"type": "boolean"}


def _json(schema: dict, media: str = "application/json") -> dict:
    return {media: {"schema": schema}}


def _ok(content: dict | None, status: int = 200, description: str = "success") -> dict:
    body: dict = {"description": description}
    if content:
        body["content"] = content
    return {str(status): body}


def _query(name: str, schema: dict, description: str = "", **extra) -> dict:
    return {"name": name, "in": "query", "required": False, "schema": schema, "description": description, **extra}


def _header(name: str, description: str, required: bool = False) -> dict:
    return {"name": name, "in": "header", "required": required, "schema": {"type": "string", "minLength": 1},
            "description": description}


IF_MATCH = _header("If-Match", "the ETag of the version being changed, or * (any current version, RFC 9110)",
                   required=True)
IF_MATCH_OPTIONAL = _header("If-Match", "the ETag of the version being changed, or *")
CONTENT_CRS = _header("Content-Crs", "CRS of the body's geometry: <http://www.opengis.net/def/crs/EPSG/0/4547>, "
                                     "…/4326, …/4490 (latitude/northing first) or CRS84 (default)")
LANG = _query("lang", {"type": "string", "enum": ["zh", "en"]}, "language of messages and titles")
F_DOC = _query("f", {"type": "string", "enum": ["json", "html"]}, "encoding: JSON (default) or HTML")
DOC_CONTENT = {"application/json": {"schema": JSON_ANY}, HTML: {"schema": STR}}


def _crs_param(name: str, description: str) -> dict:
    return _query(name, {"type": "string", "enum": served_uris()}, description)


def _items_parameters(max_limit: int, default_limit: int) -> list[dict]:
    return [
        _query("limit", {"type": "integer", "minimum": 1, "maximum": max_limit, "default": default_limit},
               "page size"),
        _query("offset", {"type": "integer", "minimum": 0, "maximum": INT64_MAX, "default": 0},
               "features to skip (next links carry it)"),
        _query("bbox", {"type": "array", "minItems": 4, "maxItems": 4, "items": {"type": "number"}},
               "minx,miny,maxx,maxy in bbox-crs (CRS84 lon/lat by default)", style="form", explode=False),
        _crs_param("bbox-crs", "CRS of bbox (Part 2)"),
        _crs_param("crs", "CRS of the returned geometries (Part 2); Content-Crs names it"),
        _query("datetime", {"type": "string"},
               "date or interval (2021-05-01, 2020-01-01/2021-12-31, ../2021-12-31) on the collection's temporal "
               "property (its queryables mark it x-ogc-role primary-instant); 400 on collections without one"),
        _query("filter", {"type": "string"}, "CQL2 filter (Part 3), e.g. stage IN ('accepted','remediation')"),
        _query("filter-lang", {"type": "string", "enum": ["cql2-text", "cql2-json", "cql-text"]},
               "encoding of filter (cql-text: the draft name GDAL sends)"),
        _crs_param("filter-crs", "CRS of geometries in filter (CRS84 by default)"),
        _query("sortby", {"type": "string"},
               "sort keys [+|-]property, comma-separated (Part 5 draft): '-' descending, '+' or none ascending, "
               "nulls last, ties by feature id; each key a declared property (not an object), else 400 bad_sortby; "
               "e.g. -investment_wan,name. The file formats (f=csv, xlsx, …) keep the same filter and order"),
        _query("f", {"type": "string", "enum": ["json", "geojson", "html", *sorted(k for k in EXPORT_MEDIA
                                                                                   if k != "geojson")]},
               "GeoJSON (default), HTML, or a file: gpkg, shp (zip), kml, csv, xlsx"),
        LANG,
    ]


def _items_content() -> dict:
    content = {GEOJSON: {"schema": FEATURE_COLLECTION}, HTML: {"schema": STR}}
    for fmt, media in EXPORT_MEDIA.items():
        if fmt != "geojson":
            content.setdefault(media, {"schema": BINARY})
    return content


def _queryable_parameters(coll: catalog.Collection) -> list[dict]:
    """Return each queryable property as an equality query parameter (typed, with its enum)."""
    params = []
    for f in coll.fields:
        if f.type == "object":
            continue
        schema = {k: v for k, v in ogc_schema.property_schema(coll, f).items()
                  if k in ("type", "format", "enum")}
        params.append(_query(f.name, schema, f"{f.label_en} = value"))
    return params


SEARCH_RESULT = _obj(
    "collection", "id", "title", "bbox", "layer", "kind",
    collection=STR, id=INT, title=STR, layer=STR, kind=STR, kind_label=STR,
    bbox={"type": "array", "minItems": 4, "maxItems": 4, "items": NUM,
          "description": "lon/lat (CRS84): minx, miny, maxx, maxy"},
    category={"type": "string", "nullable": True}, matched=STR, detail={"type": "string", "nullable": True},
    geometry_type=STR)
GET_ERRORS = (400, 401, 403, 404, 503)
WRITE_ERRORS = (400, 401, 403, 404, 409, 412, 413, 415, 422, 428, 503)


def _errors(*statuses: int) -> dict:
    return {str(s): {"description": "error", "content": _json(ERROR)} for s in statuses}


def _op(summary: str, responses: dict, params: list | None = None, body: dict | None = None,
        errors: tuple[int, ...] = GET_ERRORS, body_required: bool = True) -> dict:
    op = {"summary": summary, "parameters": list(params or []), "responses": {**responses, **_errors(*errors)}}
    if body is not None:
        op["requestBody"] = {"required": body_required, "content": body}
    return op


def _operations(max_limit: int, default_limit: int) -> dict[tuple[str, str], dict]:
    """Return every operation of the app by (endpoint, method)."""
    flag = _obj("id", "status", "etag")
    rule = _obj("id", "code", "etag")
    report = _obj("id")
    layer = _obj("name")
    import_record = _obj("id", "status")
    raster = _obj("name")
    job = _obj("id", "status")
    export_record = _obj("id")
    notification = _obj("id", "event", "title", id=INT, event=STR, title=STR)
    indicator = _obj("key", "label")
    version_list = _obj("collection", "versions", collection=STR, versions=_arr(_obj("version", "action")))
    relocation_filter = [
        _query("as_of", {"type": "string", "format": "date"}, "status as of this date"),
        _query("zone", STR), _query("industry", STR), _query("q", STR, "search in names"),
        _query("path", {"type": "string", "enum": sorted(catalog.PATH_CHOICES)}),
        _query("stage", {"type": "string", "enum": sorted(catalog.STAGE_CHOICES)}),
        _query("overdue", {"type": "string", "enum": ["true", "false", "1", "0"]}),
        _query("sort", STR), _query("desc", {"type": "string", "enum": ["1", "true", "0", "false"]}),
        _query("page", {"type": "integer", "minimum": 1}), _query("per_page", {"type": "integer", "minimum": 1,
                                                                               "maximum": 500}),
    ]
    include_cleared = _query("include_cleared", {"type": "string", "enum": ["1", "true", "0", "false"]})
    multipart_file = {"multipart/form-data": {"schema": _obj("file", file=BINARY)}}
    ops: dict[tuple[str, str], dict] = {
        # --- OGC API – Features, Part 3/5, Tiles -------------------------------------------------------------
        ("ogc.landing", "GET"): _op("Landing page", _ok(DOC_CONTENT), [F_DOC, LANG]),
        ("ogc.conformance", "GET"): _op("Conformance classes", _ok(
            {"application/json": {"schema": _obj("conformsTo", conformsTo=_arr(STR))}, HTML: {"schema": STR}}),
            [F_DOC, LANG]),
        ("openapi.document", "GET"): _op("This OpenAPI document (f=html: the API documentation page)", _ok(
            {OPENAPI_JSON: {"schema": _obj("openapi", "paths")}, HTML: {"schema": STR}}), [F_DOC, LANG]),
        ("ogc.collections", "GET"): _op("The collections", _ok(
            {"application/json": {"schema": _obj("collections", "links", collections=_arr(_obj("id", "links")),
                                                  links=LINKS)}, HTML: {"schema": STR}}), [F_DOC, LANG]),
        ("ogc.collection", "GET"): _op("One collection: extent, CRSs, temporal property, links", _ok(
            {"application/json": {"schema": _obj("id", "links", id=STR, links=LINKS)}, HTML: {"schema": STR}}),
            [F_DOC, LANG]),
        ("ogc.queryables", "GET"): _op("Queryables (Part 3): JSON Schema of the properties filter may use", _ok(
            {SCHEMA_JSON: {"schema": _obj("type", "properties")}, HTML: {"schema": STR}}), [F_DOC, LANG]),
        ("ogc.schema", "GET"): _op("Schema of the features (Part 5), JSON Schema with x-ogc-role", _ok(
            {SCHEMA_JSON: {"schema": _obj("type", "properties")}, HTML: {"schema": STR}}), [F_DOC, LANG]),
        ("ogc.items", "GET"): _op("Features: paged, filtered (bbox, datetime, CQL2 filter, properties), sorted",
                                  _ok(_items_content()), _items_parameters(max_limit, default_limit)),
        ("ogc.item", "GET"): _op("One feature, with its ETag", _ok(
            {GEOJSON: {"schema": FEATURE}, HTML: {"schema": STR}}),
            [_crs_param("crs", "CRS of the returned geometry"),
             _query("f", {"type": "string", "enum": ["json", "geojson", "html"]}), LANG]),
        ("ogc_write.create_item", "POST"): _op(
            "Create a feature (201 with Location and ETag)", _ok(_json(FEATURE, GEOJSON), 201, "created"),
            [CONTENT_CRS], {GEOJSON: {"schema": FEATURE}, "application/json": {"schema": FEATURE}}, WRITE_ERRORS),
        ("ogc_write.replace_item", "PUT"): _op(
            "Replace a feature", _ok(_json(FEATURE, GEOJSON)), [IF_MATCH, CONTENT_CRS],
            {GEOJSON: {"schema": FEATURE}, "application/json": {"schema": FEATURE}}, WRITE_ERRORS),
        ("ogc_write.update_item", "PATCH"): _op(
            "Update some properties and/or the geometry", _ok(_json(FEATURE, GEOJSON)), [IF_MATCH, CONTENT_CRS],
            {"application/merge-patch+json": {"schema": JSON_ANY}, "application/json": {"schema": JSON_ANY}},
            WRITE_ERRORS),
        ("ogc_write.delete_item", "DELETE"): _op("Delete a feature (restorable)", _ok(None, 204, "deleted"),
                                                 [IF_MATCH], errors=WRITE_ERRORS),
        ("ogc_write.split_item", "POST"): _op(
            "Split a polygon into parts, all or nothing",
            _ok(_json(_obj("type", "features", "etags", features=_arr(FEATURE), etags=_arr(STR)), GEOJSON)),
            [IF_MATCH, CONTENT_CRS],
            {"application/json": {"schema": _obj("parts", parts={"type": "array", "minItems": 2,
                                                                  "items": JSON_ANY})}}, WRITE_ERRORS),
        ("ogc_tiles.tile_matrix_sets", "GET"): _op("Tile matrix sets", _ok(
            _json(_obj("tileMatrixSets", tileMatrixSets=_arr(_obj("id", "links")))))),
        ("ogc_tiles.tile_matrix_set", "GET"): _op("The WebMercatorQuad tile matrix set (OGC TMS 2.0)", _ok(
            _json(_obj("id", "crs", "tileMatrices", tileMatrices=_arr(_obj("id")))))),
        ("ogc_tiles.tilesets", "GET"): _op("A collection's vector tilesets", _ok(
            _json(_obj("tilesets", tilesets=_arr(_obj("dataType", "links")))))),
        ("ogc_tiles.tileset", "GET"): _op("Tileset metadata with the tile URL template", _ok(
            _json(_obj("dataType", "crs", "links", links=LINKS)))),
        ("ogc_tiles.tile", "GET"): _op("One vector tile (zoom, row, column)", _ok({MVT: {"schema": BINARY}})),
        ("tiles.tile", "GET"): _op("One Mapbox vector tile of a collection", _ok({MVT: {"schema": BINARY}})),
        ("tiles.tilejson", "GET"): _op("TileJSON 3.0 of a collection's tiles", _ok(
            _json(_obj("tilejson", "tiles", "vector_layers", tiles=_arr(STR), vector_layers=_arr(_obj("id")))))),
        # --- feature history and map editing ------------------------------------------------------------------
        ("feature_history.versions", "GET"): _op("Every version of a feature", _ok(_json(version_list))),
        ("feature_history.restore_version", "POST"): _op(
            "Make an earlier version current again", _ok(_json(FEATURE, GEOJSON)), [IF_MATCH], errors=WRITE_ERRORS),
        ("feature_history.restore_deleted", "POST"): _op("Undelete a feature (admins)", _ok(_json(FEATURE, GEOJSON)),
                                                         errors=WRITE_ERRORS),
        ("deleted_features.deleted", "GET"): _op("Deleted features of a collection (admins)", _ok(
            _json(_obj("collection", "features", features=_arr(), numberMatched=INT)))),
        ("geometry.split", "POST"): _op("Preview a split of a polygon by a line", _ok(_json(JSON_ANY)),
                                        body=_json(_obj("geometry", "line")), errors=WRITE_ERRORS),
        ("geometry.repair", "POST"): _op("Repair an invalid polygon", _ok(_json(JSON_ANY)),
                                         body=_json(_obj("geometry")), errors=WRITE_ERRORS),
        ("user_layers.list_layers", "GET"): _op("Planner-defined layers",
                                                _ok(_json(_obj("layers", layers=_arr(layer))))),
        ("user_layers.create_layer", "POST"): _op("Create a layer", _ok(_json(layer), 201, "created"),
                                                  body=_json(_obj("name", "title", "geometry_type")),
                                                  errors=WRITE_ERRORS),
        ("user_layers.update_layer", "PATCH"): _op("Change a layer's title, fields or style", _ok(_json(layer)),
                                                   [IF_MATCH_OPTIONAL], _json(JSON_ANY), WRITE_ERRORS),
        ("user_layers.reorder_layers", "PUT"): _op("Set the layers' order", _ok(_json(_obj("layers",
                                                                                          layers=_arr(layer)))),
                                                   body=_json(_obj("order", order=_arr(STR))), errors=WRITE_ERRORS),
        ("search_api.search", "GET"): _op(
            "Search the layers the user may read by name, code, credit code, label or pinyin initials, best first",
            _ok(_json(_obj("q", "limit", "numberReturned", "results", q=STR, limit=INT, numberReturned=INT,
                           results=_arr(SEARCH_RESULT)))),
            [_query("q", {"type": "string", "minLength": 1, "maxLength": 100, "pattern": r"\S"},
                    "the text: 1–100 characters (stripped); ASCII letters also match pinyin initials/syllables",
                    required=True),
             _query("limit", {"type": "integer", "minimum": 1, "maximum": 50, "default": 10}, "results at most"),
             LANG]),
        ("jobs.job_status", "GET"): _op("A background job's progress", _ok(_json(job))),
        ("admin_api.basemap_check", "POST"): _op("Fetch a sample basemap tile (admins)", _ok(_json(JSON_ANY)),
                                                 body=_json(_obj(url=STR)), errors=WRITE_ERRORS, body_required=False),
        # --- relocation -----------------------------------------------------------------------------------------
        ("relocation_api.enterprises", "GET"): _op("The relocation table, filtered and paged", _ok(_json(_obj(
            "enterprises", "total", enterprises=_arr(), total=INT))), relocation_filter),
        ("relocation_api.dashboard", "GET"): _op("Relocation dashboard figures", _ok(_json(_obj("stage_counts",
                                                                                              "total"))),
                                                 [relocation_filter[0]]),
        ("relocation_api.stage_map", "GET"): _op("Enterprises coloured by stage as of a date", _ok(_json(_obj(
            "type", "features", features=_arr(FEATURE)), GEOJSON)), [relocation_filter[0]]),
        ("relocation_api.history", "GET"): _op("An enterprise's stage transitions", _ok(_json(_obj(
            "enterprise_id", "transitions", transitions=_arr())))),
        ("relocation_api.download_attachment", "GET"): _op("Download a transition's attachment", _ok({
            "application/pdf": {"schema": BINARY}, "image/jpeg": {"schema": BINARY},
            "image/png": {"schema": BINARY}})),
        ("relocation_api.create_transition", "POST"): _op(
            "Record a stage transition (JSON, or multipart with attachments)",
            _ok(_json(_obj("transition", "etag")), 201, "created"), [IF_MATCH],
            {"application/json": {"schema": _obj("to_stage", "date", to_stage=STR, date={"type": "string",
                                                                                          "format": "date"},
                                                 note=STR, reason=STR, destination=STR, override=BOOL)},
             "multipart/form-data": {"schema": _obj("to_stage", "date", to_stage=STR, date=STR,
                                                     attachments=_arr(BINARY))}}, WRITE_ERRORS),
        ("relocation_api.ledger_preview", "POST"): _op("Check a ledger file (xlsx/csv) before importing", _ok(
            _json(JSON_ANY)), body=multipart_file, errors=WRITE_ERRORS),
        ("relocation_api.ledger_commit", "POST"): _op("Import a ledger file: every row or none", _ok(
            _json(JSON_ANY)), body=multipart_file, errors=WRITE_ERRORS),
        ("relocation_api.ledger_export", "GET"): _op("Download the filtered table as a ledger", _ok({
            EXPORT_MEDIA["xlsx"]: {"schema": BINARY}, "text/csv": {"schema": BINARY}}),
            [_query("format", {"type": "string", "enum": ["xlsx", "csv"], "default": "xlsx"}), *relocation_filter]),
        # --- encroachment flags and the 两型 review --------------------------------------------------------------
        ("flags_api.project_flags", "GET"): _op("A project's flags", _ok(_json(_arr(flag))), [include_cleared]),
        ("flags_api.project_flags_geojson", "GET"): _op("A project and its overlaps as GeoJSON", _ok(_json(_obj(
            "type", "features", features=_arr(FEATURE))))),
        ("flags_api.flags", "GET"): _op("Every flag, filtered", _ok(_json(_arr(flag))), [
            _query("severity", STR), _query("status", STR), _query("zone", STR), include_cleared]),
        ("flags_api.flag_history", "GET"): _op("A flag's history", _ok(_json(_arr(_obj("action", "at"))))),
        ("flags_api.flag_status", "POST"): _op("Change a flag's status", _ok(_json(flag)), [IF_MATCH],
                                               _json(_obj("status", status=STR, reason=STR)), WRITE_ERRORS),
        ("flags_api.rules", "GET"): _op("The encroachment rules", _ok(_json(_arr(rule)))),
        ("flags_api.create_rule", "POST"): _op("Create a rule (admins)", _ok(_json(_obj("rule", "encroachment_changes",
                                                                                        rule=rule)), 201, "created"),
                                               body=_json(JSON_ANY), errors=WRITE_ERRORS),
        ("flags_api.update_rule", "PATCH"): _op("Change a rule (admins)", _ok(_json(_obj("rule", rule=rule))),
                                                [IF_MATCH], _json(JSON_ANY), WRITE_ERRORS),
        ("flags_api.retire_rule", "DELETE"): _op("Retire a rule (admins)", _ok(_json(_obj("encroachment_changes"))),
                                                 [IF_MATCH], errors=WRITE_ERRORS),
        ("flags_api.assessment", "GET"): _op("The 两型 review of a project as it is now", _ok(_json(_obj(
            "conclusion", "flags")))),
        ("flags_api.reports", "GET"): _op("A project's issued review reports", _ok(_json(_arr(report)))),
        ("flags_api.issue_report", "POST"): _op("Issue a numbered review report", _ok(_json(report), 201, "created"),
                                                errors=WRITE_ERRORS),
        ("flags_api.report_pdf", "GET"): _op("An issued report as PDF", _ok({"application/pdf": {"schema": BINARY}})),
        ("flags_api.report_html", "GET"): _op("An issued report as HTML", _ok({HTML: {"schema": STR}})),
        # --- data exchange ------------------------------------------------------------------------------------------
        ("exchange_api.list_imports", "GET"): _op("Imports", _ok(_json(_obj("imports", imports=_arr(import_record))))),
        ("exchange_api.create_import", "POST"): _op(
            "Upload a file to import (preview)", _ok(_json(import_record), 201, "created"),
            body={"multipart/form-data": {"schema": _obj("file", file=BINARY, format=STR, crs=STR, encoding=STR,
                                                           layer=STR, x_field=STR, y_field=STR, wkt_field=STR)}},
            errors=WRITE_ERRORS),
        ("exchange_api.get_import", "GET"): _op("An import and its preview", _ok(_json(import_record))),
        ("exchange_api.import_options", "POST"): _op("Change an import's options (CRS, encoding, …)", _ok(
            _json(import_record)), body=_json(_obj(crs=STR, encoding=STR, layer=STR)), errors=WRITE_ERRORS),
        ("exchange_api.commit_import", "POST"): _op("Commit an import with a field mapping", {
            **_ok(_json(_obj("import", "job")), 200, "done"),
            **_ok(_json(_obj("import", "job")), 202, "running in the background")},
            body=_json(JSON_ANY), errors=WRITE_ERRORS),
        ("exchange_api.cancel_import", "DELETE"): _op("Cancel an import", _ok(_json(import_record)),
                                                      errors=WRITE_ERRORS),
        ("exchange_api.export_layer", "GET"): None,  # described with exports_api.get_export (one path)
        ("exchange_api.list_rasters", "GET"): _op("Rasters", _ok(_json(_obj("rasters", rasters=_arr(raster))))),
        ("exchange_api.upload_raster", "POST"): _op(
            "Upload a GeoTIFF", _ok(_json(raster), 201, "created"),
            body={"multipart/form-data": {"schema": _obj("file", file=BINARY, name=STR, kind=STR, title=STR)}},
            errors=WRITE_ERRORS),
        ("exchange_api.get_raster", "GET"): _op("A raster", _ok(_json(raster))),
        ("exchange_api.delete_raster", "DELETE"): _op("Delete a raster (admins)", _ok(_json(_obj("name", "deleted"))),
                                                      errors=WRITE_ERRORS),
        ("exchange_api.raster_overlay", "GET"): _op("A raster as a PNG overlay", _ok({"image/png": {
            "schema": BINARY}})),
        ("exchange_api.clip_raster", "GET"): _op("A raster clipped to a zone (GeoTIFF)", _ok({"image/tiff": {
            "schema": BINARY}}), [_query("zone", STR, "zone code", required=True)]),
        ("exchange_api.indicators", "GET"): _op("Zonal indicators (area, elevation, land cover, population)", _ok(
            _json(_obj("zones", zones=_arr()))), [_query("landcover", STR), _query("dem", STR)]),
        ("exchange_api.set_population", "PUT"): _op("Set a zone's population", _ok(_json(JSON_ANY)),
                                                    body=_json(_obj("population", population=INT)),
                                                    errors=WRITE_ERRORS),
        # --- exports (snapshots, interactive maps, meeting packs) -------------------------------------------------
        ("exports_api.start_export", "POST"): _op("Start an export (202 with the job)", _ok(_json(_obj("job_url")),
                                                                                           202, "accepted"),
                                                  body=_json(_obj("kind")), errors=WRITE_ERRORS),
        ("exports_api.list_exports", "GET"): _op("Latest exports", _ok(_json(_obj("exports",
                                                                                  exports=_arr(export_record))))),
        # /api/exports/<int:export_id> and /api/exports/<collection_id> share one OpenAPI path (see SHARED_PATHS).
        ("exports_api.get_export", "GET"): _op(
            "An export's record (a numeric export id), or a whole layer as a file (a collection id and format=…)",
            _ok({"application/json": {"schema": export_record},
                 **{media: {"schema": BINARY} for media in dict.fromkeys(EXPORT_MEDIA.values())}}),
            [_query("format", {"type": "string", "enum": sorted(EXPORT_MEDIA)}, "file format (layers only)"),
             *[p for p in _items_parameters(max_limit, default_limit) if p["name"] not in ("f", "limit", "offset")]]),
        ("exports_api.download", "GET"): _op("Download an export's file", _ok({
            "image/png": {"schema": BINARY}, "application/pdf": {"schema": BINARY}, HTML: {"schema": BINARY}})),
        # --- the 两型 review register and overrides --------------------------------------------------------------
        ("flags_api.review_register", "GET"): _op("Every project's current review conclusion and why", _ok(_json(_obj(
            "counts", "projects", counts=_obj(), projects=_arr(_obj("project_id", "conclusion"))))), [
            _query("zone", STR, "zone code"),
            _query("conclusion", {"type": "string", "enum": list(enc_rules.CONCLUSIONS)}),
            _query("status", {"type": "string", "enum": list(project_status.STATUSES)})]),
        ("flags_api.override_review", "POST"): _op(
            "Let a project proceed against its review (admins; reason required)", _ok(_json(FEATURE, GEOJSON)),
            [IF_MATCH], _json(_obj("status", "reason", status=STR, reason=STR)), WRITE_ERRORS),
        # --- notifications --------------------------------------------------------------------------------------
        ("notifications_api.list_notifications", "GET"): _op("The caller's notifications, newest first", _ok(_json(
            _obj("notifications", "total", "unread", notifications=_arr(notification), total=INT, unread=INT))), [
            _query("unread", {"type": "string", "enum": ["true", "false", "1", "0", "yes", "no"]}),
            _query("event", STR), _query("limit", {"type": "integer", "minimum": 1, "maximum": 200}),
            _query("offset", {"type": "integer", "minimum": 0})]),
        ("notifications_api.unread_count", "GET"): _op("How many of the caller's notifications are unread", _ok(
            _json(_obj("unread", unread=INT)))),
        ("notifications_api.mark_read", "POST"): _op("Mark a notification read", _ok(_json(notification)),
                                                     errors=WRITE_ERRORS),
        ("notifications_api.mark_all_read", "POST"): _op("Mark all (of an event) read", _ok(_json(_obj(
            "marked", "unread", marked=INT, unread=INT))), [_query("event", STR)], errors=WRITE_ERRORS),
        ("notifications_api.get_settings", "GET"): _op("The caller's notification settings (with ETag)", _ok(
            _json(_obj("events", "version")))),
        ("notifications_api.put_settings", "PUT"): _op("Change the caller's notification settings", _ok(
            _json(_obj("events", "version"))), [IF_MATCH_OPTIONAL],
            _json(_obj(events=JSON_ANY, email={"type": ["string", "null"]}, email_mode=STR)), WRITE_ERRORS),
        # --- the plan's indicators and the 两型 index -----------------------------------------------------------
        ("planning_api.indicators", "GET"): _op("The plan's indicator register with targets and yearly values", _ok(
            _json(_arr(indicator))), [_query("year", {"type": "integer", "minimum": 1000, "maximum": 9999})]),
        ("planning_api.indicator", "GET"): _op("One indicator with its series (with ETag)", _ok(_json(indicator))),
        ("planning_api.update_indicator", "PATCH"): _op("Change an indicator's weight in the index (admins)", _ok(
            _json(indicator)), [IF_MATCH], _json(_obj("weight", weight=NUM)), WRITE_ERRORS),
        ("planning_api.put_value", "PUT"): _op("Enter or replace a yearly value", {
            **_ok(_json(JSON_ANY), 200, "replaced"), **_ok(_json(JSON_ANY), 201, "entered")}, [IF_MATCH_OPTIONAL],
            _json(_obj("value", value=NUM, source=STR, source_date={"type": "string", "format": "date"}, note=STR)),
            WRITE_ERRORS),
        ("planning_api.delete_value", "DELETE"): _op("Withdraw a yearly value (kept in its history)",
                                                     _ok(None, 204, "withdrawn"), [IF_MATCH], errors=WRITE_ERRORS),
        ("planning_api.value_history", "GET"): _op("Every value entered for an indicator and year", _ok(
            _json(_arr()))),
        ("planning_api.index_by_year", "GET"): _op("The 两型社会建设指数 per year with coverage and weights", _ok(
            _json(_obj()))),
        ("planning_api.index_reports", "GET"): _op("Published index reports, newest first", _ok(_json(_arr(
            _obj("id", "number", "year"))))),
        ("planning_api.publish_index", "POST"): _op("Publish a year's index as a numbered PDF report", _ok(
            _json(_obj("id", "number", "year")), 201, "published"), errors=WRITE_ERRORS),
        ("planning_api.index_report_pdf", "GET"): _op("A published index report", _ok({
            "application/pdf": {"schema": BINARY}})),
        # --- then vs now, ecological restoration ------------------------------------------------------------------
        ("planning_api.compare_dates", "GET"): _op("What changed between two dates", _ok(_json(_obj())), [
            _query("from", {"type": "string", "format": "date"}), _query("to", {"type": "string", "format": "date"})]),
        ("planning_api.restoration_list", "GET"): _op("Projects needing restoration and sites with a term", _ok(
            _json(_obj("items", items=_arr()))), [
            _query("as_of", {"type": "string", "format": "date"}), _query("status", STR),
            _query("kind", {"type": "string", "enum": ["project", "site"]})]),
        ("planning_api.restoration_map", "GET"): _op("Restoration status as GeoJSON (ids project-N, site-N)", _ok(
            _json(_obj("type", "features", features=_arr(_obj("type", "id", "geometry", "properties", id=STR))),
                  GEOJSON)), [
            _query("as_of", {"type": "string", "format": "date"})]),
        ("planning_api.restoration_recheck", "POST"): _op("Recompute every project's restoration proposal", _ok(
            _json(_obj("checked", checked=INT))), errors=WRITE_ERRORS),
        ("planning_api.project_restoration", "GET"): _op("A project's restoration (with ETag)", _ok(_json(_obj())),
                                                         [_query("as_of", {"type": "string", "format": "date"})]),
        ("planning_api.record_restoration", "POST"): _op(
            "Record a completed restoration with evidence", _ok(_json(_obj()), 201, "recorded"), [IF_MATCH],
            {"multipart/form-data": {"schema": _obj("restored_date", restored_date=STR, note=STR,
                                                     evidence=_arr(BINARY))}}, WRITE_ERRORS),
        ("planning_api.evidence_file", "GET"): _op("Download an evidence file", _ok({
            "application/octet-stream": {"schema": BINARY}, "application/pdf": {"schema": BINARY},
            "image/jpeg": {"schema": BINARY}, "image/png": {"schema": BINARY}})),
        ("planning_api.remediation_term", "PUT"): _op(
            "Set (or clear) an enterprise site's remediation term", _ok(_json(_obj("id", "etag"))), [IF_MATCH],
            _json(_obj(remediation_basis={"type": ["string", "null"], "enum": [*plan_rules.REMEDIATION_BASES, None]},
                       remediation_months={"type": ["integer", "null"]})), WRITE_ERRORS),
    }
    return ops


def _path_param(name: str, converter: str | None, collections: list[str]) -> dict:
    if converter == "int":
        schema = {"type": "integer", "minimum": 0, "maximum": INT64_MAX}
    elif name == "collection_id" and collections:
        schema = {"type": "string", "enum": collections}
    elif name == "tms_id":
        schema = {"type": "string", "enum": ["WebMercatorQuad"]}
    else:
        schema = {"type": "string", "minLength": 1, "pattern": "^[^/]+$"}
    return {"name": name, "in": "path", "required": True, "schema": schema}


def _with_defaults(op: dict, method: str, operation_id: str, path_params: list[dict]) -> dict:
    op = {**op, "operationId": operation_id, "parameters": path_params + list(op.get("parameters", []))}
    responses = dict(op["responses"])
    if method == "GET":
        responses.setdefault("304", {"description": "not modified (If-None-Match matched the ETag)"})
    responses.setdefault("401", {"description": "no valid login or API token", "content": _json(ERROR)})
    op["responses"] = responses
    return op


def build() -> dict:
    """Return the OpenAPI document for the current app."""
    app = current_app
    cfg = app.config
    try:
        colls = catalog.all_collections(db.session)
    except Exception:  # noqa: BLE001 - the document must not fail because a listing failed
        colls = dict(catalog.collections())
    ids = sorted(colls)
    operations = _operations(cfg["OGC_MAX_LIMIT"], cfg["OGC_DEFAULT_LIMIT"])
    paths: dict[str, dict] = {}
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if not rule.rule.startswith((OGC_ROOT, "/api/", "/tiles/")) or rule.rule == OGC_ROOT + "/":
            continue
        key = _CONVERTER.sub(lambda m: "{" + m.group(2) + "}", rule.rule)
        ogc = key.startswith(OGC_ROOT)
        if ogc:
            key = key[len(OGC_ROOT):] or "/"
        params = [_path_param(m.group(2), m.group(1), ids) for m in _CONVERTER.finditer(rule.rule)]
        if rule.rule in SHARED_PATHS:
            key, name = SHARED_PATHS[rule.rule]
            params = [{"name": name, "in": "path", "required": True,
                       "schema": {"type": "string", "minLength": 1, "pattern": "^[^/]+$"},
                       "description": "an export id, or a collection id"}]
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            op = operations.get((rule.endpoint, method))
            if op is None:
                continue  # tests/integration/test_openapi_document.py names every undescribed route
            op_id = f"{rule.endpoint}.{method.lower()}".replace(".", "_")
            item = paths.setdefault(key, {"servers": [{"url": OGC_ROOT}]} if ogc else {})
            item[method.lower()] = _with_defaults(op, method, op_id, params)
    # Each collection's items on its own path, with its queryables as parameters (GDAL reads them here).
    items_op = operations[("ogc.items", "GET")]
    for cid in ids:
        coll = colls[cid]
        op = {**items_op, "summary": f"Features of {cid}",
              "parameters": items_op["parameters"] + _queryable_parameters(coll)}
        paths[f"/collections/{cid}/items"] = {
            "servers": [{"url": OGC_ROOT}],
            "get": _with_defaults(op, "GET", f"ogc_items_{cid}_get", []),
        }
    return {
        "openapi": "3.0.3",
        "info": {"title": "石峰区规划地理信息平台 API · Shifeng District Planning GIS API", "version": "1.0",
                 "description": "OGC API – Features (Part 1, 2 CRS, 3 filtering with CQL2, 4 writes with "
                                "ETag/If-Match, 5 schemas) and OGC API – Tiles at /ogc, and the application's "
                                "JSON API at /api. "
                                "Authenticate with Authorization: Bearer <API token>, or HTTP Basic with your "
                                "username and an API token as the password."},
        "servers": [{"url": "/"}],
        "security": [{"bearerAuth": []}, {"basicAuth": []}],
        "paths": paths,
        "components": {
            "securitySchemes": {
                "bearerAuth": {"type": "http", "scheme": "bearer", "description": "an API token (account page)"},
                "basicAuth": {"type": "http", "scheme": "basic",
                              "description": "username and an API token as the password (never the account "
                                             "password)"},
            },
            "schemas": {
                "Error": {"type": "object", "required": ["code", "message"], "properties": {
                    "code": {"type": "string"}, "message": {"type": "string"}}, "additionalProperties": True},
                "Link": {"type": "object", "required": ["href", "rel"], "properties": {
                    "href": {"type": "string"}, "rel": {"type": "string"}, "type": {"type": "string"},
                    "title": {"type": "string"}, "templated": {"type": "boolean"}}, "additionalProperties": True},
            },
        },
    }


def described_operations() -> set[tuple[str, str]]:
    """Return the (endpoint, method) pairs this document declares (for the completeness test)."""
    cfg = current_app.config
    return set(_operations(cfg["OGC_MAX_LIMIT"], cfg["OGC_DEFAULT_LIMIT"]))  # None: described with another

