"""Exports over JSON: start one (background job), list the history, download a stored file."""
from __future__ import annotations

from flask import Blueprint, jsonify, request, send_file, url_for

from ..db import db
from ..errors import BadParameter
from ..security import current_username
from ..services.cartography import exports
from ..services.platform import jobs

bp = Blueprint("exports_api", __name__, url_prefix="/api/exports")


def _json_body() -> dict:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise BadParameter("请求体必须是 JSON 对象", code="bad_body")
    return body


def _with_links(row) -> dict:
    data = exports.as_dict(row)
    data["download_url"] = url_for("exports_api.download", export_id=row.id)
    return data


@bp.post("")
def start_export():
    """Start an export (snapshot, html or meeting_pack) in the background; answer 202 with the job."""
    body = _json_body()
    kind = str(body.pop("kind", "") or "")
    job = exports.start(db.session, kind, body, current_username())
    payload = jobs.as_dict(job)
    payload["job_url"] = url_for("jobs.job_status", job_id=job.id)
    return jsonify(payload), 202, {"Location": payload["job_url"]}


@bp.get("")
def list_exports():
    """Return the latest exports, newest first."""
    return jsonify({"exports": [_with_links(r) for r in exports.history(db.session)]})


@bp.get("/<int:export_id>")
def get_export(export_id: int):
    """Return one export's record."""
    return jsonify(_with_links(exports.get(db.session, export_id)))


@bp.get("/<int:export_id>/file")
def download(export_id: int):
    """Send the stored file of an export, exactly as it was made."""
    row = exports.get(db.session, export_id)
    mimetype = {"png": "image/png", "pdf": "application/pdf", "html": "text/html"}[row.format]
    resp = send_file(exports.file_of(row), mimetype=mimetype, as_attachment=True, download_name=row.filename,
                     etag=row.sha256, conditional=True, max_age=0)
    resp.headers["X-Content-SHA256"] = row.sha256
    return resp

