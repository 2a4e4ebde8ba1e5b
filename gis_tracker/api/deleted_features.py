"""Deleted features of a collection (admins), so they can be found and restored."""
from __future__ import annotations

from flask import Blueprint, jsonify

from ..db import db
from ..security import current_user
from ..services.features import catalog
from ..services.features import deleted as deleted_features

bp = Blueprint("deleted_features", __name__, url_prefix="/api/collections")


@bp.get("/<collection_id>/deleted")
def deleted(collection_id: str):
    """List a collection's deleted features, most recent first (admins)."""
    coll = catalog.require(collection_id, db.session)
    return jsonify(deleted_features.list_deleted(db.session, coll, current_user()))
