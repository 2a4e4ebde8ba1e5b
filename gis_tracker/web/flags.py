"""合规审查 pages: the flags list, a project's review page, the rules, and the status/issue forms."""
from __future__ import annotations

from datetime import date

from flask import Blueprint, Response, current_app, redirect, render_template, request, url_for

from .. import parsing
from ..db import db
from ..errors import BadParameter
from ..rules import encroachment as enc_rules
from ..rules import land_use, project_status
from ..security import current_user, current_username
from ..services.encroachment import flags as admin
from ..services.encroachment import gate, register, review
from ..services.features import writes

bp = Blueprint("flags", __name__, url_prefix="/flags")
LABELS = {"severity_labels": enc_rules.SEVERITY_LABELS, "status_labels": enc_rules.STATUS_LABELS,
          "conclusion_labels": enc_rules.CONCLUSION_LABELS, "relation_labels": enc_rules.RELATION_LABELS,
          "transitions": enc_rules.TRANSITIONS}


def _back(default: str) -> str:
    target = request.form.get("next") or ""
    return target if target.startswith("/flags") else default


@bp.get("/")
def index():
    """List flags, filtered by severity, status and zone."""
    args = request.args
    chosen = {k: args.get(k) or "" for k in ("severity", "status", "zone")}
    found = admin.list_flags(db.session, chosen["severity"] or None, chosen["status"] or None,
                             chosen["zone"] or None)
    return render_template("flags/list.html", flags=found, chosen=chosen, zones=admin.top_zones(db.session),
                           **LABELS)


@bp.get("/register")
def register_page():
    """The review register (审查台账): every project's conclusion and why, filtered by zone, conclusion, status."""
    zones = admin.top_zones(db.session)
    f = register.RegisterFilter.from_args(request.args, [z[0] for z in zones])
    found = register.rows(db.session, f)
    return render_template("flags/register.html", rows=found, counts=register.counts(found), chosen=f,
                           zones=zones, type_labels=project_status.PROJECT_TYPE_LABELS,
                           project_status_labels=project_status.STATUS_LABELS,
                           export_url=url_for("flags.register_export", **{k: v for k, v in request.args.items()
                                                                          if k != "lang"}), **LABELS)


@bp.get("/register.xlsx")
def register_export():
    """Download the review register, as filtered, as an Excel workbook."""
    zones = admin.top_zones(db.session)
    f = register.RegisterFilter.from_args(request.args, [z[0] for z in zones])
    content = register.export_xlsx(register.rows(db.session, f), f, request.host_url)
    return Response(content, mimetype=register.XLSX_TYPE, headers={
        "Content-Disposition": f"attachment; filename=review-register-{date.today().isoformat()}.xlsx"})


@bp.get("/projects/<int:project_id>")
def project(project_id: int):
    """A project's review page (stable address ``/flags/projects/<id>``): flags, land use, reports, override."""
    a = review.assess(db.session, project_id, with_map=False)
    reports = [review.report_dict(r, a.fingerprint) for r in review.reports_of(db.session, project_id)]
    etag = writes.etag("projects", project_id, a.project["version"])
    return render_template("flags/project.html", a=a, reports=reports, etag_version=a.project["version"],
                           etag=etag, type_labels=project_status.PROJECT_TYPE_LABELS,
                           project_status_labels=project_status.STATUS_LABELS, park_labels=land_use.PARK_LEVEL_LABELS,
                           gated_statuses=[s for s in project_status.GATED
                                           if project_status.rank(s) > project_status.rank(a.project["status"])],
                           geojson_url=url_for("flags_api.project_flags_geojson", project_id=project_id), **LABELS)


@bp.post("/projects/<int:project_id>/override")
def override(project_id: int):
    """An admin lets the project proceed against its review, with a reason (from the review page)."""
    form = request.form
    version = parsing.integer(form.get("version"), "version", minimum=1, maximum=parsing.INT32_MAX)
    gate.override(db.session, project_id, current_user(), form.get("status"), form.get("reason"),
                  writes.etag("projects", project_id, version),
                  int(current_app.config.get("MAX_VERTICES", 100000)))
    return redirect(url_for("flags.project", project_id=project_id))


@bp.get("/projects/<int:project_id>/preview")
def preview(project_id: int):
    """Show the review report as it would be issued now (not numbered, not stored)."""
    a = review.assess(db.session, project_id)
    return Response(review.render_html(a, None, None, None), mimetype="text/html")


@bp.post("/projects/<int:project_id>/reviews")
def issue(project_id: int):
    """Issue a numbered, locked review report (after the user confirmed) and go back to the project page."""
    if request.form.get("confirm") != "1":
        raise BadParameter("出具的审查报告编号后不可修改，请勾选确认后再出具", code="confirmation_required",
                           details={"field": "confirm"})
    review.issue(db.session, project_id, current_username())
    return redirect(url_for("flags.project", project_id=project_id))


@bp.post("/<int:flag_id>/status")
def set_status(flag_id: int):
    """Change a flag's status from a form (with the version it was shown at)."""
    form = request.form
    version = parsing.integer(form.get("version"), "version", minimum=1, maximum=parsing.INT32_MAX)
    flag = admin.set_status(db.session, flag_id, form.get("status", ""), form.get("reason"), current_username(),
                            f'"flag-{flag_id}-v{version}"')
    return redirect(_back(url_for("flags.project", project_id=flag["project_id"])))


@bp.get("/rules")
def rules():
    """List the encroachment rules (admins can edit thresholds, severity and activation)."""
    return render_template("flags/rules.html", rules=admin.list_rules(db.session), **LABELS)


@bp.post("/rules/<int:rule_id>")
def update_rule(rule_id: int):
    """Save an admin's edit of a rule from the rules page; every project is re-checked for it."""
    form = request.form
    body = {name: parsing.number(form.get(name), name, minimum=0, maximum=1e9, default=0.0)
            for name in ("distance_m", "min_overlap_m2", "min_overlap_pct")}
    body.update(severity=form.get("severity", ""), active=form.get("active") == "1")
    admin.update_rule(db.session, rule_id, body, current_username(), f'"rule-{rule_id}-v{form.get("version", "")}"')
    return redirect(url_for("flags.rules"))

