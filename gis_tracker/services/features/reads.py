"""Read features of a collection as GeoJSON text built in SQL.

Building each feature's JSON in PostgreSQL (``ST_AsGeoJSON`` and
``json_build_object``) avoids turning rows into ORM objects and back, and
keeps coordinates at 7 decimals (about 1 cm).
"""
from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import date

from sqlalchemy import Numeric, Text, bindparam, case, cast, func, literal, select
from sqlalchemy.orm import Session

from ...db import STORAGE_SRID, WGS84
from .catalog import Collection

LOGGER = logging.getLogger(__name__)
COORDINATE_DECIMALS = 7


@dataclass(frozen=True)
class ItemQuery:
    """Filters, sorting, output CRS and paging for one items request (already validated)."""

    limit: int
    offset: int = 0
    bbox: tuple[float, float, float, float] | None = None  # x/y in bbox_srid (easting/lon first)
    bbox_srid: int = WGS84
    out_srid: int = WGS84
    north_first: bool = False  # flip output coordinates (EPSG:4326/4490/4547 axis order)
    decimals: int = COORDINATE_DECIMALS
    filters: tuple[tuple[str, object], ...] = ()  # (field name, typed value): equality
    sortby: tuple[tuple[str, bool], ...] = ()  # (field name, descending)
    where: tuple = ()  # SQL clauses of ``filter`` (CQL2) and ``datetime``, compiled by services/features/cql.py


@dataclass(frozen=True)
class FeaturePage:
    """One page of features as GeoJSON text, with the total number matched."""

    features: list[str]
    number_matched: int


@dataclass(frozen=True)
class FeatureLinks:
    """The links each served feature carries: ``self`` (its item URL) and ``collection``."""

    item_prefix: str  # the item URL without the id, e.g. http://host/ogc/collections/zones/items/
    collection_href: str

    def json_for(self, fid: int) -> str:
        """Return the JSON array of the feature's links."""
        return json.dumps([
            {"href": f"{self.item_prefix}{fid}", "rel": "self", "type": "application/geo+json"},
            {"href": self.collection_href, "rel": "collection", "type": "application/json"},
        ], ensure_ascii=False)


def _decimal_number(expr):
    """Return a float column as JSON that always reads as a decimal number: 242739 is written 242739.0.

    Clients that type a field from the first features they see (QGIS's OGC API
    provider reads 10) would otherwise make ``investment_wan`` an integer field
    and show a later 0.5 as NULL.  Fractional values are written as they are.
    """
    return case((expr == func.trunc(expr), func.to_json(func.round(cast(expr, Numeric), 1))),
                else_=func.to_json(expr))


def _properties_expr(collection: Collection):
    model = collection.model
    args = []
    for f in collection.fields:
        expr = f.expr() if f.expr else getattr(model, f.name)
        if f.type == "number" and collection.storage == "columns":
            expr = _decimal_number(expr)
        args += [literal(f.name), expr]
    return func.json_build_object(*args)


def _field_expr(collection: Collection, name: str):
    f = collection.field(name)
    if collection.storage == "jsonb":
        return collection.model.properties[name].astext
    return f.expr() if f.expr else getattr(collection.model, name)


def _feature_select(collection: Collection, query: ItemQuery | None = None):
    model = collection.model
    q = query or ItemQuery(limit=1)
    projected = func.ST_Transform(model.geom, q.out_srid)
    if q.north_first:
        projected = func.ST_FlipCoordinates(projected)
    geometry = func.ST_AsGeoJSON(projected, q.decimals)
    return select(
        model.id, model.version, geometry.label("geometry"),
        cast(_properties_expr(collection), Text).label("properties"),
    ).where(model.deleted_at.is_(None), *collection.scope())


def _bbox_filter(collection: Collection, bbox, srid: int = WGS84):
    envelope = func.ST_Transform(func.ST_MakeEnvelope(*bbox, srid), STORAGE_SRID)
    return func.ST_Intersects(collection.model.geom, envelope)


def _filters(collection: Collection, query: ItemQuery) -> list:
    clauses = []
    if query.bbox:
        clauses.append(_bbox_filter(collection, query.bbox, query.bbox_srid))
    for name, value in query.filters:
        expr = _field_expr(collection, name)
        if collection.storage == "jsonb":
            value = "true" if value is True else "false" if value is False else str(value)
        clauses.append(expr == value)
    clauses.extend(query.where)
    return clauses


def _feature_text(row, links: FeatureLinks | None = None) -> str:
    text = ('{"type":"Feature","id":%d,"geometry":%s,"properties":%s'
            % (row.id, row.geometry, row.properties))
    if links is not None:
        text += ',"links":' + links.json_for(row.id)
    return text + "}"


def query_items(session: Session, collection: Collection, query: ItemQuery,
                links: FeatureLinks | None = None) -> FeaturePage:
    """Return one page of ``collection``'s live features matching ``query`` (with their links, if given)."""
    model = collection.model
    clauses = _filters(collection, query)
    stmt = _feature_select(collection, query).where(*clauses)
    count = (select(func.count()).select_from(model)
             .where(model.deleted_at.is_(None), *collection.scope(), *clauses))
    order = [(_field_expr(collection, name).desc().nulls_last() if desc
              else _field_expr(collection, name).asc().nulls_last()) for name, desc in query.sortby]
    stmt = stmt.order_by(*order, model.id).limit(query.limit).offset(query.offset)
    rows = session.execute(stmt).all()
    matched = session.scalar(count)
    return FeaturePage([_feature_text(r, links) for r in rows], matched)


_ITEM_STATEMENTS: dict[tuple, object] = {}  # built once per collection shape and output: a read per request


def _item_statement(collection: Collection, query: ItemQuery | None):
    q = query or ItemQuery(limit=1)
    key = (collection.id, collection.layer_id, tuple((f.name, f.jsonb) for f in collection.fields),
           q.out_srid, q.north_first, q.decimals)
    stmt = _ITEM_STATEMENTS.get(key)
    if stmt is None:
        if len(_ITEM_STATEMENTS) > 512:
            _ITEM_STATEMENTS.clear()
        stmt = _ITEM_STATEMENTS[key] = _feature_select(collection, q).where(collection.model.id == bindparam("fid"))
    return stmt


def get_item(session: Session, collection: Collection, fid: int,
             query: ItemQuery | None = None, links: FeatureLinks | None = None) -> tuple[str, int] | None:
    """Return ``(feature GeoJSON text, version)`` of one live feature, or None."""
    row = session.execute(_item_statement(collection, query), {"fid": fid}).first()
    if row is None:
        return None
    return _feature_text(row, links), row.version


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


def temporal_extent(session: Session, collection: Collection) -> tuple[date, date] | None:
    """Return the first and last date of the collection's temporal property, or None (no property, no dates)."""
    field = collection.temporal_field()
    if field is None:
        return None
    model = collection.model
    if collection.storage == "jsonb":
        expr = model.properties[field.name]
        text = expr.astext
        row = session.execute(
            select(func.min(text), func.max(text))
            .where(model.deleted_at.is_(None), *collection.scope(), func.jsonb_typeof(expr) == "string",
                   text.regexp_match(r"^\d{4}-\d{2}-\d{2}$"))).first()
        if row is None or row[0] is None:
            return None
        return date.fromisoformat(row[0]), date.fromisoformat(row[1])
    expr = field.expr() if field.expr else getattr(model, field.name)
    row = session.execute(select(func.min(expr), func.max(expr))
                          .where(model.deleted_at.is_(None), *collection.scope())).first()
    if row is None or row[0] is None:
        return None
    return row[0], row[1]
