"""OGC API – Features (Part 1 core, GeoJSON) at ``/ogc``, so QGIS and GDAL can read our layers."""
from __future__ import annotations

import json
from urllib.parse import urlencode

from flask import Blueprint, Response, current_app, jsonify, request, url_for

from ..db import db
from ..errors import NotFound
from ..i18n import pick
from ..services.features import catalog, reads
from . import exchange, ogc_html
from .ogc_crs import CRS84, EPSG_URI, served_uris
from .ogc_html import wants_html
from .params import parse_feature_id, parse_item_query

bp = Blueprint("ogc", __name__, url_prefix="/ogc")

CONFORMANCE = [
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/html",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
    "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs",
    "http://www.opengis.net/spec/ogcapi-features-4/1.0/conf/create-replace-delete",
    "http://www.opengis.net/spec/ogcapi-features-4/1.0/conf/update",
]
GEOJSON = "application/geo+json"



def _collection_doc(coll: catalog.Collection, ext: list[float] | None = None) -> dict:
    base = url_for("ogc.collection", collection_id=coll.id, _external=True)
    doc = {
        "id": coll.id,
        "title": pick(coll.title, coll.title_en),
        "description": coll.description,
        "itemType": "feature",
        "crs": served_uris(),
        "storageCrs": EPSG_URI.format(4547),
        "links": [
            {"href": base, "rel": "self", "type": "application/json", "title": coll.title},
            {"href": base + "/items", "rel": "items", "type": GEOJSON, "title": coll.title},
        ],
        "properties": {
            f.name: {"type": f.type, "title": pick(f.label, f.label_en), "required": f.required,
                     **({"enum": list(f.choices)} if f.choices else {}),
                     **({"readOnly": True} if not f.editable else {})}
            for f in coll.fields
        },
        "geometryType": coll.geometry_type,
    }
    if ext:
        doc["extent"] = {"spatial": {"bbox": [ext], "crs": CRS84}}
    return doc


@bp.get("")
@bp.get("/")
def landing():
    """Return the landing page with links to the API parts."""
    root = url_for("ogc.landing", _external=True).rstrip("/")
    return _doc({
        "title": pick("石峰区规划数据服务", "Shifeng District planning data"),
        "description": pick("OGC API – Features：规划片区、搬迁企业、保护区、水体、建设项目",
                            "OGC API – Features: zones, enterprises, protected areas, water, projects"),
        "links": [
            {"href": root, "rel": "self", "type": "application/json", "title": "landing page"},
            {"href": root + "/conformance", "rel": "conformance", "type": "application/json",
             "title": "conformance"},
            {"href": root + "/collections", "rel": "data", "type": "application/json",
             "title": "collections"},
            {"href": root + "/openapi", "rel": "service-desc",
             "type": "application/vnd.oai.openapi+json;version=3.0", "title": "OpenAPI"},
        ],
    }, pick("石峰区规划数据服务", "Shifeng District planning data"))


def _doc(doc: dict, title: str, crumbs=None):
    """Answer a document as JSON, or as HTML when the client asks for it."""
    if wants_html():
        return ogc_html.render_doc(doc, title, crumbs)
    return jsonify(doc)


@bp.get("/conformance")
def conformance():
    """Return the conformance classes we implement."""
    return _doc({"conformsTo": CONFORMANCE}, pick("符合的标准", "Conformance"))


@bp.get("/collections")
def collections():
    """List the collections."""
    docs = [_collection_doc(c, reads.extent(db.session, c))
            for c in catalog.all_collections(db.session).values()]
    return _doc({
        "collections": docs,
        "links": [{"href": url_for("ogc.collections", _external=True), "rel": "self",
                   "type": "application/json"}],
    }, pick("数据集合", "Collections"))


@bp.get("/collections/<collection_id>")
def collection(collection_id: str):
    """Describe one collection."""
    coll = catalog.require(collection_id, db.session)
    doc = _collection_doc(coll, reads.extent(db.session, coll))
    return _doc(doc, doc["title"], [{"href": url_for("ogc.collections", f="html"),
                                     "title": pick("集合", "Collections")}])


def _page_link(coll_id: str, rel: str, offset: int, limit: int) -> dict:
    args = {k: v for k, v in request.args.items() if k not in ("offset", "limit")}
    args.update({"offset": offset, "limit": limit})
    href = url_for("ogc.items", collection_id=coll_id, _external=True) + "?" + urlencode(args)
    return {"href": href, "rel": rel, "type": GEOJSON}


@bp.get("/collections/<collection_id>/items")
@db.autocommit_reads(when=lambda: request.args.get("f") not in exchange.OGC_EXPORT_FORMATS)  # reads only
def items(collection_id: str):
    """Return features as a GeoJSON FeatureCollection, paged with ``next`` links."""
    if request.args.get("f") in exchange.OGC_EXPORT_FORMATS:  # a file download (data exchange)
        return exchange.export_items(collection_id, request.args["f"])
    coll = catalog.require(collection_id, db.session)
    cfg = current_app.config
    query = parse_item_query(request.args, cfg["OGC_DEFAULT_LIMIT"], cfg["OGC_MAX_LIMIT"], coll)
    page = reads.query_items(db.session, coll, query)
    links = [_page_link(coll.id, "self", query.offset, query.limit)]
    if query.offset + len(page.features) < page.number_matched:
        links.append(_page_link(coll.id, "next", query.offset + query.limit, query.limit))
    if query.offset > 0:
        links.append(_page_link(coll.id, "prev", max(0, query.offset - query.limit), query.limit))
    head = {
        "type": "FeatureCollection",
        "numberMatched": page.number_matched,
        "numberReturned": len(page.features),
        "links": links,
    }
    body = json.dumps(head, ensure_ascii=False)[:-1] + ',"features":[' + ",".join(page.features) + "]}"
    if wants_html():
        return ogc_html.render_features(body, pick(coll.title, coll.title_en), coll.id)
    resp = Response(body, mimetype=GEOJSON)
    resp.headers["Content-Crs"] = f"<{_crs_uri(query)}>"
    return resp


def _crs_uri(query) -> str:
    if query.out_srid == 4326 and not query.north_first:
        return CRS84
    return EPSG_URI.format(query.out_srid)


def item_etag(collection_id: str, fid: int, version: int) -> str:
    """Return the strong ETag of a feature version."""
    return f'"{collection_id}-{fid}-v{version}"'


@bp.get("/collections/<collection_id>/items/<feature_id>")
@db.autocommit_reads()  # reads only
def item(collection_id: str, feature_id: str):
    """Return one feature with its ETag."""
    coll = catalog.require(collection_id, db.session)
    fid = parse_feature_id(feature_id)
    query = parse_item_query({k: v for k, v in request.args.items() if k in ("crs", "f", "lang")},
                             1, 1, coll)
    found = reads.get_item(db.session, coll, fid, query) if fid is not None else None
    if found is None:
        raise NotFound(f"{coll.id} 中不存在要素 {feature_id[:40]!r}", code="unknown_feature")
    text, version = found
    if wants_html():
        return ogc_html.render_features(text, f"{pick(coll.title, coll.title_en)} #{fid}", coll.id)
    resp = Response(text, mimetype=GEOJSON)
    resp.headers["ETag"] = item_etag(coll.id, fid, version)
    resp.headers["Content-Crs"] = f"<{_crs_uri(query)}>"
    return resp
