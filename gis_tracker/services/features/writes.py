"""Create, replace, update, delete and restore features: one transaction per save.

Every write checks the role, validates attributes and geometry (nothing
invalid is stored), compares ``If-Match`` with the current version under a row
lock (so no save is silently lost), bumps the version, keeps the version in
``feature_versions``, writes the audit entry and runs the write hooks — all
in the same transaction.
"""
from __future__ import annotations

import functools
import json
import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime

import numpy as np
import shapely
from shapely.geometry import MultiPolygon, Polygon
from shapely.geometry.base import BaseGeometry
from sqlalchemy import func, select
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError
from sqlalchemy.orm import Session

from ...db import STORAGE_SRID, WGS84
from ...errors import (
    BadParameter,
    Conflict,
    DatabaseUnavailable,
    Forbidden,
    NotFound,
    PreconditionFailed,
    PreconditionRequired,
    Unprocessable,
)
from ...models import District, FeatureVersion, User
from ...spatial import validate
from ...spatial.measure import reproject
from ..accounts import audit
from . import reads, write_events
from .attributes import check_properties
from .catalog import Collection

LOGGER = logging.getLogger(__name__)
FALLBACK_BOUNDS = (112.95, 27.75, 113.35, 28.12)
BOUNDS_MARGIN_DEG = 0.03  # about 3 km around the district outline


@dataclass(frozen=True)
class InputCrs:
    """The CRS a write's geometry is in (``Content-Crs`` / the body's ``crs``): SRID and axis order."""

    srid: int = WGS84
    north_first: bool = False  # latitude/northing first (EPSG:4326, 4490, 4547 as EPSG defines them)


LONLAT = InputCrs()


def _to_lonlat(geom: BaseGeometry, crs: InputCrs) -> BaseGeometry:
    """Return ``geom`` (in ``crs``) as lon/lat, the coordinates validation and storage start from."""
    if crs.north_first:
        geom = shapely.transform(geom, lambda xy: xy[:, ::-1])
    if crs.srid != WGS84:
        geom = reproject(geom, crs.srid, WGS84)
        if not np.isfinite(shapely.get_coordinates(geom)).all():
            raise validate.GeometryProblem("non_finite_coordinate", "坐标无法从所给坐标系换算")
    return geom


@dataclass
class WriteResult:
    """The outcome of a save: the feature as stored and what hooks added."""

    feature_id: int
    version: int
    etag: str
    feature: dict | None
    extra: dict = field(default_factory=dict)


def _one_transaction(fn):
    """Run a write so that a refusal anywhere in it (rights, ETag, a hook) leaves nothing behind: roll back."""
    @functools.wraps(fn)
    def wrapper(session: Session, *args, **kwargs):
        try:
            return fn(session, *args, **kwargs)
        except BaseException:
            session.rollback()
            raise
    return wrapper


def etag(collection_id: str, fid: int, version: int) -> str:
    """Return the strong ETag of one version of a feature."""
    return f'"{collection_id}-{fid}-v{version}"'


def _check_role(coll: Collection, user: User) -> None:
    if user.role not in coll.write_roles:
        raise Forbidden(f"您的角色无权编辑图层“{coll.title}”",
                        code="forbidden_layer")


def _forbidden_field(coll: Collection, name: str, label: str) -> Forbidden:
    return Forbidden(f"您的角色无权修改“{coll.title}”的字段“{label}”", code="forbidden_field",
                     details={"field": name})


def check_field_rights(coll: Collection, user: User, current: dict | None, clean: dict, replace: bool,
                       geometry_changed: bool) -> None:
    """Refuse (403 naming the field) a change of a field or the geometry ``user``'s role may not make.

    ``clean`` is what the write sets; with ``replace`` every editable field not
    in it is cleared.  Only real changes count: a client echoing back the
    stored value of a field it may not change is not refused.
    """
    role = user.role
    if geometry_changed and not coll.may_write_geometry(role):
        raise _forbidden_field(coll, "geometry", "几何")
    for f in coll.fields:
        if not f.editable or coll.field_writable(f.name, role):
            continue
        if f.name in clean:
            new = clean[f.name]
        elif replace and current is not None:
            new = None
        else:
            continue
        old = (current or {}).get(f.name)
        if current is None and new in (None, ""):
            continue
        if _comparable(old) != _comparable(new):
            raise _forbidden_field(coll, f.name, f.label)


def _comparable(value):
    if hasattr(value, "isoformat"):
        return value.isoformat()[:10]
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    return None if value == "" else value


GEOMETRY_SAME_M = 0.05
"""A geometry sent back within 5 cm of the stored one (lon/lat rounding) is not a change."""


def _geometry_changed(session: Session, coll: Collection, row, geom: BaseGeometry) -> bool:
    distance = session.scalar(select(func.ST_HausdorffDistance(coll.model.geom, _geom_expr(geom)))
                              .where(coll.model.id == row.id))
    return distance is None or distance > GEOMETRY_SAME_M


def district_bounds(session: Session) -> tuple[float, float, float, float]:
    """Return the district's lon/lat bounding box with a small margin."""
    box = session.execute(select(
        func.ST_XMin(func.ST_Extent(func.ST_Transform(District.geom, WGS84))),
        func.ST_YMin(func.ST_Extent(func.ST_Transform(District.geom, WGS84))),
        func.ST_XMax(func.ST_Extent(func.ST_Transform(District.geom, WGS84))),
        func.ST_YMax(func.ST_Extent(func.ST_Transform(District.geom, WGS84))))).first()
    if box is None or box[0] is None:
        return FALLBACK_BOUNDS
    m = BOUNDS_MARGIN_DEG
    return (box[0] - m, box[1] - m, box[2] + m, box[3] + m)


def check_geometry(session: Session, coll: Collection, geometry: object, max_vertices: int,
                   crs: InputCrs = LONLAT) -> BaseGeometry:
    """Parse a GeoJSON geometry in ``crs``, return it as validated lon/lat; raise 422 with reason and place."""
    try:
        geom = _to_lonlat(validate.parse_geojson(geometry, max_vertices), crs)
        validate.check_type(geom, coll.geometry_type)
        validate.check_valid(geom)
        validate.check_extent(geom, district_bounds(session))
    except validate.GeometryProblem as problem:
        details = {"field": "geometry"}
        if problem.location:
            details["location"] = {"type": "Point", "coordinates": list(problem.location)}
        raise Unprocessable(problem.message, code=problem.code, details=details) from None
    if coll.geometry_type == "MultiPolygon" and isinstance(geom, Polygon):
        geom = MultiPolygon([geom])
    return geom


def _geom_expr(geom: BaseGeometry):
    return func.ST_Transform(func.ST_GeomFromText(geom.wkt, WGS84), STORAGE_SRID)


def _row_properties(coll: Collection, row) -> dict:
    if coll.storage == "jsonb":
        return dict(row.properties or {})
    return {f.name: getattr(row, f.name) for f in coll.fields if f.expr is None}


def _geojson_of(session: Session, coll: Collection, fid: int) -> dict | None:
    text = session.scalar(select(func.ST_AsGeoJSON(func.ST_Transform(coll.model.geom, WGS84), 7))
                          .where(coll.model.id == fid))
    return json.loads(text) if text else None


def _snapshot(session: Session, coll: Collection, row) -> dict:
    return {"properties": audit.jsonable(_row_properties(coll, row)),
            "geometry": _geojson_of(session, coll, row.id)}


def keep_version(session: Session, coll: Collection, row, action: str, username: str) -> None:
    """Keep the row's current state as version ``row.version`` (for writes made by other use cases)."""
    _keep_version(session, coll, row, action, username)


def ensure_baseline(session: Session, coll: Collection, row) -> None:
    """Keep the row's current state as a version if it has none yet (before another use case changes it)."""
    _ensure_baseline(session, coll, row)


def _keep_version(session: Session, coll: Collection, row, action: str, username: str) -> None:
    session.add(FeatureVersion(
        collection=coll.id, feature_id=row.id, version=row.version, action=action,
        properties=audit.jsonable(_row_properties(coll, row)),
        geom=select(coll.model.geom).where(coll.model.id == row.id).scalar_subquery(),
        username=username))


def _apply_properties(coll: Collection, row, props: dict, replace: bool) -> None:
    if coll.storage == "jsonb":
        row.properties = props if replace else {**(row.properties or {}), **props}
        return
    editable = [f for f in coll.fields if f.editable]
    for f in editable:
        if f.name in props:
            setattr(row, f.name, props[f.name])
        elif replace:
            setattr(row, f.name, None)


REVIEW_REQUIRED_SQLSTATE = "23R01"
"""Raised at COMMIT by the database (migration 0021) for a project write the review gate did not judge."""


def review_required_error(exc: IntegrityError) -> Conflict:
    """Return the 409 for a commit the database refused because a project skipped its review."""
    return Conflict("项目未经两型审查，不能改为已批复、在建或已建成（审查未通过的不得实施）", code="review_required",
                    details={"database": str(exc.orig).splitlines()[0][:200]})


class SaveOutcomeUnknown(DatabaseUnavailable):
    """The connection died while PostgreSQL was committing: the save may or may not have been kept.

    Answered 503 with the ETag the feature has if it was saved, so the client
    can check (GET the feature) instead of guessing — and never saves twice.
    """

    code = "save_outcome_unknown"


def outcome_unknown(collection_id: str, fid: int, version: int) -> SaveOutcomeUnknown:
    """Return the 503 for a save whose commit was cut off, saying how to find out whether it was kept."""
    saved_etag = etag(collection_id, fid, version)
    return SaveOutcomeUnknown(
        f"数据库在提交时断开，本次保存可能已生效：请重新读取该要素，ETag 为 {saved_etag} 即已保存，否则请重新保存",
        details={"collection": collection_id, "feature_id": fid, "etag_if_saved": saved_etag,
                 "check": f"/ogc/collections/{collection_id}/items/{fid}"})


def commit_save(session: Session, unknown: SaveOutcomeUnknown) -> None:
    """Commit a save whose changes are already flushed: only COMMIT is left to send.

    A connection lost during the COMMIT leaves PostgreSQL's decision unknown to
    us (PostgreSQL documents that the client cannot tell), so ``unknown`` (503
    with the ETag to look for) is raised instead of "nothing was saved".
    """
    try:
        session.commit()
    except DBAPIError as exc:
        if not (isinstance(exc, OperationalError) or exc.connection_invalidated):
            raise
        LOGGER.warning("connection lost during COMMIT: %s", exc.__class__.__name__)
        try:
            session.rollback()
        except DBAPIError:
            session.invalidate()
        raise unknown from None


def _commit(session: Session, unknown: SaveOutcomeUnknown | None = None) -> None:
    try:
        if unknown is None:
            session.commit()
        else:
            session.flush()  # a failure here is before COMMIT: nothing saved, an ordinary 503
            commit_save(session, unknown)
    except IntegrityError as exc:
        session.rollback()
        pgcode = getattr(exc.orig, "pgcode", "")
        if pgcode == REVIEW_REQUIRED_SQLSTATE:
            raise review_required_error(exc) from None
        if pgcode == "23505":
            raise Conflict("与已有要素重复（如名称或编码）",
                           code="duplicate") from None
        if pgcode == "23514" and "geom" in str(exc.orig):
            raise Unprocessable("几何无效（投影变换后）",
                                code="invalid_geometry", details={"field": "geometry"}) from None
        raise Unprocessable("数据不符合约束", code="constraint") from None


def _finish(session: Session, coll: Collection, row, action: str, user: User, before: dict | None) -> WriteResult:
    try:
        session.flush()
        _keep_version(session, coll, row, action, user.username)
        after = _snapshot(session, coll, row) if action != "delete" else {"deleted": True}
        audit.record(session, username=user.username, action=action, object_type=coll.id,
                     object_id=row.id, before=before, after=after)
        # A hook may refuse the write (the review gate): then nothing of it is stored.
        extra = write_events.run_after_write(session, coll.id, row.id, action, user.username)
    except BaseException:
        session.rollback()
        raise
    fid, version = row.id, row.version
    # Read the feature back *before* the commit, inside the transaction (it sees its own writes): once
    # PostgreSQL has committed, the answer needs nothing more from the database, so a database lost
    # right after the commit cannot turn a saved change into an error.
    found = reads.get_item(session, coll, fid) if action != "delete" else None
    _commit(session, outcome_unknown(coll.id, fid, version))
    return WriteResult(fid, version, etag(coll.id, fid, version),
                       json.loads(found[0]) if found else None, extra)


def _locked_row(session: Session, coll: Collection, fid: int, include_deleted: bool = False):
    stmt = select(coll.model).where(coll.model.id == fid, *coll.scope()).with_for_update()
    row = session.scalar(stmt)
    if row is None or (row.deleted_at is not None and not include_deleted):
        raise NotFound(f"{coll.id} 中不存在要素 {fid}", code="unknown_feature")
    return row


def _ensure_baseline(session: Session, coll: Collection, row) -> None:
    """Keep the current state as a version if it has none yet (e.g. loaded or imported data)."""
    exists = session.scalar(select(FeatureVersion.id).where(
        FeatureVersion.collection == coll.id, FeatureVersion.feature_id == row.id,
        FeatureVersion.version == row.version))
    if exists is None:
        _keep_version(session, coll, row, "load", row.updated_by or row.created_by)


def _check_if_match(session: Session, coll: Collection, row, if_match: str | None) -> None:
    if not if_match:
        raise PreconditionRequired("保存需要 If-Match（当前版本的 ETag）", code="if_match_required")
    current = etag(coll.id, row.id, row.version)
    sent = [t.strip() for t in if_match.split(",")]
    # RFC 9110 §13.1.1: "*" matches any current representation (the row exists and is live here).
    if current not in sent and "*" not in sent:
        found = reads.get_item(session, coll, row.id)
        raise PreconditionFailed(
            "该要素已被他人修改，您的版本已过期",
            code="stale_version",
            details={"etag": current, "current": json.loads(found[0]) if found else None,
                     "updated_by": row.updated_by})
    _ensure_baseline(session, coll, row)


def _parse_body(body: object, need_geometry: bool) -> tuple[dict, object]:
    if not isinstance(body, dict):
        raise BadParameter("请求体必须是 GeoJSON Feature", code="bad_body")
    props = body.get("properties") or {}
    if not isinstance(props, dict):
        raise BadParameter("properties 必须是对象", code="bad_body")
    geometry = body.get("geometry")
    if need_geometry and geometry is None:
        raise Unprocessable("缺少几何", code="missing_geometry",
                            details={"field": "geometry"})
    return props, geometry


@_one_transaction
def create(session: Session, coll: Collection, body: object, user: User, max_vertices: int,
           crs: InputCrs = LONLAT) -> WriteResult:
    """Create a feature from a GeoJSON Feature (geometry in ``crs``, lon/lat by default)."""
    _check_role(coll, user)
    if not coll.may_create(user.role):
        raise Forbidden(f"您的角色无权在图层“{coll.title}”中新建要素", code="forbidden_create")
    props, geometry = _parse_body(body, need_geometry=True)
    clean = check_properties(coll, props, current=None, partial=False)
    check_field_rights(coll, user, None, clean, replace=True, geometry_changed=False)
    geom = check_geometry(session, coll, geometry, max_vertices, crs)
    row = coll.model(layer_id=coll.layer_id) if coll.storage == "jsonb" else coll.model()
    _apply_properties(coll, row, clean, replace=True)
    row.geom = _geom_expr(geom)
    row.version = 1
    row.created_by = row.updated_by = user.username
    session.add(row)
    return _finish(session, coll, row, "create", user, None)


@_one_transaction
def update(session: Session, coll: Collection, fid: int, body: object, user: User, if_match: str | None,
           max_vertices: int, replace: bool, crs: InputCrs = LONLAT) -> WriteResult:
    """Replace (PUT) or partially update (PATCH) a feature, refusing stale versions."""
    _check_role(coll, user)
    props, geometry = _parse_body(body, need_geometry=replace)
    row = _locked_row(session, coll, fid)
    _check_if_match(session, coll, row, if_match)
    before = _snapshot(session, coll, row)
    current = _row_properties(coll, row)
    clean = check_properties(coll, props, current=current, partial=not replace)
    geom = check_geometry(session, coll, geometry, max_vertices, crs) if geometry is not None else None
    check_field_rights(coll, user, current, clean, replace,
                       geom is not None and _geometry_changed(session, coll, row, geom))
    if geom is not None:
        row.geom = _geom_expr(geom)
    _apply_properties(coll, row, clean, replace=replace)
    row.version += 1
    row.updated_by = user.username
    row.updated_at = datetime.now(UTC)
    return _finish(session, coll, row, "update", user, before)


@_one_transaction
def delete(session: Session, coll: Collection, fid: int, user: User, if_match: str | None) -> WriteResult:
    """Soft-delete a feature (restorable by an admin)."""
    _check_role(coll, user)
    if not coll.may_delete(user.role):
        raise Forbidden(f"您的角色无权删除图层“{coll.title}”中的要素", code="forbidden_delete")
    row = _locked_row(session, coll, fid)
    _check_if_match(session, coll, row, if_match)
    before = _snapshot(session, coll, row)
    row.deleted_at = datetime.now(UTC)
    row.deleted_by = user.username
    row.version += 1
    return _finish(session, coll, row, "delete", user, before)


@_one_transaction
def restore_deleted(session: Session, coll: Collection, fid: int, user: User) -> WriteResult:
    """Bring a deleted feature back (admins only)."""
    if user.role != "admin":
        raise Forbidden("只有管理员可以恢复已删除的要素")
    row = _locked_row(session, coll, fid, include_deleted=True)
    if row.deleted_at is None:
        raise Conflict("该要素未被删除", code="not_deleted")
    row.deleted_at = None
    row.deleted_by = None
    row.version += 1
    row.updated_by = user.username
    row.updated_at = datetime.now(UTC)
    return _finish(session, coll, row, "restore", user, {"deleted": True})


@_one_transaction
def restore_version(session: Session, coll: Collection, fid: int, version: int, user: User,
                    if_match: str | None) -> WriteResult:
    """Make an earlier version current again, as a new version."""
    _check_role(coll, user)
    old = session.scalar(select(FeatureVersion).where(
        FeatureVersion.collection == coll.id, FeatureVersion.feature_id == fid,
        FeatureVersion.version == version))
    if old is None:
        raise NotFound(f"版本 {version} 不存在", code="unknown_version")
    row = _locked_row(session, coll, fid)
    _check_if_match(session, coll, row, if_match)
    before = _snapshot(session, coll, row)
    props = {k: v for k, v in old.properties.items()
             if coll.storage == "jsonb" or (coll.field(k) and coll.field(k).editable)}
    clean = check_properties(coll, props, current=None, partial=True, coerce_dates=True)
    moved = session.scalar(select(func.coalesce(func.ST_HausdorffDistance(coll.model.geom, old.geom), 0))
                           .where(coll.model.id == fid)) > GEOMETRY_SAME_M
    check_field_rights(coll, user, _row_properties(coll, row), clean, replace=False, geometry_changed=moved)
    _apply_properties(coll, row, clean, replace=False)
    row.geom = select(FeatureVersion.geom).where(FeatureVersion.id == old.id).scalar_subquery()
    row.version += 1
    row.updated_by = user.username
    row.updated_at = datetime.now(UTC)
    return _finish(session, coll, row, "update", user, before)


def history(session: Session, coll: Collection, fid: int) -> list[dict]:
    """Return every version of a feature, oldest first, with lon/lat geometry."""
    rows = session.execute(
        select(FeatureVersion, func.ST_AsGeoJSON(func.ST_Transform(FeatureVersion.geom, WGS84), 7))
        .where(FeatureVersion.collection == coll.id, FeatureVersion.feature_id == fid)
        .order_by(FeatureVersion.version)).all()
    if not rows:
        exists = session.scalar(select(coll.model.id).where(coll.model.id == fid, *coll.scope()))
        if exists is None:
            raise NotFound(f"{coll.id} 中不存在要素 {fid}", code="unknown_feature")
    return [{"version": v.version, "action": v.action, "username": v.username, "at": v.at.isoformat(),
             "properties": v.properties, "geometry": json.loads(g) if g else None} for v, g in rows]




MAX_SPLIT_PARTS = 50
SPLIT_AREA_TOLERANCE = 0.01  # the parts may differ from the whole by 1 % (reprojection, rounding)


@_one_transaction
def split(session: Session, coll: Collection, fid: int, body: object, user: User, if_match: str | None,
          max_vertices: int, crs: InputCrs = LONLAT) -> list[WriteResult]:
    """Split a polygon feature into ``body["parts"]`` in one transaction; return the saved features.

    The feature keeps the first part (its id, history and attributes, as a new
    version); every other part becomes a new feature with a copy of the
    attributes.  All of it is saved, or — stale version, a bad part, parts
    that do not make up the feature, a duplicate name — none of it.
    """
    _check_role(coll, user)
    if not (coll.may_write_geometry(user.role) and coll.may_create(user.role)):
        raise Forbidden(f"您的角色无权分割图层“{coll.title}”中的要素", code="forbidden_split")
    parts = body.get("parts") if isinstance(body, dict) else None
    if not isinstance(parts, list):
        raise BadParameter("请求体须为 {\"parts\": [几何, …]}",
                           code="bad_body")
    if "Polygon" not in coll.geometry_type:
        raise Unprocessable("只有面要素可以分割", code="not_polygonal")
    if not 2 <= len(parts) <= MAX_SPLIT_PARTS:
        raise Unprocessable(f"分割须得到 2 至 {MAX_SPLIT_PARTS} 个部分",
                            code="bad_split", details={"field": "parts"})
    row = _locked_row(session, coll, fid)
    _check_if_match(session, coll, row, if_match)
    geoms = [check_geometry(session, coll, part, max_vertices, crs) for part in parts]
    _check_parts_make_up(session, coll, row, geoms)
    before = _snapshot(session, coll, row)

    row.geom = _geom_expr(geoms[0])
    row.version += 1
    row.updated_by = user.username
    row.updated_at = datetime.now(UTC)
    session.flush()
    _keep_version(session, coll, row, "split", user.username)
    created = []
    taken: set[str] = set()  # unique values handed out to earlier parts of this split
    for geom in geoms[1:]:
        new = coll.model(**_copied_columns(session, coll, row, taken))
        new.geom = _geom_expr(geom)
        new.version = 1
        new.created_by = new.updated_by = user.username
        session.add(new)
        session.flush()
        _keep_version(session, coll, new, "create", user.username)
        audit.record(session, username=user.username, action="create", object_type=coll.id, object_id=new.id,
                     before=None, after={**_snapshot(session, coll, new), "split_from": row.id})
        created.append(new)
    audit.record(session, username=user.username, action="split", object_type=coll.id, object_id=row.id,
                 before=before, after={**_snapshot(session, coll, row), "split_into": [n.id for n in created]})
    try:
        saved = [(r.id, r.version, write_events.run_after_write(session, coll.id, r.id,
                                                                "update" if r is row else "create", user.username))
                 for r in (row, *created)]
    except BaseException:
        session.rollback()
        raise
    results = []
    for feature_id, version, extra in saved:  # read back before the commit (see _finish)
        found = reads.get_item(session, coll, feature_id)
        results.append(WriteResult(feature_id, version, etag(coll.id, feature_id, version),
                                   json.loads(found[0]) if found else None, extra))
    _commit(session, outcome_unknown(coll.id, row.id, row.version))
    return results


NOT_COPIED = {"id", "geom", "version", "created_at", "created_by", "updated_at", "updated_by",
              "deleted_at", "deleted_by"}


def _copied_columns(session: Session, coll: Collection, row, taken: set[str]) -> dict:
    """Return the column values a new part takes from the split feature, as stored.

    Every column but the id, the geometry and the bookkeeping is copied — links
    such as a zone's parent or a project's zone included, a user layer's id and
    attributes (``properties``, copied, not shared) too.  A text column that
    must be unique (a zone's ``code``) gets the next free ``-<n>`` suffix, so
    QST splits into QST and QST-2 (or QST-3 if QST-2 exists already).
    """
    copied = {}
    for column in coll.model.__table__.columns:
        if column.name in NOT_COPIED or column.computed is not None:
            continue
        value = getattr(row, column.key)
        if column.unique and isinstance(value, str):
            value = _next_free(session, column, value, taken)
            taken.add(value)
        copied[column.key] = dict(value) if isinstance(value, dict) else value
    return copied


def _next_free(session: Session, column, value: str, taken: set[str]) -> str:
    """Return ``value-<n>`` for the smallest n ≥ 2 not used in ``column`` (nor in ``taken``)."""
    limit = getattr(column.type, "length", None) or 200
    used = set(session.scalars(select(column).where(column.like(f"{value[:limit - 4]}-%"))).all()) | taken
    for n in range(2, 10_000):
        suffix = f"-{n}"
        candidate = value[:limit - len(suffix)] + suffix
        if candidate not in used:
            return candidate
    raise Conflict("没有可用的编号", code="duplicate")


def _check_parts_make_up(session: Session, coll: Collection, row, geoms: list[BaseGeometry]) -> None:
    """Refuse parts that overlap, stray outside the feature or do not add up to it (EPSG:4547 m²)."""
    whole = shapely.make_valid(shapely.from_wkb(bytes(session.scalar(
        select(func.ST_AsBinary(coll.model.geom)).where(coll.model.id == row.id)))))
    pieces = [shapely.make_valid(reproject(g, WGS84, STORAGE_SRID)) for g in geoms]  # valid after rounding too
    areas = [p.area for p in pieces]
    total, union = sum(areas), shapely.union_all(pieces)
    tolerance = SPLIT_AREA_TOLERANCE * whole.area
    # Each part on the feature: what lies outside it is rounding (≤ 0.5 m² or 0.1 % of the part).
    outside = max(p.difference(whole).area - max(0.5, 0.001 * p.area) for p in pieces)
    if (min(areas) <= 0 or abs(total - whole.area) > tolerance or union.area < total * 0.999
            or union.symmetric_difference(whole).area > tolerance or outside > 0):
        raise Unprocessable(
            f"各部分（合计 {total:,.0f} m²）须互不重叠、恰好拼成原要素（{whole.area:,.0f} m²）", code="bad_split",
            details={"field": "parts"})
