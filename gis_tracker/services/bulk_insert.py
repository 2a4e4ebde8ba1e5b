"""Insert many features at once with PostgreSQL COPY, inside the caller's transaction.

Imports of tens of thousands of features go through here instead of one ORM
object per row: ids are drawn from the table's sequence up front (so the
caller knows them), the rows stream as CSV with geometries as hex EWKB, and
everything stays in the session's transaction — all rows or none.  Row
triggers (e.g. keeping protected-area parts in sync) and CHECK constraints
still run for every row.
"""
from __future__ import annotations

import io
import json
import logging
from datetime import date, datetime

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry
from sqlalchemy import text
from sqlalchemy.orm import Session

from ..catalog import Collection
from ..db import STORAGE_SRID

LOGGER = logging.getLogger(__name__)
NULL = r"\N"


def _csv_value(value) -> str:
    """Return one CSV field: NULL unquoted, everything else quoted (so no value can read as NULL)."""
    if value is None:
        return NULL
    if isinstance(value, bool):
        text_value = "true" if value else "false"
    elif isinstance(value, (date, datetime)):
        text_value = value.isoformat()
    elif isinstance(value, (dict, list)):
        text_value = json.dumps(value, ensure_ascii=False)
    else:
        text_value = str(value)
    return '"' + text_value.replace('"', '""') + '"'


def _ewkb_hex(geoms: list[BaseGeometry]) -> list[str]:
    """Return hex EWKB (with the storage SRID) of every geometry, in one vectorised call."""
    array = shapely.set_srid(np.asarray(geoms, dtype=object), STORAGE_SRID)
    return list(shapely.to_wkb(array, hex=True, include_srid=True))


def copy_features(session: Session, coll: Collection, rows: list[tuple[dict, BaseGeometry]],
                  username: str | None) -> list[int]:
    """COPY ``rows`` of (attributes, geometry in the storage CRS) into ``coll``; return their ids."""
    if not rows:
        return []
    session.flush()  # rows the ORM still holds (e.g. a new layer) must exist first
    table = coll.model.__table__.name
    ids = list(session.scalars(
        text("SELECT nextval(pg_get_serial_sequence(:table, 'id')) FROM generate_series(1, :n)"),
        {"table": table, "n": len(rows)}))
    geoms = _ewkb_hex([geom for _, geom in rows])  # hex digits only: never quoted, never NULL
    tail = f"1,{_csv_value(username)},{_csv_value(username)}"
    if coll.storage == "jsonb":
        columns = ["id", "layer_id", "properties", "geom", "version", "created_by", "updated_by"]
        lines = (f"{fid},{coll.layer_id},{_csv_value(attrs)},{geom},{tail}\n"
                 for fid, (attrs, _), geom in zip(ids, rows, geoms))
    else:
        # Only attributes some row sets: the others keep their column defaults.
        present = set().union(*(attrs.keys() for attrs, _ in rows))
        names = [f.name for f in coll.fields if f.editable and f.name in present]
        columns = ["id", *names, "geom", "version", "created_by", "updated_by"]
        lines = (f"{fid},{','.join(_csv_value(attrs.get(n)) for n in names)},{geom},{tail}\n"
                 for fid, (attrs, _), geom in zip(ids, rows, geoms))
    buffer = io.StringIO("".join(lines))
    cursor = session.connection().connection.cursor()
    try:
        cursor.copy_expert(
            f"COPY {table} ({', '.join(columns)}) FROM STDIN WITH (FORMAT csv, NULL '{NULL}')", buffer)
    finally:
        cursor.close()
    LOGGER.info("copied %d features into %s", len(rows), coll.id)
    return ids
