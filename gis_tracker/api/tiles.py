"""Vector tiles: ``/tiles/<collection>/<z>/<x>/<y>.mvt`` and TileJSON ``/tiles/<collection>.json``."""
from __future__ import annotations

from flask import Blueprint, Response, jsonify, url_for

from ..db import db
from ..i18n import pick
from ..services.features import catalog, reads, tiles

bp = Blueprint("tiles", __name__, url_prefix="/tiles")
MVT = "application/vnd.mapbox-vector-tile"



@bp.get("/<collection_id>/<int:z>/<int:x>/<int:y>.mvt")
def tile(collection_id: str, z: int, x: int, y: int):
    """Return one Mapbox vector tile of the collection."""
    coll = catalog.require(collection_id, db.session)
    return Response(tiles.tile(db.session, coll, z, x, y), mimetype=MVT)


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
