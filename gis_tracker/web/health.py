"""Liveness and readiness probes for load balancers and monitoring."""
from __future__ import annotations

from flask import Blueprint, current_app, jsonify, send_from_directory
from sqlalchemy import text

from ..db import db

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():
    """Answer 200 while the process serves requests."""
    return jsonify({"status": "ok"})


@bp.get("/readyz")
def readyz():
    """Answer 200 when the database answers, else 503 (JSON)."""
    try:
        with db.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception:  # noqa: BLE001 - any failure means not ready
        return jsonify({"code": "database_unavailable", "message": "database unreachable",
                        "status": "unavailable"}), 503, {"Retry-After": "5"}
    return jsonify({"status": "ready"})


@bp.get("/favicon.ico")
def favicon():
    """Serve the site icon where browsers and bookmark tools look for it (pages link the SVG in static/)."""
    return send_from_directory(current_app.static_folder, "favicon.ico", mimetype="image/vnd.microsoft.icon",
                               max_age=86400)
