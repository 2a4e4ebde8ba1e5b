"""Vector tiles: ``/tiles/<collection>/<z>/<x>/<y>.mvt`` and TileJSON ``/tiles/<collection>.json``."""
from __future__ import annotations

import gzip
import hashlib

from flask import Blueprint, Response, jsonify, request, url_for

from ..db import db
from ..i18n import pick
from ..services.features import catalog, reads, tiles

bp = Blueprint("tiles", __name__, url_prefix="/tiles")
MVT = "application/vnd.mapbox-vector-tile"



def mvt_response(collection_id: str, z: int, x: int, y: int) -> Response:
    """Answer one tile of a collection (404 for an unknown one) as cached: gzip-compressed as stored
    when the client accepts gzip (browsers, QGIS, GDAL do), else uncompressed; with a strong ETag of
    the stored tile (304 on If-None-Match).  A cached tile costs one query (tiles.serve)."""
    stored = tiles.serve(db.session, collection_id, z, x, y)
    if tiles.is_gzip(stored) and "gzip" not in request.headers.get("Accept-Encoding", ""):
        resp = Response(gzip.decompress(stored), mimetype=MVT)
    else:
        resp = Response(stored, mimetype=MVT)
        if tiles.is_gzip(stored):
            resp.headers["Content-Encoding"] = "gzip"
    resp.headers["ETag"] = '"' + hashlib.sha1(stored).hexdigest() + '"'
    resp.vary.add("Accept-Encoding")
    return resp


@bp.get("/<collection_id>/<int:z>/<int:x>/<int:y>.mvt")
@db.autocommit_reads()  # a rendered tile is kept with one INSERT (its epoch check inside)
def tile(collection_id: str, z: int, x: int, y: int):
    """Return one Mapbox vector tile of the collection."""
    return mvt_response(collection_id, z, x, y)


@bp.get("/<collection_id>.json")
def tilejson(collection_id: str):
    """Return the TileJSON 3.0 description of a collection's tiles."""
    coll = catalog.require(collection_id, db.session)
    template = url_for("tiles.tile", collection_id=coll.id, z=0, x=0, y=0, _external=True)
    template = template.replace("/0/0/0.mvt", "/{z}/{x}/{y}.mvt")
    return jsonify({
        "tilejson": "3.0.0",
        "name": pick(coll.title, coll.title_en),
        "tiles": [template],
        "minzoom": 0,
        "maxzoom": tiles.MAX_ZOOM,
        "bounds": reads.extent(db.session, coll) or [-180, -85, 180, 85],
        # Every feature carries its id as the MVT feature id and as the "id" attribute.
        "vector_layers": [{"id": coll.id, "fields": {
            "id": pick("要素编号", "feature id"),
            **{f.name: pick(f.label, f.label_en) for f in tiles.tile_fields(coll)}}}],
    })
