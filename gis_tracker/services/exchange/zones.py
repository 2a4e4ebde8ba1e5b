"""The planning zones as shapes in any CRS, for clipping rasters and zonal statistics."""
from __future__ import annotations

import shapely
from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased

from ...models import Zone
from ...spatial import crs as crsmod


def zone_shapes(session: Session, target_crs: str, codes: list[str] | None = None) -> list[dict]:
    """Return zones (code, name, level, parent) with geometry in ``target_crs``, parents first."""
    parent = aliased(Zone)
    stmt = (select(Zone.id, Zone.code, Zone.name, Zone.level, parent.code.label("parent_code"),
                   func.ST_AsBinary(Zone.geom).label("wkb"), func.ST_Area(Zone.geom).label("area"))
            .outerjoin(parent, parent.id == Zone.parent_id)
            .where(Zone.deleted_at.is_(None)).order_by(func.coalesce(parent.code, Zone.code), Zone.level.desc(),
                                                       Zone.code))
    if codes:
        stmt = stmt.where(Zone.code.in_(codes))
    out = []
    for row in session.execute(stmt):
        geom = crsmod.transform(shapely.from_wkb(bytes(row.wkb)), crsmod.STORAGE_CRS, target_crs)
        out.append({"id": row.id, "code": row.code, "name": row.name, "level": row.level,
                    "parent_code": row.parent_code, "area_m2": float(row.area), "geom": geom})
    return out
