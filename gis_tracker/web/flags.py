"""合规审查 pages: the flags list, a project's review page, the rules, and the status/issue forms."""
from __future__ import annotations

from flask import Blueprint, Response, redirect, render_template, request, url_for

from .. import parsing
from ..db import db
from ..rules import encroachment as enc_rules
from ..security import current_username
from ..services.encroachment import flags as admin
from ..services.encroachment import review

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


@bp.get("/projects/<int:project_id>")
def project(project_id: int):
    """Show a project's flags, land-use indicators, issued reports and a map of the overlaps."""
    a = review.assess(db.session, project_id, with_map=False)
    reports = [review.report_dict(r, a.fingerprint) for r in review.reports_of(db.session, project_id)]
    return render_template("flags/project.html", a=a, reports=reports,
                           geojson_url=url_for("flags_api.project_flags_geojson", project_id=project_id), **LABELS)


@bp.get("/projects/<int:project_id>/preview")
def preview(project_id: int):
    """Show the review report as it would be issued now (not numbered, not stored)."""
    a = review.assess(db.session, project_id)
    return Response(review.render_html(a, None, None, None), mimetype="text/html")


@bp.post("/projects/<int:project_id>/reviews")
def issue(project_id: int):
    """Issue a numbered, locked review report and go back to the project page."""
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

