"""Relocation office pages: the enterprise table, an enterprise's page, the dashboard and the ledger."""
from __future__ import annotations

import json
from datetime import date

from flask import Blueprint, current_app, render_template, request, url_for

from .. import storage
from ..api.relocation_params import parse_as_of, parse_filter
from ..db import db
from ..errors import AppError
from ..i18n import gettext as _
from ..i18n import pick
from ..rules import relocation as rules
from ..rules.stages import PATH_LABELS, PATH_LABELS_EN, STAGE_CODES, STAGE_COLOURS, STAGE_LABELS, STAGE_LABELS_EN
from ..security import current_user
from ..services.relocation import dashboard as relocation_dashboard
from ..services.relocation import ledger, ledger_uploads, status, transitions

bp = Blueprint("relocation", __name__, url_prefix="/relocation")


def _labels() -> dict:
    return {
        "stages": [(c, pick(STAGE_LABELS[c], STAGE_LABELS_EN[c]), STAGE_COLOURS[c]) for c in STAGE_CODES],
        "stage_label": {c: pick(STAGE_LABELS[c], STAGE_LABELS_EN[c]) for c in STAGE_CODES},
        "stage_colour": STAGE_COLOURS,
        "stage_order": {c: i for i, c in enumerate(STAGE_CODES)},
        "paths": [(c, pick(PATH_LABELS[c], PATH_LABELS_EN[c])) for c in PATH_LABELS],
        "path_label": {c: pick(PATH_LABELS[c], PATH_LABELS_EN[c]) for c in PATH_LABELS},
        "today": date.today().isoformat(),
        "may_transition": transitions.may_transition(current_user()),
    }


def _query_without(*names: str) -> dict:
    return {k: v for k, v in request.args.items() if k not in names and v != ""}


@bp.get("/")
def index():
    """Show the enterprise table with filters, search, sorting and paging, as of a date."""
    f = parse_filter(request.args)
    page = status.table(db.session, f)
    return render_template("relocation/index.html", page=page, f=f, args=_query_without("page"),
                           sort_args=_query_without("sort", "desc", "page"), **_labels())


@bp.get("/enterprises/<int:enterprise_id>")
def detail(enterprise_id: int):
    """Show one enterprise: small map, timeline, attachments and the transition form."""
    ent = status.detail(db.session, enterprise_id)
    history = transitions.history(db.session, enterprise_id)
    page_cfg = {
        "id": ent["id"], "etag": ent["etag"], "point": json.loads(ent["point"]) if ent["point"] else None,
        "parcel": json.loads(ent["parcel"]) if ent["parcel"] else None, "colour": STAGE_COLOURS[ent["stage"]],
        "transitions_url": url_for("relocation_api.create_transition", enterprise_id=enterprise_id),
        "zones_url": url_for("ogc.items", collection_id="zones", limit=1000),
        "i18n": {"saved": _("已保存"), "stale": _("该企业已被他人修改，请刷新页面后重试"),
                 "failed": _("保存失败"), "allowed": _("可选的下一阶段")},
    }
    return render_template("relocation/detail.html", ent=ent, history=list(reversed(history)),
                           page_cfg=page_cfg, is_admin=current_user().role == "admin",
                           may_set_destination=transitions.may_set_destination(current_user()),
                           max_mb=int(current_app.config.get("MAX_ATTACHMENT_MB", 20)), **_labels())


@bp.get("/dashboard")
def dashboard():
    """Show the dashboard (counts, milestones, burn-up chart, overdue list, stage map) as of a date."""
    as_of = parse_as_of(request.args.get("as_of"))
    data = relocation_dashboard.dashboard(db.session, as_of)
    cfg = {"burnup": data["burnup"], "map_url": url_for("relocation_api.stage_map"), "as_of": data["as_of"],
           "zones_url": url_for("ogc.items", collection_id="zones", limit=1000),
           "legend": [{"label": pick(STAGE_LABELS[c], STAGE_LABELS_EN[c]), "colour": STAGE_COLOURS[c]}
                      for c in STAGE_CODES],
           "i18n": {"count": _("企业数"), "loading": _("加载中…"), "load_failed": _("图层加载失败"),
                    "all": _("全部企业"), "at_or_past": _("已达到“{stage}”及以后阶段"), "target": _("目标"),
                    "at_deadline": _("期限时达到"), "page": _("第 {page} / {pages} 页"), "previous": _("上一页"),
                    "next": _("下一页"), "overdue_pages": _("逾期企业分页")},
           "page_size": 20}
    return render_template("relocation/dashboard.html", data=data, cfg=cfg, milestones=rules.MILESTONES,
                           **_labels())


@bp.get("/ledger")
def ledger_page():
    """Show the ledger import form and the export links."""
    return render_template("relocation/ledger.html", args=_query_without(), **_labels())


@bp.post("/ledger/preview")
def ledger_preview():
    """Upload a ledger and show what importing it would change (nothing is written)."""
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        return render_template("relocation/ledger.html", error=_("请选择台账文件"), args={}, **_labels()), 400
    data = upload.read()
    try:
        result = ledger.preview(db.session, upload.filename, data, current_user())
    except AppError as exc:
        if exc.status == 403:
            raise
        return render_template("relocation/ledger.html", error=exc.message, args={}, **_labels()), exc.status
    token = ledger_uploads.save(storage.directory("files"), upload.filename, data, current_user().username)
    return render_template("relocation/ledger_preview.html", preview=result, token=token, **_labels())


@bp.post("/ledger/commit")
def ledger_commit():
    """Import the previewed ledger: all rows or none."""
    token = request.form.get("token", "")
    data_dir = storage.directory("files")
    try:
        name, data = ledger_uploads.load(data_dir, token, current_user().username)
        result = ledger.commit(db.session, name, data, current_user())
    except AppError as exc:
        if exc.status == 403:
            raise
        preview = exc.details.get("preview") if isinstance(exc.details, dict) else None
        return render_template("relocation/ledger.html", error=exc.message, args={}, failed=preview,
                               **_labels()), exc.status
    ledger_uploads.discard(data_dir, token)
    return render_template("relocation/ledger_done.html", result=result, **_labels())
