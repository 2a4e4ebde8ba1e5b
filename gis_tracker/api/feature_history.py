"""Feature history and restore: every version, restoring one as a new version, undeleting."""
from __future__ import annotations

from flask import Blueprint, jsonify, request

from ..db import db
from ..security import current_user
from ..services.features import catalog, writes
from .ogc_write import _fid, write_response

bp = Blueprint("feature_history", __name__, url_prefix="/api/collections")


@bp.get("/<collection_id>/items/<feature_id>/versions")
def versions(collection_id: str, feature_id: str):
    """List a feature's versions, oldest first."""
    coll = catalog.require(collection_id, db.session)
    return jsonify({"collection": coll.id, "versions": writes.history(db.session, coll, _fid(feature_id))})


@bp.post("/<collection_id>/items/<feature_id>/versions/<int:version>/restore")
def restore_version(collection_id: str, feature_id: str, version: int):
    """Make an earlier version current again (as a new version); requires If-Match."""
    coll = catalog.require(collection_id, db.session)
    result = writes.restore_version(db.session, coll, _fid(feature_id), version, current_user(),
                                     request.headers.get("If-Match"))
    return write_response(result, 200, coll.id)


@bp.post("/<collection_id>/items/<feature_id>/restore")
def restore_deleted(collection_id: str, feature_id: str):
    """Undelete a feature (admins)."""
    coll = catalog.require(collection_id, db.session)
    result = writes.restore_deleted(db.session, coll, _fid(feature_id), current_user())
    return write_response(result, 200, coll.id)
