"""Liveness and readiness probes for load balancers and monitoring."""
from __future__ import annotations

from flask import Blueprint, jsonify
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
