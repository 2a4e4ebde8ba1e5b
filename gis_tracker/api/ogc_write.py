"""OGC API – Features Part 4 (create, replace, update, delete) with ETag / If-Match."""
from __future__ import annotations

import json

from flask import Blueprint, Response, current_app, request, url_for

from ..db import db
from ..errors import BadParameter, NotFound
from ..security import current_user
from ..services.features import catalog, writes
from .ogc_crs import CRS84, parse_crs
from .params import parse_feature_id

bp = Blueprint("ogc_write", __name__, url_prefix="/ogc")
JSON_TYPES = ("application/json", "application/geo+json", "application/merge-patch+json")



def _fid(raw: str) -> int:
    fid = parse_feature_id(raw)
    if fid is None:
        raise NotFound(f"不存在要素 {raw[:40]!r}", code="unknown_feature")
    return fid


def json_body() -> object:
    """Return the parsed JSON body, refusing other media types and malformed JSON (400)."""
    if request.mimetype not in JSON_TYPES:
        raise BadParameter("请求体须为 JSON（application/geo+json）",
                           code="unsupported_media_type", status=415)
    try:
        # NaN/Infinity literals parse, so that validation answers 422 naming the problem.
        return json.loads(request.get_data(as_text=True))
    except (ValueError, RecursionError):
        raise BadParameter("请求体不是有效的 JSON", code="bad_json") from None


def input_crs(body: object) -> writes.InputCrs:
    """Return the CRS of a write's geometry: ``Content-Crs`` (Part 4) or the body's ``crs`` member, else CRS84.

    The body's ``crs`` may be a URI or the GeoJSON 2008 form
    ``{"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::4547"}}``;
    when both are given they must name the same CRS (400 otherwise).
    """
    header = request.headers.get("Content-Crs")
    member = body.get("crs") if isinstance(body, dict) else None
    if isinstance(member, dict):
        member = (member.get("properties") or {}).get("name") if isinstance(member.get("properties"), dict) else None
        if member is None:
            raise BadParameter("请求体的 crs 须为坐标系 URI，或 GeoJSON 2008 的 name 对象（properties.name）",
                               code="bad_crs", details={"parameter": "crs"})
    if member is not None and not isinstance(member, str):
        raise BadParameter("请求体的 crs 须为坐标系 URI", code="bad_crs", details={"parameter": "crs"})
    from_header = parse_crs(header, "Content-Crs") if header else None
    from_body = parse_crs(member, "crs") if member else None
    if from_header and from_body and from_header.uri != from_body.uri:
        raise BadParameter("Content-Crs 与请求体的 crs 不一致", code="bad_crs", details={"parameter": "Content-Crs"})
    chosen = from_header or from_body or parse_crs(None)
    return writes.InputCrs(chosen.srid, chosen.north_first)


def write_response(result: writes.WriteResult, status: int, coll_id: str) -> Response:
    """Return the saved feature (plus hook results, lon/lat) with its ETag."""
    body = dict(result.feature or {})
    body.update(result.extra)
    resp = Response(json.dumps(body, ensure_ascii=False), status=status, mimetype="application/geo+json")
    resp.headers["ETag"] = result.etag
    resp.headers["Content-Crs"] = f"<{CRS84}>"
    if status == 201:
        resp.headers["Location"] = url_for("ogc.item", collection_id=coll_id,
                                           feature_id=result.feature_id, _external=True)
    return resp


def _max_vertices() -> int:
    return int(current_app.config.get("MAX_VERTICES", 100000))


@bp.post("/collections/<collection_id>/items")
def create_item(collection_id: str):
    """Create a feature (201 with Location and ETag)."""
    coll = catalog.require(collection_id, db.session)
    body = json_body()
    result = writes.create(db.session, coll, body, current_user(), _max_vertices(), input_crs(body))
    return write_response(result, 201, coll.id)


@bp.put("/collections/<collection_id>/items/<feature_id>")
def replace_item(collection_id: str, feature_id: str):
    """Replace a feature; requires If-Match."""
    coll = catalog.require(collection_id, db.session)
    body = json_body()
    result = writes.update(db.session, coll, _fid(feature_id), body, current_user(),
                           request.headers.get("If-Match"), _max_vertices(), replace=True, crs=input_crs(body))
    return write_response(result, 200, coll.id)


@bp.patch("/collections/<collection_id>/items/<feature_id>")
def update_item(collection_id: str, feature_id: str):
    """Update some attributes and/or the geometry; requires If-Match."""
    coll = catalog.require(collection_id, db.session)
    body = json_body()
    result = writes.update(db.session, coll, _fid(feature_id), body, current_user(),
                           request.headers.get("If-Match"), _max_vertices(), replace=False, crs=input_crs(body))
    return write_response(result, 200, coll.id)


@bp.delete("/collections/<collection_id>/items/<feature_id>")
def delete_item(collection_id: str, feature_id: str):
    """Delete a feature (kept, restorable by an admin); requires If-Match."""
    coll = catalog.require(collection_id, db.session)
    result = writes.delete(db.session, coll, _fid(feature_id), current_user(), request.headers.get("If-Match"))
    resp = Response(status=204)
    resp.headers["ETag"] = result.etag
    return resp


@bp.post("/collections/<collection_id>/items/<feature_id>/split")
def split_item(collection_id: str, feature_id: str):
    """Split a polygon into parts in one transaction ({"parts": [geometry, …]}); requires If-Match."""
    coll = catalog.require(collection_id, db.session)
    body = json_body()
    results = writes.split(db.session, coll, _fid(feature_id), body, current_user(),
                           request.headers.get("If-Match"), _max_vertices(), input_crs(body))
    body = {"type": "FeatureCollection",
            "features": [{**(r.feature or {}), **r.extra} for r in results],
            "etags": [r.etag for r in results]}
    resp = Response(json.dumps(body, ensure_ascii=False), status=200, mimetype="application/geo+json")
    resp.headers["ETag"] = results[0].etag  # the split feature's new version
    return resp
