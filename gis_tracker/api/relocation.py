"""Relocation API: stage transitions with If-Match, history, as-of numbers, attachments and the ledger."""
from __future__ import annotations

import json
from datetime import date
from urllib.parse import quote

from flask import Blueprint, Response, current_app, jsonify, request, send_file, url_for

from .. import storage
from ..db import db
from ..errors import BadParameter
from ..security import current_user
from ..services.relocation import attachments, ledger, status, transitions
from ..services.relocation import dashboard as relocation_dashboard
from .ogc_write import json_body
from .relocation_params import parse_as_of, parse_filter, parse_transition

bp = Blueprint("relocation_api", __name__, url_prefix="/api")


def _max_bytes() -> int:
    return int(current_app.config.get("MAX_ATTACHMENT_MB", 20)) * 1024 * 1024


def _uploads() -> list[attachments.Upload]:
    return [attachments.Upload(f.filename or "", f.read()) for f in request.files.getlist("attachments")
            if f and (f.filename or "")]


@bp.post("/enterprises/<int:enterprise_id>/transitions")
def create_transition(enterprise_id: int):
    """Record a stage transition (JSON, or multipart with attachments); 201 with the new ETag."""
    if request.mimetype in ("multipart/form-data", "application/x-www-form-urlencoded"):
        data, uploads = parse_transition(request.form.to_dict(), "ui"), _uploads()
    else:
        data, uploads = parse_transition(json_body(), "api"), []
    result = transitions.record_transition(
        db.session, enterprise_id, data, current_user(), request.headers.get("If-Match"), uploads,
        storage.directory("files"), _max_bytes())
    body = {"transition": result.transition, "etag": result.etag, "feature": result.feature, **result.extra}
    resp = Response(json.dumps(body, ensure_ascii=False), status=201, mimetype="application/json")
    resp.headers["ETag"] = result.etag
    resp.headers["Location"] = url_for("relocation_api.history", enterprise_id=enterprise_id, _external=True)
    return resp


@bp.get("/enterprises/<int:enterprise_id>/history")
def history(enterprise_id: int):
    """Return the enterprise's transitions, oldest first."""
    return jsonify({"enterprise_id": enterprise_id,
                    "transitions": transitions.history(db.session, enterprise_id)})


@bp.get("/relocation/enterprises")
def enterprises():
    """Return the relocation table (filters, sorting, paging, as-of) as JSON."""
    page = status.table(db.session, parse_filter(request.args))
    return jsonify({
        "as_of": page.as_of.isoformat(), "total": page.total, "page": page.page, "pages": page.pages,
        "enterprises": [{"id": s.id, "name": s.name, "credit_code": s.credit_code, "industry": s.industry,
                         "path": s.path, "destination": s.destination, "zone_code": s.zone_code,
                         "zone_name": s.zone_name, "stage": s.stage, "stage_date": s.stage_date,
                         "stage_dates": s.stage_dates, "planned_dates": s.planned_dates,
                         "overdue": [{"stage": c, "planned": d.isoformat()} for c, d in s.overdue]}
                        for s in page.rows]})


@bp.get("/relocation/dashboard")
def dashboard():
    """Return the dashboard numbers as of a date."""
    return jsonify(relocation_dashboard.dashboard(db.session, parse_as_of(request.args.get("as_of"))))


@bp.get("/relocation/map")
def stage_map():
    """Return the enterprises as GeoJSON coloured by their stage as of a date."""
    data = relocation_dashboard.map_features(db.session, parse_as_of(request.args.get("as_of")))
    return Response(json.dumps(data, ensure_ascii=False), mimetype="application/geo+json")


@bp.get("/relocation/attachments/<int:attachment_id>")
def download_attachment(attachment_id: int):
    """Send an attachment as a download (never rendered in the page)."""
    found = transitions.attachment(db.session, attachment_id)
    path = attachments.path_of(storage.directory("files"), found.storage_key)
    resp = send_file(path, mimetype=found.content_type, as_attachment=True, download_name=found.filename)
    resp.headers["X-Content-Type-Options"] = "nosniff"
    resp.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return resp


def _ledger_file() -> tuple[str, bytes]:
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        raise BadParameter("请选择台账文件（字段 file）",
                           code="missing_file", details={"parameter": "file"})
    return upload.filename, upload.read()


@bp.post("/relocation/ledger/preview")
def ledger_preview():
    """Show what importing a ledger file would change; nothing is written."""
    show = request.values.get("show", "all")
    if show not in ledger.SHOW:
        raise BadParameter(f"参数 show 须为 {'、'.join(ledger.SHOW)}", code="bad_parameter",
                           details={"parameter": "show"})
    name, data = _ledger_file()
    return jsonify(ledger.preview(db.session, name, data, current_user()).as_dict(show))


@bp.post("/relocation/ledger/commit")
def ledger_commit():
    """Import a ledger file: every row's transitions, or none (422 with the preview) on any problem."""
    name, data = _ledger_file()
    return jsonify(ledger.commit(db.session, name, data, current_user()).as_dict())


@bp.get("/relocation/ledger/export")
def ledger_export():
    """Download the filtered table as a ledger (.xlsx or .csv) in the import layout."""
    fmt = request.args.get("format", "xlsx")
    f = parse_filter(request.args, extra=("format",))
    body, media = ledger.export(db.session, f, fmt)
    day = (f.as_of or date.today()).isoformat()
    name = f"清水塘搬迁台账_{day}.{fmt}"
    resp = Response(body, mimetype=media)
    resp.headers["Content-Disposition"] = (f"attachment; filename=\"relocation_ledger_{day}.{fmt}\"; "
                                           f"filename*=UTF-8''{quote(name)}")
    return resp
