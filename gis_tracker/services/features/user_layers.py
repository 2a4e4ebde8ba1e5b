"""Layers planners define in the app: create, restyle, reorder and hide them, with audit.

A layer's features are saved through the OGC API like any other collection
(see :mod:`.writes`); this module manages only the layer itself.  Every
change is one transaction with its audit entry.
"""
from __future__ import annotations

import logging
from datetime import UTC, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ... import access
from ...errors import BadParameter, Forbidden, NotFound, PreconditionFailed, Unprocessable
from ...models import User, UserLayer
from ...rules import layer_specs
from ..accounts import audit
from . import catalog

LOGGER = logging.getLogger(__name__)
ORDER_STEP = 10


def layer_etag(layer: UserLayer) -> str:
    """Return the strong ETag of a layer's current settings."""
    return f'"layer-{layer.name}-v{layer.version}"'


def describe(layer: UserLayer) -> dict:
    """Return a layer's definition as a JSON-ready dict."""
    return {"name": layer.name, "title": layer.title, "title_en": layer.title_en,
            "description": layer.description, "geometry_type": layer.geometry_type,
            "fields": layer.fields, "style": layer.style, "sort_order": layer.sort_order,
            "hidden": layer.hidden, "version": layer.version, "etag": layer_etag(layer),
            "created_by": layer.created_by, "updated_by": layer.updated_by}


def _check_role(user: User) -> None:
    if user.role not in access.LAYER_EDITORS:
        raise Forbidden("只有规划人员和管理员可以管理图层",
                        code="forbidden_layer_admin")


def _problem(problem: layer_specs.LayerSpecProblem) -> Unprocessable:
    return Unprocessable(problem.message, code="invalid_layer", details={"field": problem.field})


def _live(session: Session) -> list[UserLayer]:
    return list(session.scalars(select(UserLayer).where(UserLayer.deleted_at.is_(None))
                                .order_by(UserLayer.sort_order, UserLayer.id)))


def list_layers(session: Session) -> list[dict]:
    """Return the live user layers in display order."""
    return [describe(layer) for layer in _live(session)]


def _get(session: Session, name: str, lock: bool = False) -> UserLayer:
    stmt = select(UserLayer).where(UserLayer.name == name, UserLayer.deleted_at.is_(None))
    layer = session.scalar(stmt.with_for_update() if lock else stmt)
    if layer is None:
        raise NotFound(f"图层 {name[:63]!r} 不存在", code="unknown_layer")
    return layer


def create(session: Session, user: User, body: object) -> dict:
    """Create a layer from ``{name, title, title_en?, description?, geometry_type, fields, style?}``."""
    _check_role(user)
    if not isinstance(body, dict):
        raise BadParameter("请求体须为 JSON 对象", code="bad_body")
    taken = set(catalog.collections()) | set(session.scalars(select(UserLayer.name)))
    try:
        name = layer_specs.check_name(body.get("name"), taken)
        title = layer_specs.check_text(body.get("title"), "title", "图层标题", layer_specs.MAX_TITLE, True)
        title_en = layer_specs.check_text(body.get("title_en"), "title_en", "英文标题", layer_specs.MAX_TITLE, False)
        description = layer_specs.check_text(body.get("description"), "description", "说明", 2000, False)
        geometry_type = layer_specs.check_geometry_type(body.get("geometry_type"))
        fields = layer_specs.check_fields(body.get("fields"))
        style = layer_specs.check_style(body.get("style") or {}, [f["name"] for f in fields])
    except layer_specs.LayerSpecProblem as problem:
        raise _problem(problem) from None
    last = session.scalar(select(func.max(UserLayer.sort_order))) or 0
    layer = UserLayer(name=name, title=title, title_en=title_en, description=description,
                      geometry_type=geometry_type, fields=fields, style=style,
                      sort_order=last + ORDER_STEP, hidden=bool(body.get("hidden")), version=1,
                      created_by=user.username, updated_by=user.username)
    session.add(layer)
    session.flush()
    audit.record(session, username=user.username, action="create_layer", object_type="user_layer",
                 object_id=name, after=describe(layer))
    result = describe(layer)
    session.commit()
    LOGGER.info("layer %s created by %s", name, user.username)
    return result


def update(session: Session, user: User, name: str, body: object, if_match: str | None) -> dict:
    """Change a layer's title, style or hidden flag; a stale ``If-Match`` is refused (412)."""
    _check_role(user)
    if not isinstance(body, dict):
        raise BadParameter("请求体须为 JSON 对象", code="bad_body")
    unknown = sorted(set(body) - {"title", "title_en", "description", "style", "hidden"})
    if unknown:
        raise BadParameter(f"不能修改 {unknown[0][:40]}",
                           code="unknown_property", details={"field": unknown[0][:40]})
    layer = _get(session, name, lock=True)
    if if_match and not {layer_etag(layer), "*"} & {t.strip() for t in if_match.split(",")}:
        raise PreconditionFailed("该图层的设置已被他人修改，请刷新",
                                 code="stale_version", details={"etag": layer_etag(layer),
                                                                "current": describe(layer)})
    before = describe(layer)
    try:
        if "title" in body:
            layer.title = layer_specs.check_text(body["title"], "title", "图层标题", layer_specs.MAX_TITLE, True)
        if "title_en" in body:
            layer.title_en = layer_specs.check_text(body["title_en"], "title_en", "英文标题", layer_specs.MAX_TITLE,
                                               False)
        if "description" in body:
            layer.description = layer_specs.check_text(body["description"], "description", "说明", 2000, False)
        if "style" in body:
            layer.style = layer_specs.check_style(body["style"], [f["name"] for f in layer.fields],
                                                  base=layer.style)
    except layer_specs.LayerSpecProblem as problem:
        raise _problem(problem) from None
    if "hidden" in body:
        if not isinstance(body["hidden"], bool):
            raise Unprocessable("hidden 须为 true/false", code="invalid_layer",
                                details={"field": "hidden"})
        layer.hidden = body["hidden"]
    layer.version += 1
    layer.updated_by = user.username
    layer.updated_at = datetime.now(UTC)
    session.flush()
    audit.record(session, username=user.username, action="update_layer", object_type="user_layer",
                 object_id=name, before=before, after=describe(layer))
    result = describe(layer)
    session.commit()
    return result


def reorder(session: Session, user: User, body: object) -> list[dict]:
    """Set the display order of the user layers from ``{"order": [name, ...]}`` (listed first, in order)."""
    _check_role(user)
    layers = {layer.name: layer for layer in _live(session)}
    try:
        order = layer_specs.check_order(body.get("order") if isinstance(body, dict) else None, set(layers))
    except layer_specs.LayerSpecProblem as problem:
        raise _problem(problem) from None
    before = {name: layer.sort_order for name, layer in layers.items()}
    rest = [name for name in layers if name not in order]
    for position, name in enumerate(order + rest, start=1):
        layer = layers[name]
        if layer.sort_order != position * ORDER_STEP:
            layer.sort_order = position * ORDER_STEP
            layer.version += 1
            layer.updated_by = user.username
            layer.updated_at = datetime.now(UTC)
    audit.record(session, username=user.username, action="reorder_layers", object_type="user_layer",
                 before={"order": before}, after={"order": {n: layers[n].sort_order for n in layers}})
    session.commit()
    return list_layers(session)
