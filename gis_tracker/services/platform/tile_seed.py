"""Pre-render a layer's low-zoom tiles in the background after a bulk change or a large edit.

Low-zoom tiles of a big layer are the expensive ones (a zoom-10 tile of 100,000
parcels takes most of a second to build) and every write drops the ones it
touches.  So, once the change has committed, a background job (``jobs``, kind
``tile_seed``, progress per tile) renders them again through the tile service —
cached with the same epoch check as any tile, so a write racing the job never
leaves a stale tile:

* after a bulk change (import, re-import) of a collection with at least
  ``TILE_SEED_MIN_FEATURES`` live features: every tile of ``TILE_SEED_ZOOMS``
  over the collection's extent (at most ``TILE_SEED_MAX_TILES``);
* after an edit that dropped at least ``TILE_SEED_MIN_BYTES`` of cached tiles
  at those zooms (an edit of a big layer, or of a big geometry): those tiles.

The job id of a bulk change is returned to its caller (``tile_seed_job`` in an
import's result, shown with its progress on the import page).
"""
from __future__ import annotations

import time

from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ...db import db
from ...i18n import gettext as _
from ..features import catalog, reads, tiles, write_events
from . import jobs

KIND = "tile_seed"


def seed_zooms() -> list[int]:
    """Return the zoom levels to pre-render (``TILE_SEED_ZOOMS``, e.g. "8-13"; empty: none)."""
    spec = str(current_app.config.get("TILE_SEED_ZOOMS", "8-13")).strip()
    if not spec:
        return []
    low, _sep, high = spec.partition("-")
    return list(range(int(low), int(high or low) + 1))


def seed(progress, collection: str, zooms: list[int], tiles_to_render: list[list[int]] | None = None) -> dict:
    """Job body: render (and cache) the given tiles, or every tile of ``zooms`` over the collection."""
    session = db.session
    coll = catalog.get(collection, session)
    if coll is None:  # deleted meanwhile: nothing to draw
        return {"collection": collection, "tiles": 0, "rendered": 0}
    if tiles_to_render is None:
        bbox = reads.extent(session, coll)
        session.rollback()
        tiles_to_render = [[z, x, y] for z in zooms for x, y in tiles.tiles_covering(bbox, z)] if bbox else []
    tiles_to_render = tiles_to_render[:int(current_app.config.get("TILE_SEED_MAX_TILES", 2000))]
    started, total = time.monotonic(), len(tiles_to_render)
    for done, (z, x, y) in enumerate(tiles_to_render, start=1):
        tiles.stored_tile(session, coll, z, x, y)
        progress(int(100 * done / max(total, 1)), _(f"已预生成 {done}/{total} 个瓦片（第 {z} 级）"))
    return {"collection": collection, "tiles": total, "seconds": round(time.monotonic() - started, 1)}


def _live_features(session: Session, coll: catalog.Collection) -> int:
    model = coll.model
    return session.scalar(select(func.count()).select_from(model)
                          .where(model.deleted_at.is_(None), *coll.scope())) or 0


def after_bulk(session: Session, collection_id: str, username: str | None = None) -> dict | None:
    """Bulk-change hook: queue the pre-rendering of a big collection's low zooms."""
    tiles.take_dropped(session, collection_id)
    zooms = seed_zooms()
    coll = catalog.get(collection_id, session)
    if not zooms or coll is None:
        return None
    if _live_features(session, coll) < int(current_app.config.get("TILE_SEED_MIN_FEATURES", 5000)):
        return None
    job = jobs.enqueue(session, KIND, seed, {"collection": collection_id, "zooms": zooms}, username)
    return {"tile_seed_job": job.id}


def after_write(session: Session, collection_id: str, feature_id: int, action: str,
                username: str | None = None) -> None:
    """Write hook: after a large edit, queue the low-zoom tiles it dropped (quietly: no answer changes)."""
    whole, dropped = tiles.take_dropped(session, collection_id)
    zooms = seed_zooms()
    if whole:
        after_bulk(session, collection_id, username)
        return None
    low = sorted(key for key in dropped if key[0] in zooms)
    if not low or sum(dropped[key] for key in low) < int(current_app.config.get("TILE_SEED_MIN_BYTES", 262144)):
        return None
    jobs.enqueue(session, KIND, seed, {"collection": collection_id, "zooms": zooms,
                                       "tiles_to_render": [list(key) for key in low]}, username)
    return None


def register_hooks() -> None:
    """Seed after writes; registered after the tile cache's own hooks, which record what they dropped."""
    write_events.register_after_write(after_write)
    write_events.register_after_bulk(after_bulk)
