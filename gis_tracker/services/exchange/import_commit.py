"""Commit an import: convert attributes, shape geometries for the layer, insert all features or none.

Runs as a background job (:mod:`..platform.jobs`).  One transaction creates the new
layer (if asked), inserts every feature and writes the audit entries; a
problem with any feature rolls everything back and leaves the import open so
the user can fix the mapping and retry.  After the commit the bulk-change
hooks run (tile caches, encroachment flags re-check).
"""
from __future__ import annotations

import datetime as dt
import json
import logging
import math
from datetime import datetime

import psycopg2
import psycopg2.errors
import shapely
from shapely.geometry import LineString, MultiLineString, MultiPoint, MultiPolygon, Point, Polygon
from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ...db import db
from ...errors import AppError, Conflict, Unprocessable
from ...i18n import gettext as _
from ...models import DataImport, UserLayer
from ...spatial import validate
from ..accounts import audit, notifications
from ..features import catalog, tiles, user_layers, write_events, writes
from ..features.attributes import check_properties
from . import copy_loader, import_files

LOGGER = logging.getLogger(__name__)
BATCH = 5000
IMPORT_STATEMENT_TIMEOUT = "30min"  # statement and lock timeout of an import job
_TRUE = {"true", "1", "yes", "y", "是", "t"}
_FALSE = {"false", "0", "no", "n", "否", "f"}


def _bad_value(index: int, field: str, value) -> Unprocessable:
    return Unprocessable(f"第 {index + 1} 个要素的字段“{field}”的值 {str(value)[:40]!r} 无法转换为目标类型",
                         code="invalid_property",
                         details={"field": field, "feature": index + 1})


def to_type(value, kind: str):
    """Convert a source value to a field type (None stays None); raise ValueError when impossible."""
    if value is None or (isinstance(value, str) and value.strip() == "" and kind != "string"):
        return None
    if kind == "string":
        if isinstance(value, float) and value.is_integer():
            return str(int(value))
        return value if isinstance(value, str) else str(value)
    if kind == "integer":
        if isinstance(value, bool):
            raise ValueError
        if isinstance(value, float):
            if not value.is_integer():
                raise ValueError
            return int(value)
        return int(value)
    if kind == "number":
        if isinstance(value, bool):
            raise ValueError
        number = float(value)
        if not math.isfinite(number):
            raise ValueError
        return number
    if kind == "boolean":
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
        raise ValueError
    if kind == "date":
        text = str(value)[:10]
        dt.date.fromisoformat(text)
        return text
    return value


def _shape(geom, layer_type: str):
    """Promote or demote single/multi parts to the layer's geometry type."""
    kind = geom.geom_type
    if layer_type == "MultiPolygon" and isinstance(geom, Polygon):
        return MultiPolygon([geom])
    if layer_type == "Polygon" and isinstance(geom, MultiPolygon) and len(geom.geoms) == 1:
        return geom.geoms[0]
    if layer_type == "MultiPoint" and isinstance(geom, Point):
        return MultiPoint([geom])
    if layer_type == "Point" and isinstance(geom, MultiPoint) and len(geom.geoms) == 1:
        return geom.geoms[0]
    if layer_type == "MultiLineString" and isinstance(geom, LineString):
        return MultiLineString([geom])
    if layer_type == "LineString" and isinstance(geom, MultiLineString) and len(geom.geoms) == 1:
        return geom.geoms[0]
    if kind == layer_type:
        return geom
    return geom


def _create_layer(session: Session, plan: dict, username: str) -> UserLayer:
    last = session.scalar(select(func.max(UserLayer.sort_order))) or 0
    layer = UserLayer(name=plan["name"], title=plan["title"], title_en=plan.get("title_en"),
                      geometry_type=plan["geometry_type"], fields=plan["fields"], style={},
                      sort_order=last + 10, hidden=False, version=1, created_by=username, updated_by=username)
    session.add(layer)
    session.flush()
    audit.record(session, username=username, action="create_layer", object_type="user_layer",
                 object_id=layer.name, after=user_layers.describe(layer))
    return layer


def _feature_rows(coll: catalog.Collection, data: dict, plan: dict, progress) -> tuple[list, int]:
    fields = {f.name: f for f in coll.fields}
    mapping = plan["mapping"]
    rows, repaired = [], 0
    total = max(1, len(data["features"]))
    for index, (wkb, props) in enumerate(data["features"]):
        values = {}
        for source, dest in mapping.items():
            try:
                values[dest] = to_type(props.get(source), fields[dest].type)
            except (ValueError, TypeError):
                raise _bad_value(index, dest, props.get(source)) from None
        try:
            clean = check_properties(coll, values, current=None, partial=False)
        except AppError as exc:
            exc.message = _(f"第 {index + 1} 个要素：{exc.message}")
            exc.details["feature"] = index + 1
            raise
        geom = shapely.from_wkb(bytes.fromhex(wkb)) if wkb else None
        if geom is None or geom.is_empty:
            raise Unprocessable(f"第 {index + 1} 个要素缺少几何",
                                code="missing_geometry", details={"feature": index + 1})
        if not geom.is_valid:
            if not plan.get("repair"):
                raise Unprocessable(f"第 {index + 1} 个要素几何无效",
                                    code="invalid_geometry", details={"feature": index + 1})
            geom, repaired = validate.repair(geom), repaired + 1
        geom = _shape(geom, coll.geometry_type)
        try:
            validate.check_type(geom, coll.geometry_type)
        except validate.GeometryProblem as problem:
            raise Unprocessable(f"第 {index + 1} 个要素：{problem.message}", code=problem.code,
                                details={"feature": index + 1}) from None
        rows.append((clean, geom))
        if index % 2000 == 0:
            progress(5 + int(35 * index / total), _("检查要素"))
    return rows, repaired


def _insert(session: Session, coll: catalog.Collection, rows: list, username: str, progress) -> list[int]:
    """Write the checked rows with one streamed COPY (in the session's transaction), reporting progress."""
    total = max(1, len(rows))
    last = [0]

    def copied(done: int) -> None:
        if done - last[0] >= BATCH or done == len(rows):
            last[0] = done
            progress(40 + int(50 * done / total), _("写入要素"))
    # A background job, not a web request: one COPY of a million features may take longer than
    # the statement timeout web requests run under.
    # and may wait for locks (another import) longer than a web request would.
    for setting in ("statement_timeout", "lock_timeout"):
        session.execute(text("SELECT set_config(:s, :t, true)"), {"s": setting, "t": IMPORT_STATEMENT_TIMEOUT})
    try:
        return copy_loader.copy_features(session, coll, rows, username, copied)
    except psycopg2.IntegrityError as exc:  # COPY speaks to the driver directly: its errors come unwrapped
        session.rollback()
        raise Unprocessable(f"数据不符合数据库约束，未导入（{str(exc).splitlines()[0][:120]}）",
                            code="constraint") from None
    except psycopg2.errors.QueryCanceled as exc:
        session.rollback()
        if ".read()" in str(exc):  # our own encoding failed mid-COPY: a bug, not a busy database
            raise
        raise Conflict(f"数据库繁忙，未导入任何数据，请稍后再导入（{str(exc).splitlines()[0][:80]}）",
                       code="database_busy") from None
    except psycopg2.OperationalError as exc:  # lock timeout, deadlock: nothing stored, try again
        session.rollback()
        raise Conflict(f"数据库繁忙，未导入任何数据，请稍后再导入（{str(exc).splitlines()[0][:80]}）",
                       code="database_busy") from None


def _commit_import(session: Session, record: DataImport, progress) -> dict:
    plan = record.mapping or {}
    data = json.loads(import_files.features_file(record).read_text(encoding="utf-8"))
    progress(2, _("读取要素"))
    created = plan.get("kind") == "new"
    if created:
        layer = _create_layer(session, plan, record.username)
        coll = catalog.user_layer_collection(layer)
    else:
        coll = catalog.get(plan["collection"], session)
    rows, repaired = _feature_rows(coll, data, plan, progress)
    ids = _insert(session, coll, rows, record.username, progress)
    progress(91, _("审查导入的要素"))
    checks = write_events.run_bulk_checks(session, coll.id, ids, record.username)  # may refuse: nothing stored
    summary = {"import_id": record.id, "filename": record.filename, "format": record.format,
               "crs": data.get("crs"), "count": len(ids), "first_id": min(ids) if ids else None,
               "last_id": max(ids) if ids else None, "repaired": repaired, "created_layer": created}
    audit.record(session, username=record.username, action="import", object_type=coll.id,
                 object_id=record.id, after=summary)
    # Cached tiles go in the import's own transaction: no reader can get a tile older than the data.
    # (The bulk hooks below — encroachment re-check, tiles again — run after the commit.)
    tiles.invalidate_collection(session, coll.id)
    # So does the import's own status: once the rows are in, it can never be reopened and committed twice.
    record.status, record.result = "committed", {**summary, "collection": coll.id}
    try:
        session.commit()
    except IntegrityError as exc:
        session.rollback()
        if getattr(exc.orig, "pgcode", "") == writes.REVIEW_REQUIRED_SQLSTATE:
            raise writes.review_required_error(exc) from None
        raise Unprocessable(f"数据不符合数据库约束，未导入（{str(exc.orig).splitlines()[0][:120]}）",
                            code="constraint") from None
    progress(92, _("更新相关检查"))
    try:
        extra = write_events.run_after_bulk(session, coll.id, record.username)
        session.commit()
    except Exception:  # noqa: BLE001 - the data is stored; a failed re-check must not say otherwise
        LOGGER.exception("checks after import %s failed", record.id)
        session.rollback()
        extra = {"checks_failed": _("导入已完成，但相关检查失败，请在合规审查中重新检查")}
    return {**summary, "collection": coll.id, "hooks": audit.jsonable({**checks, **(extra or {})})}


def _mark(import_id: int, **values) -> None:
    """Store the import's outcome and tell its author (finished, or failed with the reason)."""
    session = db.session
    session.rollback()
    record = session.get(DataImport, import_id)
    for key, value in values.items():
        setattr(record, key, value)
    record.updated_at = datetime.now(dt.UTC)
    if record.status == "committed":
        notifications.import_finished(session, username=record.username, import_id=record.id,
                                      filename=record.filename, count=(record.result or {}).get("count", 0),
                                      collection=(record.result or {}).get("collection") or record.target or "")
    else:
        notifications.import_failed(session, username=record.username, import_id=record.id,
                                    filename=record.filename, message=record.message or "")
    session.commit()


def run(progress, import_id: int) -> dict:
    """Job body: commit import ``import_id``; on a data problem reopen it, otherwise mark it failed."""
    session = db.session
    record = session.get(DataImport, import_id)
    try:
        result = _commit_import(session, record, progress)
    except AppError as exc:
        _mark(import_id, status="previewed", error_code=exc.code, message=exc.message)
        raise
    except Exception:
        LOGGER.exception("import %s failed", import_id)
        _mark(import_id, status="failed", error_code="internal_error",
              message=_("导入失败，未写入任何数据"))
        import_files.remove(record)
        raise
    _mark(import_id, status="committed", result=result, message=None, error_code=None)
    import_files.remove(record)
    LOGGER.info("import %s committed: %s features into %s", import_id, result["count"], result["collection"])
    return result
