"""Mapbox vector tiles (MVT) of any collection, built in PostGIS and cached.

A tile is built in one query, in the order that keeps PostgreSQL's work per
feature small (measured on 100,000 parcels and a 200,000-vertex protected area,
``bench/peers.py``):

1. features are found with the GiST index by the tile's box in the storage CRS
   (EPSG:4547) — the tile plus its buffer, transformed once per tile;
2. polygons and lines are clipped to that box *in EPSG:4547*
   (``ST_ClipByBox2D``), so only what the tile shows is projected: a large
   polygon is not transformed whole for every tile it touches;
3. up to zoom 14 they are simplified to half a tile pixel with plain
   Douglas-Peucker (``ST_Simplify``, collapsed parts kept), 10–40× cheaper than
   ``ST_SimplifyPreserveTopology``; ``ST_AsMVTGeom`` then snaps to the tile grid
   and its clipping (wagyu) returns valid polygons;
4. the geometry is projected to Web Mercator and encoded; each feature carries
   its id as the MVT feature id and as the ``id`` attribute.

The app's connections run without parallel workers and are warmed (PostGIS and
PROJ loaded) when opened (``db.py``): a parallel worker is a fresh backend that
spent ~100 ms loading PostGIS and PROJ before 5–20 ms of work.

Rendered tiles are cached in ``tile_cache`` with the box they were built from;
every write deletes the cached tiles whose box touches the feature's old and
new geometry, in the write's own transaction.  A per-collection epoch, bumped
by each write and checked (``FOR SHARE``) when a freshly rendered tile is
stored, keeps a tile rendered from pre-write data from being cached after the
write: a tile is never stale after a write.
"""
from __future__ import annotations

import gzip
import logging
import math
from types import SimpleNamespace

from sqlalchemy import Text, cast, func, literal, literal_column, select, text
from sqlalchemy.orm import Session
from zlib_ng import gzip_ng

from ...db import STORAGE_SRID
from ...errors import NotFound
from ...models import FeatureVersion
from . import catalog, write_events
from .catalog import Collection

LOGGER = logging.getLogger(__name__)
EXTENT = 4096
BUFFER = 64
MAX_ZOOM = 22
WEB_MERCATOR_SIZE = 2 * 20037508.342789244
METRES_PER_MERCATOR_UNIT = 0.884  # cos(27.9°): Mercator stretch at the district's latitude
SIMPLIFY_MAX_ZOOM = 14  # above it ST_AsMVTGeom's grid snapping leaves nothing for simplifying to remove (measured)
_DROPPED = "tiles_dropped"  # session.info key: what this session's writes invalidated
FEATURE_ID = "_mvt_feature_id"  # the column ST_AsMVT takes the MVT feature id from
GZIP_MAGIC = b"\x1f\x8b"
GZIP_LEVEL = 3  # zlib-ng: much faster than zlib's level 5 for about the same size on tiles
# Where EPSG:4547 (Gauss-Kruger, CM 114°E) is usable, in Web Mercator metres: 94–134°E, 0–60°N.
DOMAIN_3857 = (10464032.13, 0.0, 14916811.77, 8399737.89)


def check_tile(z: int, x: int, y: int) -> None:
    """Refuse tile addresses outside the tile matrix (404)."""
    if not (0 <= z <= MAX_ZOOM and 0 <= x < 2 ** z and 0 <= y < 2 ** z):
        raise NotFound("瓦片不存在", code="unknown_tile")


def simplify_tolerance(z: int) -> float:
    """Return half a tile pixel at zoom ``z``, in metres on the ground."""
    return WEB_MERCATOR_SIZE / 2 ** z / EXTENT / 2 * METRES_PER_MERCATOR_UNIT


def tile_fields(coll: Collection) -> list:
    """Return the fields a tile carries: what drawing needs (style and label), not every attribute.

    Popups fetch the full feature from the OGC API by id, so tiles stay small.
    """
    wanted = {coll.style_by, coll.label_field, "name"}
    return [f for f in coll.fields if f.name in wanted and f.type != "object"]


def _property_columns(coll: Collection) -> list:
    cols = []
    for f in tile_fields(coll):
        if coll.storage == "jsonb":
            expr = coll.model.properties[f.name].astext
        else:
            expr = f.expr() if f.expr else getattr(coll.model, f.name)
        if f.type == "date":
            expr = cast(expr, Text)
        cols.append(expr.label(f.name))
    return cols


# The box (EPSG:4547) of a tile and its buffer, within the storage CRS's domain (see tile_box).
# Plain SQL with bound values: it runs on every tile request, and building it as an expression
# (and its cache key) cost more Python time than the query.
_BOX_SQL = ("SELECT ST_Transform(ST_Segmentize(ST_Intersection(ST_Expand(ST_TileEnvelope(:z, :x, :y), :margin), "
            "ST_MakeEnvelope(:dx0, :dy0, :dx1, :dy1, 3857)), :segment), 4547) AS b")
_LOOKUP = text(
    "SELECT (SELECT data FROM tile_cache WHERE collection = :c AND z = :z AND x = :x AND y = :y), "
    "(SELECT epoch FROM tile_epochs WHERE collection = :c), "
    "(SELECT to_jsonb(l) FROM user_layers l WHERE :user_layer AND l.name = :c AND l.deleted_at IS NULL), "
    "ST_XMin(b), ST_YMin(b), ST_XMax(b), ST_YMax(b) FROM (" + _BOX_SQL + ") s")
_BOX = text("SELECT ST_XMin(b), ST_YMin(b), ST_XMax(b), ST_YMax(b) FROM (" + _BOX_SQL + ") s")


def _box_params(z: int, x: int, y: int) -> dict:
    size = WEB_MERCATOR_SIZE / 2 ** z
    dx0, dy0, dx1, dy1 = DOMAIN_3857
    return {"z": z, "x": x, "y": y, "margin": size * BUFFER / EXTENT, "segment": min(size / 4, 50_000.0),
            "dx0": dx0, "dy0": dy0, "dx1": dx1, "dy1": dy1}


def tile_box(session: Session, z: int, x: int, y: int) -> tuple[float, float, float, float] | None:
    """Return the box (EPSG:4547) a tile is built from, searched by and cached with; None outside.

    The tile plus its buffer, cut to the storage CRS's domain (a Gauss-Kruger zone is
    meaningless, and PROJ fails, far from its meridian: a zoom-0 tile spans the globe),
    densified so the box holds the tile's edges, which are curved once projected.  None for
    a tile outside the domain: no stored feature can be there.
    """
    row = session.execute(_BOX, _box_params(z, x, y)).one()
    return None if row[0] is None else (row[0], row[1], row[2], row[3])


def render(session: Session, coll: Collection, z: int, x: int, y: int,
           box: tuple[float, float, float, float] | None = None) -> bytes:
    """Build one MVT tile of ``coll`` (layer name = collection id; feature id = the feature's id)."""
    box = box or tile_box(session, z, x, y)
    if box is None:
        return b""
    model = coll.model
    envelope = func.ST_MakeEnvelope(*box, STORAGE_SRID)
    geom = model.geom
    if coll.geometry_type not in ("Point", "MultiPoint"):
        geom = func.ST_ClipByBox2D(geom, func.Box2D(envelope))
        if z <= SIMPLIFY_MAX_ZOOM:
            geom = func.ST_Simplify(geom, simplify_tolerance(z), True)
    mvt_geom = func.ST_AsMVTGeom(func.ST_Transform(geom, 3857), func.ST_TileEnvelope(z, x, y),
                                 EXTENT, BUFFER, True)
    # No "geometry IS NOT NULL" filter: ST_AsMVT skips NULL geometries itself, and the filter
    # would be pushed into the scan and the whole geometry pipeline evaluated twice per row.
    inner = (select(mvt_geom.label("geom"), model.id.label("id"), model.id.label(FEATURE_ID),
                    *_property_columns(coll))
             .where(model.geom.op("&&")(envelope), model.deleted_at.is_(None), *coll.scope())
             .subquery("q"))
    stmt = select(func.ST_AsMVT(literal_column("q"), literal(coll.id), EXTENT, literal("geom"),
                                literal(FEATURE_ID))).select_from(inner)
    return bytes(session.scalar(stmt) or b"")


def is_gzip(stored: bytes) -> bool:
    """Tell whether a stored tile is gzip-compressed (an MVT never starts with gzip's magic number)."""
    return bytes(stored[:2]) == GZIP_MAGIC


def _compress(mvt: bytes) -> bytes:
    """Return the tile as stored: gzip-compressed from 1 KiB on (what browsers and QGIS ask for)."""
    return gzip_ng.compress(mvt, compresslevel=GZIP_LEVEL, mtime=0) if len(mvt) >= 1024 else mvt


def tile(session: Session, coll: Collection, z: int, x: int, y: int) -> bytes:
    """Return one MVT tile of ``coll`` (uncompressed): cached, or rendered and cached.  The tile service."""
    stored = stored_tile(session, coll, z, x, y)
    return gzip.decompress(stored) if is_gzip(stored) else stored


get_tile = tile  # the name the tile seeding and older callers use


def stored_tile(session: Session, coll: Collection, z: int, x: int, y: int) -> bytes:
    """Return a tile of ``coll`` as cached (gzip-compressed when 1 KiB or more; see :func:`is_gzip`)."""
    return serve(session, coll.id, z, x, y, coll)


def serve(session: Session, collection_id: str, z: int, x: int, y: int, coll: Collection | None = None) -> bytes:
    """Return a tile as cached, or render and cache it (unless a write raced us); 404 for an unknown one.

    Round trips are few on purpose: one query finds the cached tile — or, on a miss, the
    collection's epoch, the tile's box and (for a user layer) the layer's definition; then one
    renders and one stores (without waiting for the WAL flush: a cached tile lost in a crash is
    only rendered again).  A user layer that is gone has no tiles, cached or not.
    """
    check_tile(z, x, y)
    builtin = collection_id in catalog.collections()
    row = session.execute(_LOOKUP, {**_box_params(z, x, y), "c": collection_id,
                                    "user_layer": not builtin and coll is None}).one()
    if coll is None:
        coll = (catalog.collections()[collection_id] if builtin else
                catalog.user_layer_collection(SimpleNamespace(**row[2])) if row[2] else None)
        if coll is None:
            catalog.require(collection_id, session)  # raises the usual 404 (unknown_collection)
    if row[0] is not None:
        return bytes(row[0])
    keys = {"c": coll.id, "z": z, "x": x, "y": y}
    epoch, box = row[1], (None if row[3] is None else (row[3], row[4], row[5], row[6]))
    if epoch is None:  # first tile of the collection: create the row writers bump and we check
        session.execute(text("INSERT INTO tile_epochs (collection, epoch) VALUES (:c, 0) ON CONFLICT DO NOTHING"),
                        keys)
        session.commit()
        epoch = session.execute(text("SELECT epoch FROM tile_epochs WHERE collection = :c"), keys).scalar()
    if box is None:  # outside the storage CRS's domain: always empty, nothing to cache
        session.rollback()
        return b""
    stored = _compress(render(session, coll, z, x, y, box))
    # Kept only if no write bumped the epoch since we read it (FOR SHARE: a write that comes
    # later waits for our commit, then deletes this tile).
    session.execute(text(
        "WITH quick AS (SELECT set_config('synchronous_commit', 'off', true)) "
        "INSERT INTO tile_cache (collection, z, x, y, data, bounds) "
        "SELECT :c, :z, :x, :y, :data, ST_MakeEnvelope(:x0, :y0, :x1, :y1, :srid) FROM quick "
        "WHERE (SELECT epoch FROM tile_epochs WHERE collection = :c FOR SHARE) = :e "
        "ON CONFLICT DO NOTHING"),
        {**keys, "data": stored, "srid": STORAGE_SRID, "e": epoch,
         "x0": box[0], "y0": box[1], "x1": box[2], "y1": box[3]})
    session.commit()
    return stored


def _bump_epoch(session: Session, collection_id: str) -> None:
    session.execute(text(
        "INSERT INTO tile_epochs (collection, epoch) VALUES (:c, 1) "
        "ON CONFLICT (collection) DO UPDATE SET epoch = tile_epochs.epoch + 1"), {"c": collection_id})


def invalidate_feature(session: Session, collection_id: str, feature_id: int, action: str,
                       username: str | None = None) -> None:
    """Drop cached tiles touching the feature's current and previous geometry (write hook)."""
    _bump_epoch(session, collection_id)
    versions = (select(FeatureVersion.geom.label("geom"))
                .where(FeatureVersion.collection == collection_id, FeatureVersion.feature_id == feature_id)
                .order_by(FeatureVersion.version.desc()).limit(3).subquery())
    area = session.scalar(select(func.ST_Extent(versions.c.geom)))
    if area is None:  # no recorded geometry: be safe, drop the collection's tiles
        invalidate_collection(session, collection_id, username)
        return None
    dropped = session.execute(text(
        "DELETE FROM tile_cache WHERE collection = :c AND bounds && ST_SetSRID(CAST(:area AS box2d), :srid) "
        "RETURNING z, x, y, length(data)"),
        {"c": collection_id, "area": area, "srid": STORAGE_SRID}).all()
    drops = session.info.setdefault(_DROPPED, {}).setdefault(collection_id, {"all": False, "tiles": {}})
    drops["tiles"].update({(z, x, y): size for z, x, y, size in dropped})
    return None


def invalidate_collection(session: Session, collection_id: str, username: str | None = None) -> None:
    """Drop every cached tile of a collection (bulk-change hook)."""
    _bump_epoch(session, collection_id)
    session.execute(text("DELETE FROM tile_cache WHERE collection = :c"), {"c": collection_id})
    session.info.setdefault(_DROPPED, {})[collection_id] = {"all": True, "tiles": {}}
    return None


def take_dropped(session: Session, collection_id: str) -> tuple[bool, dict[tuple[int, int, int], int]]:
    """Return (whole collection dropped?, {(z, x, y): bytes} of the tiles dropped) since the last call.

    What the session's writes invalidated, for whoever renders tiles again (the seeding job).
    """
    drops = session.info.get(_DROPPED, {}).pop(collection_id, None) or {"all": False, "tiles": {}}
    return drops["all"], drops["tiles"]


def tiles_covering(bbox: tuple[float, float, float, float], z: int) -> list[tuple[int, int]]:
    """Return the (x, y) of the zoom-``z`` tiles covering a lon/lat ``bbox``."""
    n = 2 ** z

    def column(lon: float) -> int:
        return min(n - 1, max(0, int((lon + 180) / 360 * n)))

    def row(lat: float) -> int:
        lat = max(-85.0511, min(85.0511, lat))
        return min(n - 1, max(0, int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)))
    return [(x, y) for x in range(column(bbox[0]), column(bbox[2]) + 1)
            for y in range(row(bbox[3]), row(bbox[1]) + 1)]


def register_hooks() -> None:
    """Invalidate tiles on every feature write and bulk change."""
    write_events.register_after_write(invalidate_feature)
    write_events.register_after_bulk(invalidate_collection)
