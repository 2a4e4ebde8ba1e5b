"""Where a feature or a layer is, in lon/lat: what the map needs to zoom to it (search results, permalinks)."""
from __future__ import annotations

from geoalchemy2 import Geometry
from sqlalchemy import cast, func, select
from sqlalchemy.orm import Session

from ...db import STORAGE_SRID, WGS84
from .catalog import Collection

DECIMALS = 6
DENSIFY_M = 500.0  # the layer's box is densified before it is projected, so its lon/lat box holds every feature


def feature_boxes(session: Session, coll: Collection, ids: list[int]) -> dict[int, list[float]]:
    """Return ``{id: [minlon, minlat, maxlon, maxlat]}`` of the live features of ``coll`` among ``ids``."""
    if not ids:
        return {}
    model = coll.model
    lonlat = func.ST_Transform(model.geom, WGS84)
    rows = session.execute(select(model.id, func.ST_XMin(lonlat), func.ST_YMin(lonlat), func.ST_XMax(lonlat),
                                  func.ST_YMax(lonlat))
                           .where(model.id.in_(ids), model.deleted_at.is_(None), *coll.scope()))
    return {row[0]: [round(v, DECIMALS) for v in row[1:]] for row in rows}


def feature_box(session: Session, coll: Collection, fid: int) -> list[float] | None:
    """Return the lon/lat box of one live feature of ``coll``, None when there is none with that id."""
    return feature_boxes(session, coll, [fid]).get(fid)


def layer_box(session: Session, coll: Collection) -> list[float] | None:
    """Return the lon/lat box of ``coll``'s live features, None when it has none.

    The extent is taken in the storage CRS (one pass, no per-row projection, cheap on a large layer),
    then densified and projected, so its lon/lat box covers every feature.
    """
    model = coll.model
    box = (select(cast(func.ST_Extent(model.geom), Geometry)).where(model.deleted_at.is_(None), *coll.scope())
           .scalar_subquery())
    shape = func.ST_Transform(func.ST_Segmentize(func.ST_SetSRID(box, STORAGE_SRID), DENSIFY_M), WGS84)
    row = session.execute(select(func.ST_XMin(shape), func.ST_YMin(shape), func.ST_XMax(shape),
                                 func.ST_YMax(shape))).first()
    if row is None or row[0] is None:
        return None
    return [round(v, DECIMALS) for v in row]
