"""JSON API of following the plan: the indicator register and the 两型 index, restoration, then vs now.

``GET /api/plan-indicators`` answers every indicator with ``key``, ``label``, ``target``, ``unit``,
``direction``, ``deadline``, ``basis`` (the plan's sentence), ``values`` (year → value, source, …) and
``status``; ``GET /api/plan-indicators/index`` the composite per year; ``GET /api/compare?from=&to=``
what changed between two dates.
"""
from __future__ import annotations

import json
from datetime import date
from urllib.parse import quote

from flask import Blueprint, Response, current_app, request, send_file

from .. import storage
from ..db import db
from ..errors import BadParameter
from ..security import current_user, current_username
from ..services.planning import compare, index, register, restoration
from ..services.relocation import attachments
from .ogc_write import json_body
from .planning_params import parse_date, parse_year, refuse_unknown

bp = Blueprint("planning_api", __name__, url_prefix="/api")


def _json(data, status: int = 200, mimetype: str = "application/json") -> Response:
    return Response(json.dumps(data, ensure_ascii=False, default=str), status=status, mimetype=mimetype)


# ---------------------------------------------------------------- the register and the index

@bp.get("/plan-indicators")
def indicators():
    """Return the register: every indicator with its target, the plan's sentence, yearly values and status."""
    refuse_unknown(request.args, {"year"})
    return _json(register.register(db.session, up_to_year=parse_year(request.args.get("year"))))


@bp.get("/plan-indicators/<key>")
def indicator(key: str):
    """Return one indicator with its series."""
    refuse_unknown(request.args, set())
    found = register.one(db.session, key)
    resp = _json(found)
    resp.headers["ETag"] = found["etag"]
    return resp


@bp.patch("/plan-indicators/<key>")
def update_indicator(key: str):
    """Change an indicator's weight in the index (admins; If-Match)."""
    body = json_body()
    if not isinstance(body, dict) or set(body) != {"weight"}:
        raise BadParameter("请求体须为 {\"weight\": 数字}", code="bad_body")
    result = register.set_weight(db.session, key, body["weight"], current_user(), request.headers.get("If-Match"))
    resp = _json(result)
    resp.headers["ETag"] = result["etag"]
    return resp


@bp.put("/plan-indicators/<key>/values/<int:year>")
def put_value(key: str, year: int):
    """Enter or replace a yearly value ``{"value", "source", "source_date", "note"}`` (If-Match to replace)."""
    existed = key in register.entered(db.session, [key]) and year in register.entered(db.session, [key])[key]
    result = register.set_value(db.session, key, year, json_body(), current_user(), request.headers.get("If-Match"))
    resp = _json(result, 200 if existed else 201)
    resp.headers["ETag"] = result["etag"]
    return resp


@bp.delete("/plan-indicators/<key>/values/<int:year>")
def delete_value(key: str, year: int):
    """Withdraw an entered yearly value (kept in its history; If-Match)."""
    register.delete_value(db.session, key, year, current_user(), request.headers.get("If-Match"))
    return Response(status=204)


@bp.get("/plan-indicators/<key>/values/<int:year>/history")
def value_history(key: str, year: int):
    """Return every value entered for the indicator and year, oldest first (withdrawn ones too)."""
    return _json(register.value_history(db.session, key, year))


@bp.get("/plan-indicators/index")
def index_by_year():
    """Return the 两型社会建设指数 per year with its coverage, components, the formula and the weights."""
    refuse_unknown(request.args, set())
    return _json(index.yearly(db.session))


@bp.get("/plan-indicators/index/reports")
def index_reports():
    """Return the published index reports, newest first."""
    return _json([index.report_dict(r) for r in index.reports(db.session)])


@bp.post("/plan-indicators/index/<int:year>/reports")
def publish_index(year: int):
    """Publish the index of ``year`` as a numbered PDF report (planners and admins)."""
    row = index.publish(db.session, year, current_user())
    resp = _json(index.report_dict(row), 201)
    resp.headers["Location"] = f"/api/plan-indicators/index/reports/{row.id}.pdf"
    return resp


@bp.get("/plan-indicators/index/reports/<int:report_id>.pdf")
def index_report_pdf(report_id: int):
    """Download a published index report's stored PDF."""
    row = index.get_report(db.session, report_id)
    name = f"两型社会建设指数报告_{row.year}_{row.seq:02d}.pdf"
    return Response(row.pdf, mimetype="application/pdf", headers={
        "Content-Disposition": f"inline; filename=index-{row.year}-{row.seq:02d}.pdf; filename*=UTF-8''{quote(name)}",
        "ETag": f'"{row.pdf_sha256}"'})


# ---------------------------------------------------------------- then vs now

@bp.get("/compare")
def compare_dates():
    """Return what changed between ``from`` and ``to`` (YYYY-MM-DD): enterprises, projects, flags, indicators."""
    args = request.args
    refuse_unknown(args, {"from", "to"})
    return _json(compare.compare(db.session, parse_date(args.get("from"), "from"), parse_date(args.get("to"), "to")))


# ---------------------------------------------------------------- restoration

def _as_of() -> date | None:
    day = parse_date(request.args.get("as_of"), "as_of")
    if day is not None and day > date.today():
        raise BadParameter("截至日期不能晚于今天", code="bad_as_of", details={"parameter": "as_of"})
    return day


@bp.get("/restoration")
def restoration_list():
    """Return the projects needing restoration and the sites with a term (``as_of``, ``status``, ``kind``)."""
    args = request.args
    refuse_unknown(args, {"as_of", "status", "kind"})
    kind = args.get("kind") or None
    if kind not in (None, "project", "site"):
        raise BadParameter("参数 kind 须为 project 或 site", code="bad_parameter", details={"parameter": "kind"})
    return _json(restoration.overview(db.session, _as_of(), args.get("status") or None, kind))


@bp.get("/restoration/map")
def restoration_map():
    """Return the projects needing restoration and the sites as GeoJSON coloured by status."""
    refuse_unknown(request.args, {"as_of"})
    return _json(restoration.map_features(db.session, _as_of()), mimetype="application/geo+json")


@bp.post("/restoration/recheck")
def restoration_recheck():
    """Recompute every project's restoration proposal (planners and admins)."""
    return _json({"checked": restoration.refresh_all(db.session, current_username())})


@bp.get("/projects/<int:project_id>/restoration")
def project_restoration(project_id: int):
    """Return a project's restoration: decision, proposal and reasons, due date, status, evidence."""
    refuse_unknown(request.args, {"as_of"})
    found = restoration.project(db.session, project_id, _as_of())
    resp = _json(found)
    resp.headers["ETag"] = found["etag"]
    return resp


@bp.post("/projects/<int:project_id>/restoration")
def record_restoration(project_id: int):
    """Record a completed restoration: multipart ``restored_date``, ``note`` and ``evidence`` files; If-Match."""
    form = request.form
    restored_on = parse_date(form.get("restored_date"), "restored_date")
    if restored_on is None:
        raise BadParameter("请填写修复完成日期 restored_date", code="missing_field", details={"field": "restored_date"})
    uploads = [attachments.Upload(f.filename or "", f.read()) for f in request.files.getlist("evidence")
               if f and (f.filename or "")]
    found = restoration.record(db.session, project_id, restored_on, form.get("note") or "", uploads, current_user(),
                               request.headers.get("If-Match"), storage.directory("files"),
                               int(current_app.config.get("MAX_ATTACHMENT_MB", 20)) * 1024 * 1024)
    resp = _json(found, 201)
    resp.headers["ETag"] = found["etag"]
    return resp


@bp.get("/restoration/evidence/<int:evidence_id>")
def evidence_file(evidence_id: int):
    """Download an evidence file (always as an attachment)."""
    row = restoration.evidence(db.session, evidence_id)
    path = attachments.path_of(storage.directory("files"), row.storage_key)
    return send_file(path, mimetype=row.content_type, as_attachment=True, download_name=row.filename,
                     etag=row.sha256, max_age=0)


@bp.put("/enterprises/<int:enterprise_id>/remediation-term")
def remediation_term(enterprise_id: int):
    """Set a site's 场地调查与修复 term ``{"remediation_basis", "remediation_months"}`` (null basis clears it)."""
    body = json_body()
    if not isinstance(body, dict) or not set(body) <= {"remediation_basis", "remediation_months"}:
        raise BadParameter("请求体须为 {\"remediation_basis\", \"remediation_months\"}", code="bad_body")
    months = body.get("remediation_months")
    if months is not None and (isinstance(months, bool) or not isinstance(months, int)):
        raise BadParameter("remediation_months 须为整数", code="bad_body", details={"field": "remediation_months"})
    result = restoration.set_site_term(db.session, enterprise_id, body.get("remediation_basis"), months,
                                       current_user(), request.headers.get("If-Match"))
    resp = _json(result)
    resp.headers["ETag"] = result["etag"]
    return resp
