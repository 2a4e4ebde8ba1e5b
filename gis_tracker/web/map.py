"""The map page of the district, opened as a permalink describes it.

``/map?center=<lat>,<lon>&zoom=<int>&layers=<id>,<id>&select=<collection>:<feature id>&fit=<collection>``,
every parameter optional (``/`` serves the same page).  ``layers`` are exactly the visible overlays (empty: none);
``select`` shows that layer, zooms to the feature (unless ``center`` says where), highlights it and opens its
popup; ``fit`` shows that layer and zooms to its extent.  A malformed or unknown parameter, or an unknown layer
id, is answered with a 400 page naming it; a ``select`` of a feature that is deleted or never was opens the map
with a notice saying so.  ``static/js/map-permalink.js`` restores the view and keeps the address up to date.
"""
from __future__ import annotations

from dataclasses import dataclass

from flask import Blueprint, render_template, request, url_for
from werkzeug.routing import Rule

from .. import parsing
from ..db import db
from ..errors import BadParameter
from ..i18n import gettext as _
from ..security import current_user
from ..services.features import catalog, locate, search
from . import map_config
from .map_tool_texts import tool_texts

bp = Blueprint("map", __name__)

PARAMETERS = frozenset({"center", "zoom", "layers", "select", "fit", "lang"})
MAX_ZOOM = 22


class _PermalinkRule(Rule):
    """``/map``: chosen by ``url_for("map.index", …)`` when the link carries parameters (a permalink or a
    zoom-to link); the bare ``url_for("map.index")`` stays ``/`` (where login lands)."""

    def suitable_for(self, values, method=None) -> bool:
        """Build this rule only for links with parameters."""
        return bool(values) and super().suitable_for(values, method)


@bp.record
def _add_permalink_rule(state) -> None:
    rule = _PermalinkRule("/map", endpoint=f"{bp.name}.index", methods=["GET", "OPTIONS"])
    rule.provide_automatic_options = True
    state.app.url_map.add(rule)


@dataclass(frozen=True)
class MapView:
    """What a permalink asks the map to show (validated)."""

    center: tuple[float, float] | None = None  # lat, lon
    zoom: int | None = None
    layers: tuple[str, ...] | None = None  # exactly the visible overlays; None: each layer's default
    select: tuple[str, int] | None = None
    fit: str | None = None


def _bad(name: str, message: str, code: str = "bad_parameter") -> BadParameter:
    return BadParameter(message, code=code, details={"parameter": name})


def _unknown_layer(name: str, layer_id: str) -> BadParameter:
    return _bad(name, f"参数 {name}：图层 {layer_id[:60]!r} 不存在", "unknown_layer")


def parse_view(args, layer_ids: set[str]) -> MapView:
    """Return the permalink parameters of ``args`` (400 naming a malformed or unknown one)."""
    parsing.known_only(args, PARAMETERS)
    center = zoom = layers = select = fit = None
    if "center" in args:
        parts = args["center"].split(",")
        if len(parts) != 2:
            raise _bad("center", "参数 center 须为“纬度,经度”")
        center = (parsing.number(parts[0].strip(), "center", minimum=-90, maximum=90),
                  parsing.number(parts[1].strip(), "center", minimum=-180, maximum=180))
    if "zoom" in args:
        zoom = parsing.integer(args["zoom"], "zoom", minimum=0, maximum=MAX_ZOOM)
    if "layers" in args:
        names = [n for n in args["layers"].split(",") if n != ""] if args["layers"] else []
        for name in names:
            if name not in layer_ids:
                raise _unknown_layer("layers", name)
        layers = tuple(dict.fromkeys(names))
    if "select" in args:
        layer_id, sep, raw_id = args["select"].rpartition(":")
        if not sep or not layer_id:
            raise _bad("select", "参数 select 须为“图层:要素编号”")
        if layer_id not in layer_ids:
            raise _unknown_layer("select", layer_id)
        fid = parsing.path_id(raw_id)
        if fid is None:
            raise _bad("select", "参数 select 的要素编号须为正整数")
        select = (layer_id, fid)
    if "fit" in args:
        if args["fit"] not in layer_ids:
            raise _unknown_layer("fit", args["fit"])
        fit = args["fit"]
    return MapView(center, zoom, layers, select, fit)


def _view_config(view: MapView, role: str | None) -> dict:
    """Return what map-permalink.js needs: the view asked for, the boxes to zoom to, a notice if any."""
    out = {"center": list(view.center) if view.center else None, "zoom": view.zoom,
           "layers": list(view.layers) if view.layers is not None else None,
           "select": None, "fit": None, "notice": None,
           "url": url_for("map.index", zoom=0).split("?")[0]}  # the permalink's path (/map, under any prefix)
    if view.select:
        layer_id, fid = view.select
        coll = catalog.require(layer_id, db.session)
        box = locate.feature_box(db.session, coll, fid) if search.readable(coll, role) else None
        out["select"] = {"collection": layer_id, "id": fid, "bbox": box, "found": box is not None}
        if box is None:
            out["notice"] = _("要素 {layer}:{fid} 不存在或已删除").format(layer=layer_id, fid=fid)
    if view.fit:
        coll = catalog.require(view.fit, db.session)
        out["fit"] = {"collection": view.fit, "bbox": locate.layer_box(db.session, coll)}
    return out


@bp.get("/")
def index():
    """Show the district map with all planning layers (and editing tools for editors), as a permalink asks."""
    user = current_user()
    config = map_config.build(db.session, user)
    layer_ids = {layer["id"] for layer in config["layers"]}
    view = parse_view(request.args, layer_ids)
    shown = set(view.layers) if view.layers is not None else None
    for extra in (view.select[0] if view.select else None, view.fit):
        if extra and shown is not None:
            shown.add(extra)
    for layer in config["layers"]:
        layer["hidden_by_default"] = not layer["visible"]  # map-permalink.js leaves layers= out when all are so
        if shown is not None:
            layer["visible"] = layer["id"] in shown
        elif layer["id"] in (view.fit, view.select[0] if view.select else None):
            layer["visible"] = True
    config["view"] = _view_config(view, user.role if user else None)
    config["i18n"].update(tool_texts())
    config["urls"]["search"] = url_for("search_api.search")
    return render_template("map/index.html", config=config)
