"""Planner-defined layers: list, create, restyle/hide, reorder."""
from __future__ import annotations

from flask import Blueprint, jsonify, request, url_for

from ..db import db
from ..security import current_user
from ..services.features import user_layers
from .ogc_write import json_body

bp = Blueprint("user_layers", __name__, url_prefix="/api/layers")


def _with_etag(doc: dict, status: int = 200):
    resp = jsonify(doc)
    resp.status_code = status
    resp.headers["ETag"] = doc["etag"]
    return resp


@bp.get("")
def list_layers():
    """List the planner-defined layers in display order."""
    return jsonify({"layers": user_layers.list_layers(db.session)})


@bp.post("")
def create_layer():
    """Create a layer (201 with Location; its features are then saved through /ogc)."""
    doc = user_layers.create(db.session, current_user(), json_body())
    resp = _with_etag(doc, 201)
    resp.headers["Location"] = url_for("ogc.collection", collection_id=doc["name"], _external=True)
    return resp


@bp.patch("/<name>")
def update_layer(name: str):
    """Change a layer's title, style or hidden flag (If-Match optional but honoured)."""
    doc = user_layers.update(db.session, current_user(), name, json_body(), request.headers.get("If-Match"))
    return _with_etag(doc)


@bp.put("/order")
def reorder_layers():
    """Set the display order of the layers."""
    return jsonify({"layers": user_layers.reorder(db.session, current_user(), json_body())})
