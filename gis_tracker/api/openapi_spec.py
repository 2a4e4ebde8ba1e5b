"""Build the OpenAPI 3.0 document of the API from the app's routes and the catalogue.

The OGC API – Features routes get full descriptions (parameters, bodies,
``If-Match``); every other ``/api`` and ``/tiles`` route is described from
``app.url_map`` (path parameters, methods, a JSON body for writes), so a new
route appears in the document without anyone remembering to add it.
"""
from __future__ import annotations

import re

from flask import current_app

from ..db import db
from ..parsing import INT64_MAX
from ..services.features import catalog

ERROR = {"$ref": "#/components/schemas/Error"}
JSON_ANY = {"type": "object", "additionalProperties": True}
FEATURE = {
    "type": "object", "required": ["type"],
    "properties": {"type": {"type": "string", "enum": ["Feature"]},
                   "geometry": {"type": "object", "nullable": True, "additionalProperties": True},
                   "properties": {"type": "object", "additionalProperties": True}},
}
_CONVERTER = re.compile(r"<(?:([a-z]+)(?:\([^)]*\))?:)?([a-zA-Z_]+)>")


def _errors(*statuses: int) -> dict:
    return {str(s): {"description": "error", "content": {"application/json": {"schema": ERROR}}} for s in statuses}


def _ok(status: int = 200, media: str = "application/json", schema: dict | None = None) -> dict:
    body = {"description": "success"}
    if status != 204:
        body["content"] = {media: {"schema": schema or JSON_ANY}}
    return {str(status): body}


def _path_param(name: str, converter: str | None, collections: list[str]) -> dict:
    if converter == "int":
        schema = {"type": "integer", "minimum": 0, "maximum": INT64_MAX}
    elif name == "collection_id" and collections:
        schema = {"type": "string", "enum": collections}
    else:
        schema = {"type": "string", "minLength": 1, "pattern": "^[^/]+$"}
    return {"name": name, "in": "path", "required": True, "schema": schema}


def _query(name: str, schema: dict, description: str = "") -> dict:
    return {"name": name, "in": "query", "required": False, "schema": schema, "description": description}


IF_MATCH = {"name": "If-Match", "in": "header", "required": True, "schema": {"type": "string"},
            "description": "the ETag of the version being changed"}
ITEMS_QUERY = [
    _query("limit", {"type": "integer", "minimum": 1, "maximum": 10000}),  # maximum: OGC_MAX_LIMIT, in build()
    _query("offset", {"type": "integer", "minimum": 0, "maximum": INT64_MAX}),
    _query("bbox", {"type": "string"}, "minx,miny,maxx,maxy in lon/lat"),
    _query("sortby", {"type": "string"}, "field names, '-' for descending"),
]


def _ogc_operation(endpoint: str, method: str) -> dict | None:
    """Return the hand-written description of an OGC operation, or None for generic ones."""
    table = {
        ("ogc.items", "GET"): {"summary": "List features", "parameters": ITEMS_QUERY,
                               "responses": {**_ok(media="application/geo+json"), **_errors(400, 404)}},
        ("ogc.item", "GET"): {"summary": "One feature",
                              "responses": {**_ok(media="application/geo+json"), **_errors(404)}},
        ("ogc_write.create_item", "POST"): {
            "summary": "Create a feature",
            "requestBody": {"required": True, "content": {"application/geo+json": {"schema": FEATURE}}},
            "responses": {**_ok(201, "application/geo+json"), **_errors(400, 403, 404, 409, 415, 422)}},
        ("ogc_write.replace_item", "PUT"): {
            "summary": "Replace a feature", "parameters": [IF_MATCH],
            "requestBody": {"required": True, "content": {"application/geo+json": {"schema": FEATURE}}},
            "responses": {**_ok(200, "application/geo+json"), **_errors(400, 403, 404, 412, 415, 422, 428)}},
        ("ogc_write.update_item", "PATCH"): {
            "summary": "Update a feature", "parameters": [IF_MATCH],
            "requestBody": {"required": True, "content": {"application/merge-patch+json": {"schema": JSON_ANY}}},
            "responses": {**_ok(200, "application/geo+json"), **_errors(400, 403, 404, 412, 415, 422, 428)}},
        ("ogc_write.split_item", "POST"): {
            "summary": "Split a polygon into parts, all or nothing", "parameters": [IF_MATCH],
            "requestBody": {"required": True, "content": {"application/json": {"schema": {
                "type": "object", "required": ["parts"],
                "properties": {"parts": {"type": "array", "minItems": 2, "items": JSON_ANY}}}}}},
            "responses": {**_ok(200, "application/geo+json"), **_errors(400, 403, 404, 409, 412, 415, 422, 428)}},
        ("ogc_write.delete_item", "DELETE"): {
            "summary": "Delete a feature (restorable)", "parameters": [IF_MATCH],
            "responses": {**_ok(204), **_errors(403, 404, 412, 428)}},
    }
    return table.get((endpoint, method))


def _with_max_limit(param: dict) -> dict:
    """Return a parameter with ``limit``'s maximum set to this server's OGC_MAX_LIMIT (more answers 400)."""
    if param.get("name") != "limit" or param.get("in") != "query":
        return param
    return {**param, "schema": {**param["schema"], "maximum": int(current_app.config["OGC_MAX_LIMIT"])}}


def build() -> dict:
    """Return the OpenAPI document for the current app."""
    app = current_app
    try:
        collections = sorted(catalog.all_collections(db.session))
    except Exception:  # noqa: BLE001 - the document must not fail because a listing failed
        collections = []
    paths: dict[str, dict] = {}
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if not rule.rule.startswith(("/ogc", "/api/", "/tiles/")):
            continue
        path = _CONVERTER.sub(lambda m: "{" + m.group(2) + "}", rule.rule)
        params = [_path_param(m.group(2), m.group(1), collections) for m in _CONVERTER.finditer(rule.rule)]
        view = app.view_functions.get(rule.endpoint)
        doc = ((view.__doc__ or "").strip().splitlines() or [rule.endpoint])[0] if view else rule.endpoint
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            op = _ogc_operation(rule.endpoint, method) or {"summary": doc, "responses": {
                **_ok(201 if method == "POST" and "create" in rule.endpoint else 200),
                **_errors(400, 403, 404, 409, 412, 422)}}
            op = {**op, "operationId": f"{rule.endpoint}.{method.lower()}".replace(".", "_")}
            op["parameters"] = params + [_with_max_limit(p) for p in op.get("parameters", [])]
            if method in ("POST", "PUT", "PATCH") and "requestBody" not in op:
                op["requestBody"] = {"required": False, "content": {"application/json": {"schema": JSON_ANY}}}
            op["responses"] = {**op["responses"], **_errors(401)}
            paths.setdefault(path, {})[method.lower()] = op
    return {
        "openapi": "3.0.3",
        "info": {"title": "石峰区规划地理信息平台 API · Shifeng District Planning GIS API", "version": "1.0",
                 "description": "OGC API – Features (Part 1 read, Part 4 write with ETag/If-Match) and the "
                                "application's JSON API. Authenticate with Authorization: Bearer <token>."},
        "servers": [{"url": "/"}],
        "security": [{"bearerAuth": []}],
        "paths": paths,
        "components": {
            "securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer"}},
            "schemas": {"Error": {"type": "object", "required": ["code", "message"], "properties": {
                "code": {"type": "string"}, "message": {"type": "string"}}, "additionalProperties": True}},
        },
    }
