"""The review register (审查台账): every live project with its current 两型审查 conclusion and why.

One row per project: its 片区 and 功能区, type and status, the conclusion
(通过 / 需审查 / 不通过) of the assessment as it stands now, the reasons (open
flags, failed land-use indicators, findings such as 园区级别未填, idle land — so
projects that fail only on land use appear), the latest issued report and
whether the project changed since (outdated), and an admin override if one
holds.  Filtered by 片区, conclusion and status; exported to Excel.
"""
from __future__ import annotations

import io
import logging
from dataclasses import dataclass
from datetime import date

from flask import url_for
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased

from ...db import WGS84
from ...errors import BadParameter
from ...models import Project, Zone
from ...models.encroachment import ReviewReport
from ...rules import encroachment as enc_rules
from ...rules import project_status as workflow
from . import review

LOGGER = logging.getLogger(__name__)
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PARAMETERS = ("zone", "conclusion", "status", "lang")
"""Query parameters the register accepts (``lang`` is the page language)."""


@dataclass(frozen=True)
class RegisterFilter:
    """The register's filters, already checked."""

    zone: str | None = None  # top-level zone code
    conclusion: str | None = None
    status: str | None = None

    @classmethod
    def from_args(cls, args, zone_codes: list[str]) -> RegisterFilter:
        """Build the filter from query parameters; 400 naming an unknown parameter or value."""
        unknown = sorted(set(args) - set(PARAMETERS))
        if unknown:
            raise BadParameter(f"未知参数 {unknown[0][:40]!r}", code="unknown_parameter",
                               details={"parameter": unknown[0][:40]})
        values = {k: (args.get(k) or "").strip() or None for k in ("zone", "conclusion", "status")}
        allowed = {"zone": zone_codes, "conclusion": list(enc_rules.CONCLUSIONS), "status": list(workflow.STATUSES)}
        for name, value in values.items():
            if value is not None and value not in allowed[name]:
                raise BadParameter(f"参数 {name} 的取值 {value[:40]!r} 无效", code="bad_parameter",
                                   details={"parameter": name, "allowed": allowed[name]})
        return cls(**values)


def _projects(session: Session, f: RegisterFilter) -> list:
    top, sub = aliased(Zone), aliased(Zone)
    centre = func.ST_Transform(func.ST_PointOnSurface(Project.geom), WGS84)
    stmt = (select(Project.id, Project.name, Project.project_type, Project.status, top.code, top.name, top.name_en,
                   sub.name, sub.name_en, sub.level, func.ST_X(centre), func.ST_Y(centre))
            .outerjoin(top, top.id == Project.top_zone_id).outerjoin(sub, sub.id == Project.zone_id)
            .where(Project.deleted_at.is_(None))
            .order_by(func.coalesce(top.code, "~"), Project.name, Project.id))
    if f.zone:
        stmt = stmt.where(top.code == f.zone)
    if f.status:
        stmt = stmt.where(Project.status == f.status)
    return session.execute(stmt).all()


def rows(session: Session, f: RegisterFilter) -> list[dict]:
    """Return the register's rows (one per live project), filtered."""
    latest = {}
    for report in session.scalars(select(ReviewReport).options(*review.REPORT_LIST_OPTIONS)
                                  .order_by(ReviewReport.id)):
        latest[report.project_id] = report
    out = []
    for (pid, name, ptype, status, zone_code, zone_name, zone_name_en, sub_name, sub_name_en, sub_level, lon, lat) \
            in _projects(session, f):
        a = review.assess(session, pid, with_map=False)
        if f.conclusion and a.conclusion != f.conclusion:
            continue
        report = latest.get(pid)
        out.append({
            "project_id": pid, "name": name, "project_type": ptype, "status": status,
            "zone_code": zone_code, "zone_name": zone_name, "zone_name_en": zone_name_en,
            "sub_area_name": sub_name if sub_level == "sub_area" else None,
            "sub_area_name_en": sub_name_en if sub_level == "sub_area" else None,
            "conclusion": a.conclusion, "reasons": a.reasons(), "reasons_en": a.reasons("en"),
            "flag_count": len(a.counting_flags), "failed_indicators": [i.code for i in a.failed_indicators],
            "findings": [x.code for x in a.findings], "idle_land": a.idle.consequence,
            "report": None if report is None else {
                "id": report.id, "number": report.number, "issued_at": report.issued_at.isoformat(),
                "conclusion": report.conclusion, "outdated": report.fingerprint != a.fingerprint},
            "override": review.override_dict(a.override),
            "implemented_against_review": workflow.is_gated(status) and a.conclusion != "pass",
            "review_url": url_for("flags.project", project_id=pid),
            "lonlat": [round(lon, 6), round(lat, 6)] if lon is not None else None,
        })
    return out


def counts(found: list[dict]) -> dict[str, int]:
    """Return how many rows have each conclusion."""
    return {c: sum(1 for r in found if r["conclusion"] == c) for c in enc_rules.CONCLUSIONS}


COLUMNS = ("序号", "项目名称", "所在片区", "所在功能区", "项目类型", "状态", "审查结论", "原因", "最新报告编号",
           "报告日期", "报告是否过期", "越权放行", "审查页面")


def _text(value) -> str | None:
    """Return a cell's text without the control characters XML cannot hold (the cell is written as text,
    so a leading ``=`` is never a formula)."""
    return None if value is None else ILLEGAL_CHARACTERS_RE.sub("", str(value))


def export_xlsx(found: list[dict], f: RegisterFilter, base_url: str) -> bytes:
    """Return the register as an Excel workbook; every text cell is stored as text (no formula runs)."""
    book = Workbook()
    sheet = book.active
    sheet.title = "审查台账"
    chosen = "，".join(f"{k}={v}" for k, v in (("片区", f.zone), ("结论", f.conclusion), ("状态", f.status)) if v)
    title = f"石峰区两型审查台账（截至 {date.today().isoformat()}{'；' + chosen if chosen else ''}）"
    sheet.append([title])
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(COLUMNS))
    sheet.cell(1, 1).font = Font(bold=True, size=14)
    sheet.append(list(COLUMNS))
    for c in range(1, len(COLUMNS) + 1):
        sheet.cell(2, c).font = Font(bold=True)
        sheet.column_dimensions[get_column_letter(c)].width = {2: 32, 8: 60, 13: 40}.get(c, 14)
    for n, r in enumerate(found, start=1):
        report = r["report"] or {}
        override = r["override"]
        values = [n, r["name"], r["zone_name"], r["sub_area_name"],
                  workflow.PROJECT_TYPE_LABELS.get(r["project_type"], (r["project_type"],))[0],
                  workflow.STATUS_LABELS.get(r["status"], (r["status"],))[0],
                  enc_rules.CONCLUSION_LABELS[r["conclusion"]][0], "；".join(r["reasons"]) or None,
                  report.get("number"), (report.get("issued_at") or "")[:10] or None,
                  None if not report else ("是" if report["outdated"] else "否"),
                  None if override is None else f"{override['username']}：{override['reason']}",
                  base_url.rstrip("/") + r["review_url"]]
        values = [v if isinstance(v, int) else _text(v) for v in values]
        sheet.append(values)
        row = sheet.max_row
        for c, v in enumerate(values, start=1):
            cell = sheet.cell(row, c)
            if isinstance(v, str):
                cell.data_type = "s"  # text, never a formula (a name such as "=HYPERLINK(…)")
            if c == 8:
                cell.alignment = Alignment(wrap_text=True, vertical="top")
    sheet.freeze_panes = "C3"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
