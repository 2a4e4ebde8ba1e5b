"""JSON API of encroachment flags, rules and review reports.

``GET /api/projects/<id>/flags`` lists a project's flags (rule, severity,
status, overlap_m2, overlap_mu, overlap_pct, min_distance_m, ...); planners
and admins move flags (``POST /api/flags/<id>/status`` with If-Match); admins
edit rules; review reports are issued and downloaded as stored.
"""
from __future__ import annotations

from flask import Blueprint, Response, current_app, jsonify, request, url_for

from ..db import db
from ..errors import BadParameter
from ..security import current_user, current_username
from ..services.encroachment import check, gate, register, review
from ..services.encroachment import flags as admin
from .ogc_write import json_body, write_response

bp = Blueprint("flags_api", __name__, url_prefix="/api")


def _flag(value: str | None) -> bool:
    return (value or "").lower() in ("1", "true", "yes")


@bp.get("/projects/<int:project_id>/flags")
def project_flags(project_id: int):
    """List a project's flags, most severe first (``include_cleared=1`` adds cleared ones)."""
    review.assess(db.session, project_id, with_map=False)  # 404 for an unknown project
    return jsonify(check.project_flags(db.session, project_id, _flag(request.args.get("include_cleared"))))


@bp.get("/projects/<int:project_id>/flags.geojson")
def project_flags_geojson(project_id: int):
    """Return the project, its overlaps and the features involved as lon/lat GeoJSON (for small maps)."""
    return jsonify(admin.project_geojson(db.session, project_id))


@bp.get("/flags")
def flags():
    """List flags filtered by ``severity``, ``status`` and ``zone`` (top-level zone code)."""
    args = request.args
    return jsonify(admin.list_flags(db.session, args.get("severity") or None, args.get("status") or None,
                                    args.get("zone") or None, _flag(args.get("include_cleared"))))


@bp.get("/flags/<int:flag_id>/history")
def flag_history(flag_id: int):
    """Return a flag's history (raised, changed, cleared, status changes)."""
    return jsonify(admin.flag_history(db.session, flag_id))


@bp.post("/flags/<int:flag_id>/status")
def flag_status(flag_id: int):
    """Acknowledge, resolve, waive (with a reason) or reopen a flag; requires If-Match."""
    body = json_body()
    if not isinstance(body, dict) or not isinstance(body.get("status"), str):
        raise BadParameter("请求体须为 {\"status\": ..., \"reason\": ...}", code="bad_body")
    reason = body.get("reason")
    if reason is not None and not isinstance(reason, str):
        raise BadParameter("reason 须为字符串", code="bad_body")
    result = admin.set_status(db.session, flag_id, body["status"], reason, current_username(),
                              request.headers.get("If-Match"))
    resp = jsonify(result)
    resp.headers["ETag"] = result["etag"]
    return resp


@bp.get("/encroachment-rules")
def rules():
    """List the encroachment rules."""
    return jsonify([admin.rule_dict(r) for r in admin.list_rules(db.session)])


@bp.post("/encroachment-rules")
def create_rule():
    """Create a rule (admins); every project is checked against it at once."""
    rule, report = admin.create_rule(db.session, json_body(), current_username())
    resp = jsonify({"rule": admin.rule_dict(rule), "encroachment_changes": report})
    resp.status_code = 201
    resp.headers["ETag"] = admin.rule_etag(rule)
    return resp


@bp.patch("/encroachment-rules/<int:rule_id>")
def update_rule(rule_id: int):
    """Change a rule (admins; If-Match); every project is re-checked for it."""
    rule, report = admin.update_rule(db.session, rule_id, json_body(), current_username(),
                                     request.headers.get("If-Match"))
    resp = jsonify({"rule": admin.rule_dict(rule), "encroachment_changes": report})
    resp.headers["ETag"] = admin.rule_etag(rule)
    return resp


@bp.delete("/encroachment-rules/<int:rule_id>")
def retire_rule(rule_id: int):
    """Retire a rule (admins; If-Match): its flags are cleared, nothing is deleted."""
    report = admin.retire_rule(db.session, rule_id, current_username(), request.headers.get("If-Match"))
    return jsonify({"encroachment_changes": report})


@bp.get("/projects/<int:project_id>/review")
def assessment(project_id: int):
    """Return the project's current review assessment (not issued)."""
    a = review.assess(db.session, project_id, with_map=False)
    return jsonify(review.assessment_dict(a))


@bp.get("/review-register")
def review_register():
    """Every live project's current review conclusion and why (filters ``zone``, ``conclusion``, ``status``)."""
    f = register.RegisterFilter.from_args(request.args, [z[0] for z in admin.top_zones(db.session)])
    found = register.rows(db.session, f)
    return jsonify({"counts": register.counts(found), "projects": found})


@bp.post("/projects/<int:project_id>/review/override")
def override_review(project_id: int):
    """Let a project proceed to ``status`` against its review (admins; ``reason`` required; If-Match)."""
    body = json_body()
    if not isinstance(body, dict):
        raise BadParameter("请求体须为 {\"status\": ..., \"reason\": ...}", code="bad_body")
    unknown = sorted(set(body) - {"status", "reason"})
    if unknown:
        raise BadParameter(f"未知字段 {unknown[0][:40]!r}", code="unknown_field", details={"field": unknown[0][:40]})
    result = gate.override(db.session, project_id, current_user(), body.get("status"), body.get("reason"),
                           request.headers.get("If-Match"), int(current_app.config.get("MAX_VERTICES", 100000)))
    return write_response(result, 200, "projects")


@bp.get("/projects/<int:project_id>/reviews")
def reports(project_id: int):
    """List the project's issued review reports, newest first."""
    current = review.assess(db.session, project_id, with_map=False).fingerprint
    return jsonify([review.report_dict(r, current) for r in review.reports_of(db.session, project_id)])


@bp.post("/projects/<int:project_id>/reviews")
def issue_report(project_id: int):
    """Issue a numbered review report of the project as it is now (stored and locked)."""
    report = review.issue(db.session, project_id, current_username())
    resp = jsonify(review.report_dict(report))
    resp.status_code = 201
    resp.headers["Location"] = url_for("flags_api.report_pdf", report_id=report.id)
    return resp


@bp.get("/reviews/<int:report_id>.pdf")
def report_pdf(report_id: int):
    """Download an issued report's stored PDF."""
    report = review.get_report(db.session, report_id)
    return Response(report.pdf, mimetype="application/pdf", headers={
        "Content-Disposition": f"inline; filename=review-{report.year}-{report.seq:04d}.pdf",
        "ETag": f'"{report.pdf_sha256}"'})


@bp.get("/reviews/<int:report_id>.html")
def report_html(report_id: int):
    """Show an issued report's stored HTML."""
    report = review.get_report(db.session, report_id)
    return Response(report.html, mimetype="text/html", headers={"ETag": f'"{report.html_sha256}"'})

