"""OGC API – Tiles: each collection's vector tiles in the WebMercatorQuad tile matrix set.

The same tiles as ``/tiles/{collection}/{z}/{x}/{y}.mvt`` (built and cached by
:mod:`services.features.tiles`), described the way OGC clients (QGIS, GDAL's
OGCAPI driver) discover them: ``/ogc/collections/{id}/tiles`` lists the
tilesets, ``…/tiles/WebMercatorQuad`` is the tileset metadata with its tile
URL template, and the tile itself is
``…/tiles/WebMercatorQuad/{tileMatrix}/{tileRow}/{tileCol}`` — zoom, then
row (y), then column (x), as the standard orders them.
``/ogc/tileMatrixSets/WebMercatorQuad`` is the tile matrix set definition
(OGC TMS 2.0 JSON).
"""
from __future__ import annotations

import math

from flask import Blueprint, Response, jsonify, url_for

from ..db import db
from ..errors import NotFound
from ..i18n import pick
from ..services.features import catalog, reads, tiles
from . import ogc_schema
from .ogc_crs import CRS84

bp = Blueprint("ogc_tiles", __name__, url_prefix="/ogc")

MVT = "application/vnd.mapbox-vector-tile"
TMS_ID = "WebMercatorQuad"
TMS_URI = "http://www.opengis.net/def/tilematrixset/OGC/1.0/WebMercatorQuad"
MERCATOR_CRS = "http://www.opengis.net/def/crs/EPSG/0/3857"
REL_TILESETS_VECTOR = "http://www.opengis.net/def/rel/ogc/1.0/tilesets-vector"
REL_TILING_SCHEME = "http://www.opengis.net/def/rel/ogc/1.0/tiling-scheme"
REL_TILING_SCHEMES = "http://www.opengis.net/def/rel/ogc/1.0/tiling-schemes"
ORIGIN = 20037508.3427892
TILE_SIZE = 256
CONFORMANCE = [
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/tileset",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/tilesets-list",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/geodata-tilesets",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/mvt",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/oas30",
    "http://www.opengis.net/spec/tms/2.0/conf/tilematrixset",
    "http://www.opengis.net/spec/tms/2.0/conf/json-tilematrixset",
]


def _href(endpoint: str, **values) -> str:
    return url_for(endpoint, **values, _external=True)


def landing_links() -> list[dict]:
    """Return the landing page's link to the tile matrix sets."""
    return [{"href": _href("ogc_tiles.tile_matrix_sets"), "rel": REL_TILING_SCHEMES, "type": "application/json",
             "title": pick("瓦片矩阵集", "Tile matrix sets")}]


def collection_links(coll: catalog.Collection) -> list[dict]:
    """Return a collection's link to its vector tilesets."""
    return [{"href": _href("ogc_tiles.tilesets", collection_id=coll.id), "rel": REL_TILESETS_VECTOR,
             "type": "application/json", "title": pick("矢量瓦片", "Vector tiles")}]


def _tile_matrix(z: int) -> dict:
    cell = 2 * ORIGIN / TILE_SIZE / 2 ** z
    return {"id": str(z), "scaleDenominator": cell / 0.00028, "cellSize": cell, "cornerOfOrigin": "topLeft",
            "pointOfOrigin": [-ORIGIN, ORIGIN], "tileWidth": TILE_SIZE, "tileHeight": TILE_SIZE,
            "matrixWidth": 2 ** z, "matrixHeight": 2 ** z}


def _tms_summary() -> dict:
    return {"id": TMS_ID, "title": "Google Maps Compatible for the World", "uri": TMS_URI,
            "crs": MERCATOR_CRS,
            "links": [{"href": _href("ogc_tiles.tile_matrix_set", tms_id=TMS_ID), "rel": REL_TILING_SCHEME,
                       "type": "application/json", "title": TMS_ID}]}


@bp.get("/tileMatrixSets")
def tile_matrix_sets():
    """List the tile matrix sets (WebMercatorQuad only)."""
    return jsonify({"tileMatrixSets": [_tms_summary()],
                    "links": [{"href": _href("ogc_tiles.tile_matrix_sets"), "rel": "self",
                               "type": "application/json"}]})


def _require_tms(tms_id: str) -> None:
    if tms_id != TMS_ID:
        raise NotFound(f"瓦片矩阵集 {tms_id[:40]!r} 不存在；可用：{TMS_ID}", code="unknown_tile_matrix_set")


@bp.get("/tileMatrixSets/<tms_id>")
def tile_matrix_set(tms_id: str):
    """Return the definition of WebMercatorQuad (OGC TMS 2.0 JSON, zoom 0 to the tiles' maximum)."""
    _require_tms(tms_id)
    return jsonify({
        "id": TMS_ID, "title": "Google Maps Compatible for the World", "uri": TMS_URI, "crs": MERCATOR_CRS,
        "orderedAxes": ["X", "Y"], "wellKnownScaleSet": "http://www.opengis.net/def/wkss/OGC/1.0/GoogleMapsCompatible",
        "tileMatrices": [_tile_matrix(z) for z in range(tiles.MAX_ZOOM + 1)],
    })


def _limits(box: list[float] | None) -> list[dict]:
    """Return the rows and columns of each zoom that cover the collection's extent (lon/lat box)."""
    if not box:
        return []
    minx, miny, maxx, maxy = box
    limits = []
    for z in range(tiles.MAX_ZOOM + 1):
        n = 2 ** z

        def col(lon: float) -> int:
            return min(n - 1, max(0, int((lon + 180) / 360 * n)))  # noqa: B023 - n of this zoom

        def row(lat: float) -> int:
            lat = max(-85.0511, min(85.0511, lat))
            y = (1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2
            return min(n - 1, max(0, int(y * n)))  # noqa: B023

        limits.append({"tileMatrix": str(z), "minTileRow": row(maxy), "maxTileRow": row(miny),
                       "minTileCol": col(minx), "maxTileCol": col(maxx)})
    return limits


def _tileset(coll: catalog.Collection, with_details: bool) -> dict:
    title = pick(coll.title, coll.title_en)
    template = _href("ogc_tiles.tile", collection_id=coll.id, tms_id=TMS_ID, tile_matrix=0, tile_row=0,
                     tile_col=0).replace("/0/0/0", "/{tileMatrix}/{tileRow}/{tileCol}")
    doc = {
        "title": title, "dataType": "vector", "crs": MERCATOR_CRS, "tileMatrixSetURI": TMS_URI,
        "links": [
            {"href": _href("ogc_tiles.tileset", collection_id=coll.id, tms_id=TMS_ID),
             "rel": "self" if with_details else "http://www.opengis.net/def/rel/ogc/1.0/tileset",
             "type": "application/json", "title": title},
            {"href": _href("ogc_tiles.tile_matrix_set", tms_id=TMS_ID), "rel": REL_TILING_SCHEME,
             "type": "application/json", "title": TMS_ID},
            {"href": template, "rel": "item", "type": MVT, "templated": True, "title": title},
        ],
    }
    if with_details:
        box = reads.extent(db.session, coll)
        geometry_dimension = 0 if "Point" in coll.geometry_type else 2 if "Polygon" in coll.geometry_type else None
        layer = {"id": coll.id, "title": title, "dataType": "vector", "minTileMatrix": "0",
                 "maxTileMatrix": str(tiles.MAX_ZOOM),
                 "propertiesSchema": {"type": "object", "properties": {
                     "id": {"type": "integer", "x-ogc-role": "id", "title": pick("要素编号", "Feature id")},
                     **{f.name: ogc_schema.property_schema(coll, f) for f in tiles.tile_fields(coll)}}}}
        if geometry_dimension is not None:
            layer["geometryDimension"] = geometry_dimension
        doc["layers"] = [layer]
        doc["tileMatrixSetLimits"] = _limits(box)
        if box:
            doc["boundingBox"] = {"lowerLeft": box[:2], "upperRight": box[2:], "crs": CRS84}
        doc["links"].append({"href": _href("ogc.collection", collection_id=coll.id), "rel": "collection",
                             "type": "application/json", "title": title})
    return doc


@bp.get("/collections/<collection_id>/tiles")
def tilesets(collection_id: str):
    """List a collection's vector tilesets (one: WebMercatorQuad)."""
    coll = catalog.require(collection_id, db.session)
    return jsonify({"tilesets": [_tileset(coll, with_details=False)],
                    "links": [{"href": _href("ogc_tiles.tilesets", collection_id=coll.id), "rel": "self",
                               "type": "application/json"}]})


@bp.get("/collections/<collection_id>/tiles/<tms_id>")
def tileset(collection_id: str, tms_id: str):
    """Return the tileset metadata: tile URL template, layer, limits, bounding box."""
    coll = catalog.require(collection_id, db.session)
    _require_tms(tms_id)
    return jsonify(_tileset(coll, with_details=True))


@bp.get("/collections/<collection_id>/tiles/<tms_id>/<int:tile_matrix>/<int:tile_row>/<int:tile_col>")
def tile(collection_id: str, tms_id: str, tile_matrix: int, tile_row: int, tile_col: int):
    """Return one vector tile: zoom ``tileMatrix``, row (y) ``tileRow``, column (x) ``tileCol``."""
    coll = catalog.require(collection_id, db.session)
    _require_tms(tms_id)
    data = tiles.get_tile(db.session, coll, tile_matrix, tile_col, tile_row)
    return Response(data, mimetype=MVT)
