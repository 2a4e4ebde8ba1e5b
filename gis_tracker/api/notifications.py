"""The caller's notifications: ``GET /api/notifications`` (newest first, ``unread`` filter), mark read, settings."""
from __future__ import annotations

from flask import Blueprint, jsonify, request

from ..db import db
from ..security import current_user
from ..services.accounts import notifications
from .ogc_write import json_body
from .planning_params import paging, parse_bool, refuse_unknown

bp = Blueprint("notifications_api", __name__, url_prefix="/api/notifications")


@bp.get("")
def list_notifications():
    """Return the caller's notifications, newest first (``unread=true|false``, ``event``, ``limit``, ``offset``)."""
    args = request.args
    refuse_unknown(args, {"unread", "event", "limit", "offset"})
    limit, offset = paging(args)
    user = current_user()
    rows, total = notifications.inbox(db.session, user, parse_bool(args.get("unread"), "unread"),
                                      args.get("event") or None, limit, offset)
    return jsonify({"notifications": [notifications.as_dict(n) for n in rows], "total": total,
                    "unread": notifications.unread_count(db.session, user), "limit": limit, "offset": offset})


@bp.get("/unread-count")
def unread_count():
    """Return how many of the caller's notifications are unread (the bell polls this)."""
    refuse_unknown(request.args, set())
    return jsonify({"unread": notifications.unread_count(db.session, current_user())})


@bp.post("/<int:notification_id>/read")
def mark_read(notification_id: int):
    """Mark one of the caller's notifications read (404 for anyone else's)."""
    found = notifications.mark_read(db.session, current_user(), notification_id)
    return jsonify({**notifications.as_dict(found), "unread": notifications.unread_count(db.session, current_user())})


@bp.post("/read-all")
def mark_all_read():
    """Mark all the caller's unread notifications (of ``event``, when given) read."""
    refuse_unknown(request.args, {"event"})
    done = notifications.mark_all_read(db.session, current_user(), request.args.get("event") or None)
    return jsonify({"marked": done, "unread": notifications.unread_count(db.session, current_user())})


@bp.get("/settings")
def get_settings():
    """Return the caller's notification settings (events on/off, e-mail address and mode)."""
    found = notifications.settings_of(db.session, current_user())
    resp = jsonify(found)
    resp.headers["ETag"] = notifications.settings_etag(found["version"])
    return resp


@bp.put("/settings")
def put_settings():
    """Change the caller's settings: ``{"events": {code: bool}, "email", "email_mode"}`` (If-Match honoured)."""
    found = notifications.update_settings(db.session, current_user(), json_body(), request.headers.get("If-Match"))
    resp = jsonify(found)
    resp.headers["ETag"] = notifications.settings_etag(found["version"])
    return resp
