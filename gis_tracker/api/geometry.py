"""Geometry tools for the map editor: split a polygon by a line, repair an invalid geometry."""
from __future__ import annotations

from flask import Blueprint, current_app, jsonify

from ..services.features import geometry_tools
from .ogc_write import json_body

bp = Blueprint("geometry", __name__, url_prefix="/api/geometry")


def _max_vertices() -> int:
    return int(current_app.config.get("MAX_VERTICES", 100000))


@bp.post("/split")
def split():
    """Return the parts of a polygon cut by a line (nothing is saved)."""
    return jsonify(geometry_tools.split(json_body(), _max_vertices()))


@bp.post("/repair")
def repair():
    """Return a valid version of a geometry (make valid; nothing is saved)."""
    return jsonify(geometry_tools.repair(json_body(), _max_vertices()))
