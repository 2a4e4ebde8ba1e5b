"""规划跟踪 pages: the indicator register and the 两型 index, then vs now, and ecological restoration."""
from __future__ import annotations

from datetime import date

from flask import Blueprint, current_app, redirect, render_template, request, url_for

from .. import access, parsing, storage
from ..api.planning_params import parse_date, parse_year
from ..db import db
from ..errors import BadParameter
from ..i18n import gettext as _
from ..i18n import pick
from ..rules import planning as rules
from ..rules.stages import STAGE_CODES, STAGE_COLOURS, STAGE_LABELS, STAGE_LABELS_EN
from ..security import current_user, current_username
from ..services.planning import index, register, restoration
from ..services.relocation import attachments

bp = Blueprint("planning", __name__, url_prefix="/planning")


@bp.app_template_global("restoration_of")
def restoration_of(project_id: int) -> dict:
    """Return a project's restoration for the review page's partial (planning/_restoration_status.html)."""
    return restoration.project(db.session, project_id)


def _back(default: str) -> str:
    target = request.form.get("next") or ""
    return target if target.startswith("/planning") or target.startswith("/flags") else default


@bp.get("/indicators")
def indicators():
    """Show the register: each indicator's series against its target, its status, and the index per year."""
    year = parse_year(request.args.get("year"))
    entries = register.register(db.session, up_to_year=year)
    for e in entries:  # the entry form sends the version of a value it replaces
        e["entered_etags"] = {y: v["etag"] for y, v in e["values"].items() if v["kind"] == "entered"}
    yearly = index.yearly(db.session)
    cfg = {"indicators": [{"key": e["key"], "label": e["label"], "target": e["target"], "unit": e["unit"],
                           "direction": e["direction"], "mode": e["mode"], "baseline_year": e["baseline_year"],
                           "values": {y: {"value": v["value"], "measure": v["measure"], "kind": v["kind"]}
                                      for y, v in e["values"].items()}} for e in entries],
           "index": [{"year": y["year"], "index": y["index"], "coverage": y["coverage"]} for y in yearly["years"]],
           "i18n": {"target": _("目标"), "entered": _("填报"), "computed": _("计算"), "index": _("两型社会建设指数"),
                    "coverage": _("覆盖率（%）"), "measure": _("比较值")}}
    counts = {code: sum(1 for e in entries if e["status"] == code) for code in rules.STATUS_LABELS}
    return render_template("planning/indicators.html", entries=entries, yearly=yearly, cfg=cfg, counts=counts,
                           status_labels={c: pick(*v) for c, v in rules.STATUS_LABELS.items()},
                           themes=register.THEMES, year=year, this_year=date.today().year,
                           today=date.today().isoformat(),
                           may_enter=current_user().role in access.PLANNERS,
                           is_admin=current_user().role == "admin")


@bp.post("/indicators/<key>/values")
def enter_value(key: str):
    """Save a yearly value from the register page's form."""
    form = request.form
    year = parse_year(form.get("year"))
    if year is None:
        raise BadParameter("请填写年份", code="bad_year", details={"field": "year"})
    try:
        value = float(form.get("value", ""))
    except ValueError:
        raise BadParameter("数值须为数字", code="bad_value", details={"field": "value"}) from None
    body = {"value": value, "source": form.get("source", ""), "source_date": form.get("source_date") or None,
            "note": form.get("note") or None}
    register.set_value(db.session, key, year, body, current_user(), form.get("etag") or None)
    return redirect(url_for("planning.indicators") + f"#ind-{key}")


@bp.post("/indicators/<key>/weight")
def set_weight(key: str):
    """Save an indicator's weight (admins)."""
    try:
        weight = float(request.form.get("weight", ""))
    except ValueError:
        raise BadParameter("权重须为数字", code="bad_weight", details={"field": "weight"}) from None
    register.set_weight(db.session, key, weight, current_user(), request.form.get("etag"))
    return redirect(url_for("planning.indicators") + f"#ind-{key}")


@bp.post("/index/<int:year>/publish")
def publish(year: int):
    """Publish the index of ``year`` as a numbered PDF report."""
    index.publish(db.session, year, current_user())
    return redirect(url_for("planning.indicators") + "#index")


@bp.get("/compare")
def compare_page():
    """Show the comparison of two dates (side-by-side maps, changes, counts; export PNG/PDF)."""
    today = date.today()
    start = parse_date(request.args.get("from"), "from") or date(today.year - 1, 12, 31)
    end = parse_date(request.args.get("to"), "to") or today
    cfg = {"from": start.isoformat(), "to": end.isoformat(), "api": url_for("planning_api.compare_dates"),
           "exports": url_for("exports_api.start_export"), "today": today.isoformat(),
           "zones_url": url_for("ogc.items", collection_id="zones", limit=1000),
           "i18n": {"loading": _("加载中…"), "failed": _("加载失败"), "exporting": _("正在导出…"),
                    "export_failed": _("导出失败"), "download": _("下载"), "none": _("（无）")}}
    stage_legend = [{"label": pick(STAGE_LABELS[c], STAGE_LABELS_EN[c]), "colour": STAGE_COLOURS[c]}
                    for c in STAGE_CODES]
    return render_template("planning/compare.html", cfg=cfg, today=today.isoformat(), stage_legend=stage_legend)


@bp.get("/restoration")
def restoration_page():
    """Show the overdue list and map of restorations (projects) and site remediations (enterprises)."""
    args = request.args
    as_of = parse_date(args.get("as_of"), "as_of")
    if as_of is not None and as_of > date.today():
        raise BadParameter("截至日期不能晚于今天", code="bad_as_of", details={"parameter": "as_of"})
    kind = args.get("kind") or None
    if kind not in (None, "project", "site"):
        raise BadParameter("参数 kind 须为 project 或 site", code="bad_parameter", details={"parameter": "kind"})
    data = restoration.overview(db.session, as_of, args.get("status") or None, kind)
    cfg = {"map_url": url_for("planning_api.restoration_map"), "as_of": data["as_of"],
           "i18n": {"loading": _("加载中…"), "failed": _("加载失败")}}
    return render_template("planning/restoration.html", data=data, cfg=cfg, kind=kind, chosen=args.get("status", ""),
                           statuses=[(c, pick(*v)) for c, v in rules.RESTORATION_STATUSES.items()],
                           bases=[(c, pick(*v)) for c, v in rules.REMEDIATION_BASES.items()],
                           may_recheck=current_user().role in access.PLANNERS, today=date.today().isoformat(),
                           may_term=current_user().role in access.RELOCATION,
                           candidates=restoration.term_candidates(db.session))


@bp.post("/restoration/recheck")
def recheck():
    """Recompute every project's restoration proposal."""
    restoration.refresh_all(db.session, current_username())
    return redirect(url_for("planning.restoration_page"))


@bp.post("/projects/<int:project_id>/restoration")
def record(project_id: int):
    """Record a project's completed restoration from the review page's form (date, note, evidence files)."""
    form = request.form
    restored_on = parse_date(form.get("restored_date"), "restored_date")
    if restored_on is None:
        raise BadParameter("请填写修复完成日期", code="missing_field", details={"field": "restored_date"})
    uploads = [attachments.Upload(f.filename or "", f.read()) for f in request.files.getlist("evidence")
               if f and (f.filename or "")]
    restoration.record(db.session, project_id, restored_on, form.get("note") or "", uploads, current_user(),
                       form.get("etag"), storage.directory("files"),
                       int(current_app.config.get("MAX_ATTACHMENT_MB", 20)) * 1024 * 1024)
    return redirect(_back(url_for("flags.project", project_id=project_id)))


@bp.post("/projects/<int:project_id>/restoration-decision")
def decide(project_id: int):
    """Save the planner's completion date and restoration decision (yes / no / leave it to the proposal)."""
    form = request.form
    choice = form.get("restoration_required", "")
    if choice not in ("yes", "no", "auto"):
        raise BadParameter("请选择是否需要生态修复", code="bad_form", details={"field": "restoration_required"})
    completion = parse_date(form.get("completion_date"), "completion_date")
    restoration.decide(db.session, project_id, {"yes": True, "no": False, "auto": None}[choice], completion,
                       current_user(), form.get("etag"))
    return redirect(_back(url_for("flags.project", project_id=project_id)))


@bp.post("/remediation-term")
def site_term_form():
    """Save a site's 场地调查与修复 term from the restoration page (empty basis clears it)."""
    form = request.form
    chosen = (form.get("enterprise") or "").split("|", 1)
    enterprise_id = parsing.path_id(chosen[0]) if len(chosen) == 2 else None
    if enterprise_id is None:
        raise BadParameter("请选择企业", code="bad_form", details={"field": "enterprise"})
    etag = chosen[1]
    basis = form.get("remediation_basis") or None
    months = form.get("remediation_months", "")
    if basis is not None:
        months = parsing.integer(months, "remediation_months", minimum=1, maximum=100000, code="bad_months")
    restoration.set_site_term(db.session, enterprise_id, basis, months if basis else None, current_user(), etag)
    return redirect(url_for("planning.restoration_page", kind="site"))
