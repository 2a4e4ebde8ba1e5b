"""Read features of a collection as GeoJSON text built in SQL.

Building each feature's JSON in PostgreSQL (``ST_AsGeoJSON`` and
``json_build_object``) avoids turning rows into ORM objects and back, and
keeps coordinates at 7 decimals (about 1 cm).
"""
from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlalchemy import Text, cast, func, literal, select
from sqlalchemy.orm import Session

from ..catalog import Collection
from ..db import STORAGE_SRID, WGS84

LOGGER = logging.getLogger(__name__)
COORDINATE_DECIMALS = 7


@dataclass(frozen=True)
class ItemQuery:
    """Filters and paging for one items request (already validated)."""

    limit: int
    offset: int = 0
    bbox: tuple[float, float, float, float] | None = None  # lon/lat, EPSG:4326


@dataclass(frozen=True)
class FeaturePage:
    """One page of features as GeoJSON text, with the total number matched."""

    features: list[str]
    number_matched: int


def _properties_expr(collection: Collection):
    model = collection.model
    args = []
    for f in collection.fields:
        args += [literal(f.name), f.expr() if f.expr else getattr(model, f.name)]
    return func.json_build_object(*args)


def _feature_select(collection: Collection):
    model = collection.model
    geometry = func.ST_AsGeoJSON(func.ST_Transform(model.geom, WGS84), COORDINATE_DECIMALS)
    return select(
        model.id, model.version, geometry.label("geometry"),
        cast(_properties_expr(collection), Text).label("properties"),
    ).where(model.deleted_at.is_(None), *collection.scope())


def _bbox_filter(collection: Collection, bbox):
    envelope = func.ST_Transform(func.ST_MakeEnvelope(*bbox, WGS84), STORAGE_SRID)
    return func.ST_Intersects(collection.model.geom, envelope)


def _feature_text(row) -> str:
    return ('{"type":"Feature","id":%d,"geometry":%s,"properties":%s}'
            % (row.id, row.geometry, row.properties))


def query_items(session: Session, collection: Collection, query: ItemQuery) -> FeaturePage:
    """Return one page of ``collection``'s live features matching ``query``."""
    model = collection.model
    stmt = _feature_select(collection)
    count = select(func.count()).select_from(model).where(model.deleted_at.is_(None), *collection.scope())
    if query.bbox:
        stmt = stmt.where(_bbox_filter(collection, query.bbox))
        count = count.where(_bbox_filter(collection, query.bbox))
    stmt = stmt.order_by(model.id).limit(query.limit).offset(query.offset)
    rows = session.execute(stmt).all()
    matched = session.scalar(count)
    return FeaturePage([_feature_text(r) for r in rows], matched)


def get_item(session: Session, collection: Collection, fid: int) -> tuple[str, int] | None:
    """Return ``(feature GeoJSON text, version)`` of one live feature, or None."""
    row = session.execute(_feature_select(collection).where(collection.model.id == fid)).first()
    if row is None:
        return None
    return _feature_text(row), row.version


def extent(session: Session, collection: Collection) -> list[float] | None:
    """Return the lon/lat bounding box of ``collection``'s live features."""
    model = collection.model
    box = session.execute(
        select(func.ST_XMin(func.ST_Extent(func.ST_Transform(model.geom, WGS84))),
               func.ST_YMin(func.ST_Extent(func.ST_Transform(model.geom, WGS84))),
               func.ST_XMax(func.ST_Extent(func.ST_Transform(model.geom, WGS84))),
               func.ST_YMax(func.ST_Extent(func.ST_Transform(model.geom, WGS84))))
        .where(model.deleted_at.is_(None), *collection.scope())).first()
    if box is None or box[0] is None:
        return None
    return [round(v, 6) for v in box]
