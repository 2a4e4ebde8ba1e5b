"""OGC API – Features (Part 1 core, GeoJSON) at ``/ogc``, so QGIS and GDAL can read our layers."""
from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from urllib.parse import urlencode

from flask import Blueprint, Response, current_app, jsonify, request, url_for

from ..db import db
from ..errors import NotFound
from ..i18n import pick
from ..security import current_user
from ..services.features import catalog, reads
from . import exchange, ogc_html, ogc_schema, ogc_tiles
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
    # Part 3: queryables, ?name=value, filter (CQL2 text and JSON) on items
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables-query-parameters",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/filter",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/features-filter",
    "http://www.opengis.net/spec/cql2/1.0/conf/cql2-text",
    "http://www.opengis.net/spec/cql2/1.0/conf/cql2-json",
    "http://www.opengis.net/spec/cql2/1.0/conf/basic-cql2",
    "http://www.opengis.net/spec/cql2/1.0/conf/advanced-comparison-operators",
    "http://www.opengis.net/spec/cql2/1.0/conf/case-insensitive-comparison",
    "http://www.opengis.net/spec/cql2/1.0/conf/property-property",
    "http://www.opengis.net/spec/cql2/1.0/conf/basic-spatial-functions",
    "http://www.opengis.net/spec/cql2/1.0/conf/basic-spatial-functions-plus",
    "http://www.opengis.net/spec/cql2/1.0/conf/spatial-functions",
    "http://www.opengis.net/spec/cql2/1.0/conf/temporal-functions",
    # The draft name of basic-spatial-functions: QGIS before 3.44 sends spatial filters only when it sees this.
    "http://www.opengis.net/spec/cql2/1.0/conf/basic-spatial-operators",
    "http://www.opengis.net/spec/ogcapi-features-4/1.0/conf/create-replace-delete",
    "http://www.opengis.net/spec/ogcapi-features-4/1.0/conf/update",
    # Part 5: /collections/{id}/schema with x-ogc-role id, primary-geometry, primary-instant
    "http://www.opengis.net/spec/ogcapi-features-5/1.0/conf/schemas",
    "http://www.opengis.net/spec/ogcapi-features-5/1.0/conf/core-roles-features",
    # OGC API – Tiles: each collection's vector tiles in WebMercatorQuad (api/ogc_tiles.py)
    *ogc_tiles.CONFORMANCE,
]
GEOJSON = "application/geo+json"
REL_QUERYABLES = "http://www.opengis.net/def/rel/ogc/1.0/queryables"
REL_SCHEMA = "http://www.opengis.net/def/rel/ogc/1.0/schema"
TRS_GREGORIAN = "http://www.opengis.net/def/uom/ISO-8601/0/Gregorian"


def _href(endpoint: str, **values) -> str:
    return url_for(endpoint, **values, _external=True)


def doc_links(endpoint: str, media: str = "application/json", title: str | None = None, **values) -> list[dict]:
    """Return the ``self`` link (JSON or GeoJSON) and its ``alternate`` (HTML) for a document."""
    extra = {"title": title} if title else {}
    return [{"href": _href(endpoint, **values), "rel": "self", "type": media, **extra},
            {"href": _href(endpoint, **values, f="html"), "rel": "alternate", "type": "text/html", **extra}]


def _extent(coll: catalog.Collection) -> dict | None:
    extent = {}
    box = reads.extent(db.session, coll)
    if box:
        extent["spatial"] = {"bbox": [box], "crs": CRS84}
    period = reads.temporal_extent(db.session, coll)
    if period:
        extent["temporal"] = {"interval": [[f"{period[0].isoformat()}T00:00:00Z",
                                            f"{period[1].isoformat()}T23:59:59Z"]], "trs": TRS_GREGORIAN}
    return extent or None


def _collection_doc(coll: catalog.Collection) -> dict:
    title = pick(coll.title, coll.title_en)
    ids = {"collection_id": coll.id}
    user = current_user()
    role = user.role if user else None
    read_only = coll.read_only_fields(role)  # per role: what this user may not change
    doc = {
        "id": coll.id,
        "title": title,
        "description": coll.description,
        "itemType": "feature",
        "crs": served_uris(),
        "storageCrs": EPSG_URI.format(4547),
        "links": [
            *doc_links("ogc.collection", title=title, **ids),
            {"href": _href("ogc.items", **ids), "rel": "items", "type": GEOJSON, "title": title},
            {"href": _href("ogc.items", **ids, f="html"), "rel": "items", "type": "text/html", "title": title},
            {"href": _href("ogc.queryables", **ids), "rel": REL_QUERYABLES, "type": ogc_schema.SCHEMA_MEDIA,
             "title": pick("可查询属性", "Queryables")},
            {"href": _href("ogc.schema", **ids), "rel": REL_SCHEMA, "type": ogc_schema.SCHEMA_MEDIA,
             "title": pick("要素结构", "Schema of the features")},
            *ogc_tiles.collection_links(coll),
        ],
        # The fields as JSON Schema (the map's forms read them), readOnly for this user's role;
        # required ones listed in "required".
        "properties": {f.name: ogc_schema.property_schema(coll, f, read_only) for f in coll.fields},
        "required": ogc_schema.required_names(coll),
        "geometryType": coll.geometry_type,
        # Rights of the requesting user's role (services/features/catalog.py, the per-field table).
        "x-rights": {"role": role, "edit": role in coll.write_roles, "create": coll.may_create(role),
                     "delete": coll.may_delete(role), "geometry": coll.may_write_geometry(role)},
    }
    temporal = coll.temporal_field()
    if temporal is not None:
        doc["temporalProperty"] = temporal.name  # what ``datetime`` filters on
    extent = _extent(coll)
    if extent:
        doc["extent"] = extent
    return doc


@bp.get("")
@bp.get("/")
def landing():
    """Return the landing page with links to the API parts."""
    return _doc({
        "title": pick("石峰区规划数据服务", "Shifeng District planning data"),
        "description": pick("OGC API – Features：规划片区、搬迁企业、保护区、水体、建设项目",
                            "OGC API – Features: zones, enterprises, protected areas, water, projects"),
        "links": [
            *doc_links("ogc.landing", title=pick("首页", "landing page")),
            {"href": _href("ogc.conformance"), "rel": "conformance", "type": "application/json",
             "title": pick("符合的标准", "conformance")},
            {"href": _href("ogc.collections"), "rel": "data", "type": "application/json",
             "title": pick("数据集合", "collections")},
            {"href": _href("openapi.document"), "rel": "service-desc",
             "type": "application/vnd.oai.openapi+json;version=3.0", "title": "OpenAPI"},
            {"href": _href("openapi.document", f="html"), "rel": "service-doc", "type": "text/html",
             "title": pick("API 说明", "API documentation")},
            *ogc_tiles.landing_links(),
        ],
    }, pick("石峰区规划数据服务", "Shifeng District planning data"))


def _doc(doc: dict, title: str, crumbs=None, media: str | None = None):
    """Answer a document as JSON, or as HTML when the client asks for it."""
    if wants_html():
        return ogc_html.render_doc(doc, title, crumbs)
    resp = jsonify(doc)
    if media:
        resp.mimetype = media
    return resp


@bp.get("/conformance")
def conformance():
    """Return the conformance classes we implement."""
    return _doc({"conformsTo": CONFORMANCE, "links": doc_links("ogc.conformance")},
                pick("符合的标准", "Conformance"))


@bp.get("/collections")
def collections():
    """List the collections."""
    docs = [_collection_doc(c) for c in catalog.all_collections(db.session).values()]
    return _doc({"collections": docs, "links": doc_links("ogc.collections")}, pick("数据集合", "Collections"))


def _collection_crumbs():
    return [{"href": url_for("ogc.collections", f="html"), "title": pick("集合", "Collections")}]


@bp.get("/collections/<collection_id>")
def collection(collection_id: str):
    """Describe one collection."""
    coll = catalog.require(collection_id, db.session)
    doc = _collection_doc(coll)
    return _doc(doc, doc["title"], _collection_crumbs())


@bp.get("/collections/<collection_id>/queryables")
def queryables(collection_id: str):
    """Return the properties a filter may use (Part 3), as JSON Schema."""
    coll = catalog.require(collection_id, db.session)
    doc = ogc_schema.queryables(coll, _href("ogc.queryables", collection_id=coll.id))
    doc["links"] = doc_links("ogc.queryables", ogc_schema.SCHEMA_MEDIA, collection_id=coll.id)
    return _doc(doc, f"{pick(coll.title, coll.title_en)} · {pick('可查询属性', 'Queryables')}",
                _collection_crumbs(), media=ogc_schema.SCHEMA_MEDIA)


@bp.get("/collections/<collection_id>/schema")
def schema(collection_id: str):
    """Return the schema of the collection's features (Part 5), as JSON Schema."""
    coll = catalog.require(collection_id, db.session)
    doc = ogc_schema.feature_schema(coll, _href("ogc.schema", collection_id=coll.id))
    doc["links"] = doc_links("ogc.schema", ogc_schema.SCHEMA_MEDIA, collection_id=coll.id)
    return _doc(doc, f"{pick(coll.title, coll.title_en)} · {pick('要素结构', 'Schema')}",
                _collection_crumbs(), media=ogc_schema.SCHEMA_MEDIA)


def _page_link(coll_id: str, rel: str, offset: int, limit: int, media: str = GEOJSON) -> dict:
    args = {k: v for k, v in request.args.items() if k not in ("offset", "limit", "f")}
    args.update({"offset": offset, "limit": limit})
    if media == "text/html":
        args["f"] = "html"
    href = url_for("ogc.items", collection_id=coll_id, _external=True) + "?" + urlencode(args)
    return {"href": href, "rel": rel, "type": media}


def feature_links(coll: catalog.Collection) -> reads.FeatureLinks:
    """Return the links every served feature of ``coll`` carries (self, collection)."""
    prefix = _href("ogc.item", collection_id=coll.id, feature_id="0")[:-1]
    return reads.FeatureLinks(prefix, _href("ogc.collection", collection_id=coll.id))


@bp.get("/collections/<collection_id>/items")
@db.autocommit_reads(when=lambda: request.args.get("f") not in exchange.OGC_EXPORT_FORMATS)  # reads only
def items(collection_id: str):
    """Return features as a GeoJSON FeatureCollection, paged with ``next`` links."""
    if request.args.get("f") in exchange.OGC_EXPORT_FORMATS:  # a file download (data exchange)
        return exchange.export_items(collection_id, request.args["f"])
    coll = catalog.require(collection_id, db.session)
    cfg = current_app.config
    query = parse_item_query(request.args, cfg["OGC_DEFAULT_LIMIT"], cfg["OGC_MAX_LIMIT"], coll)
    page = reads.query_items(db.session, coll, query, feature_links(coll))
    links = [_page_link(coll.id, "self", query.offset, query.limit),
             _page_link(coll.id, "alternate", query.offset, query.limit, "text/html")]
    if query.offset + len(page.features) < page.number_matched:
        links.append(_page_link(coll.id, "next", query.offset + query.limit, query.limit))
    if query.offset > 0:
        links.append(_page_link(coll.id, "prev", max(0, query.offset - query.limit), query.limit))
    links.append({"href": _href("ogc.collection", collection_id=coll.id), "rel": "collection",
                  "type": "application/json", "title": pick(coll.title, coll.title_en)})
    head = {
        "type": "FeatureCollection",
        "numberMatched": page.number_matched,
        "numberReturned": len(page.features),
        "timeStamp": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "links": links,
    }
    body = json.dumps(head, ensure_ascii=False)[:-1] + ',"features":[' + ",".join(page.features) + "]}"
    if wants_html():
        return ogc_html.render_features(body, pick(coll.title, coll.title_en), coll.id)
    resp = Response(body, mimetype=GEOJSON)
    resp.headers["Content-Crs"] = f"<{_crs_uri(query)}>"
    # The page differs from one second to the next only by its timeStamp: a weak ETag of the rest lets an
    # unchanged page answer 304 (If-None-Match) whenever it is asked again.
    stable = {k: v for k, v in head.items() if k != "timeStamp"}
    digest = hashlib.sha1(json.dumps(stable, ensure_ascii=False).encode())
    for feature in page.features:
        digest.update(feature.encode())
    resp.headers["ETag"] = f'W/"{digest.hexdigest()}"'
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
    links = [*doc_links("ogc.item", GEOJSON, collection_id=coll.id, feature_id=fid),
             {"href": _href("ogc.collection", collection_id=coll.id), "rel": "collection",
              "type": "application/json", "title": pick(coll.title, coll.title_en)}]
    text = text[:-1] + ',"links":' + json.dumps(links, ensure_ascii=False) + "}"
    if wants_html():
        return ogc_html.render_features(text, f"{pick(coll.title, coll.title_en)} #{fid}", coll.id)
    resp = Response(text, mimetype=GEOJSON)
    resp.headers["ETag"] = item_etag(coll.id, fid, version)
    resp.headers["Content-Crs"] = f"<{_crs_uri(query)}>"
    return resp
