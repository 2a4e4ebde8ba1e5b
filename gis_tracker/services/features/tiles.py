"""Mapbox vector tiles (MVT) of any collection, built in PostGIS and cached.

Tiles are built with ``ST_AsMVT`` from geometries simplified to about half
a pixel at the tile's zoom (in EPSG:4547 metres, before projecting to Web
Mercator).  Rendered tiles are cached in ``tile_cache`` with the area they
cover; every write deletes the cached tiles touching the feature's old and
new geometry, in the write's own transaction.  A per-collection epoch,
bumped by each write and checked (``FOR SHARE``) when a freshly rendered tile
is stored, keeps a tile rendered from pre-write data from being cached after
the write: a tile is never stale after a write.
"""
from __future__ import annotations

import logging

from sqlalchemy import Text, cast, func, literal, literal_column, select, text
from sqlalchemy.orm import Session

from ...db import STORAGE_SRID
from ...errors import NotFound
from ...models import FeatureVersion
from . import write_events
from .catalog import Collection

LOGGER = logging.getLogger(__name__)
EXTENT = 4096
BUFFER = 64
MAX_ZOOM = 22
WEB_MERCATOR_SIZE = 2 * 20037508.342789244
METRES_PER_MERCATOR_UNIT = 0.884  # cos(27.9°): Mercator stretch at the district's latitude


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


def render(session: Session, coll: Collection, z: int, x: int, y: int) -> bytes:
    """Build one MVT tile of ``coll`` (layer name = collection id)."""
    model = coll.model
    envelope = func.ST_TileEnvelope(z, x, y)
    margin = WEB_MERCATOR_SIZE / 2 ** z * BUFFER / EXTENT
    search = func.ST_Transform(func.ST_Expand(envelope, margin), STORAGE_SRID)
    geom = model.geom
    if coll.geometry_type != "Point":
        geom = func.ST_SimplifyPreserveTopology(geom, simplify_tolerance(z))
    mvt_geom = func.ST_AsMVTGeom(func.ST_Transform(geom, 3857), envelope, EXTENT, BUFFER, True)
    inner = (select(mvt_geom.label("geom"), model.id.label("id"), *_property_columns(coll))
             .where(model.geom.op("&&")(search), model.deleted_at.is_(None), *coll.scope())
             .subquery("q"))
    stmt = (select(func.ST_AsMVT(literal_column("q"), literal(coll.id), EXTENT, literal("geom")))
            .select_from(inner).where(inner.c.geom.is_not(None)))
    return bytes(session.scalar(stmt) or b"")


def get_tile(session: Session, coll: Collection, z: int, x: int, y: int) -> bytes:
    """Return a tile from the cache, or render, cache (unless a write raced us) and return it."""
    check_tile(z, x, y)
    cached = session.execute(text(
        "SELECT data FROM tile_cache WHERE collection = :c AND z = :z AND x = :x AND y = :y"),
        {"c": coll.id, "z": z, "x": x, "y": y}).scalar()
    if cached is not None:
        session.rollback()
        return bytes(cached)
    session.execute(text("INSERT INTO tile_epochs (collection, epoch) VALUES (:c, 0) ON CONFLICT DO NOTHING"),
                    {"c": coll.id})
    session.commit()
    epoch = session.execute(text("SELECT epoch FROM tile_epochs WHERE collection = :c"), {"c": coll.id}).scalar()
    data = render(session, coll, z, x, y)
    margin = WEB_MERCATOR_SIZE / 2 ** z * BUFFER / EXTENT
    session.execute(text(
        "INSERT INTO tile_cache (collection, z, x, y, data, bounds) "
        "SELECT :c, :z, :x, :y, :data, ST_Transform(ST_Expand(ST_TileEnvelope(:z, :x, :y), :m), :srid) "
        "WHERE (SELECT epoch FROM tile_epochs WHERE collection = :c FOR SHARE) = :e "
        "ON CONFLICT DO NOTHING"),
        {"c": coll.id, "z": z, "x": x, "y": y, "data": data, "m": margin, "srid": STORAGE_SRID, "e": epoch})
    session.commit()
    return data


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
        session.execute(text("DELETE FROM tile_cache WHERE collection = :c"), {"c": collection_id})
        return None
    session.execute(text(
        "DELETE FROM tile_cache WHERE collection = :c AND bounds && ST_SetSRID(CAST(:area AS box2d), :srid)"),
        {"c": collection_id, "area": area, "srid": STORAGE_SRID})
    return None


def invalidate_collection(session: Session, collection_id: str, username: str | None = None) -> None:
    """Drop every cached tile of a collection (bulk-change hook)."""
    _bump_epoch(session, collection_id)
    session.execute(text("DELETE FROM tile_cache WHERE collection = :c"), {"c": collection_id})
    return None


def register_hooks() -> None:
    """Invalidate tiles on every feature write and bulk change."""
    write_events.register_after_write(invalidate_feature)
    write_events.register_after_bulk(invalidate_collection)
