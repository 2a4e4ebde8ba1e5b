"""Deleted features of a collection (admins), so they can be found and restored."""
from __future__ import annotations

from flask import Blueprint, jsonify

from ..db import db
from ..security import current_user
from ..services import deleted_features
from .ogc_write import _collection

bp = Blueprint("deleted_features", __name__, url_prefix="/api/collections")


@bp.get("/<collection_id>/deleted")
def deleted(collection_id: str):
    """List a collection's deleted features, most recent first (admins)."""
    coll = _collection(collection_id)
    return jsonify(deleted_features.list_deleted(db.session, coll, current_user()))
