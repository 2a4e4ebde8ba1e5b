"""Follow background jobs: ``GET /api/jobs/<id>``."""
from __future__ import annotations

from flask import Blueprint, jsonify

from ..db import db
from ..security import current_user
from ..services.platform import jobs

bp = Blueprint("jobs", __name__, url_prefix="/api/jobs")


@bp.get("/<int:job_id>")
def job_status(job_id: int):
    """Return a job's status and progress (its owner or an admin)."""
    user = current_user()
    job = jobs.get(db.session, job_id, user.username, user.role == "admin")
    return jsonify(jobs.as_dict(job))
