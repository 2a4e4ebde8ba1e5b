"""List the deleted (soft-deleted, restorable) features of a collection, for admins."""
from __future__ import annotations

import json
import logging

from sqlalchemy import Text, cast, func, select
from sqlalchemy.orm import Session

from ...db import WGS84
from ...errors import Forbidden
from ...models import User
from .catalog import Collection
from .reads import COORDINATE_DECIMALS, _properties_expr

LOGGER = logging.getLogger(__name__)
MAX_LISTED = 500


def list_deleted(session: Session, coll: Collection, user: User, limit: int = MAX_LISTED) -> dict:
    """Return the deleted features of ``coll``, most recently deleted first (admins only)."""
    if user.role != "admin":
        raise Forbidden("只有管理员可以查看和恢复已删除的要素",
                        code="admin_only")
    model = coll.model
    where = [model.deleted_at.is_not(None), *coll.scope()]
    rows = session.execute(
        select(model.id, model.version, model.deleted_at, model.deleted_by,
               func.ST_AsGeoJSON(func.ST_Transform(model.geom, WGS84), COORDINATE_DECIMALS).label("geometry"),
               cast(_properties_expr(coll), Text).label("properties"))
        .where(*where).order_by(model.deleted_at.desc(), model.id.desc()).limit(limit)).all()
    total = session.scalar(select(func.count()).select_from(model).where(*where))
    return {
        "collection": coll.id,
        "numberMatched": total,
        "features": [{"type": "Feature", "id": r.id, "version": r.version,
                      "deleted_at": r.deleted_at.isoformat(), "deleted_by": r.deleted_by,
                      "geometry": json.loads(r.geometry) if r.geometry else None,
                      "properties": json.loads(r.properties)} for r in rows],
    }
