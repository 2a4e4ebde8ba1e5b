"""The 两型社会建设指数: a weighted composite of the plan's indicators, per year, published as numbered reports.

"定期对区各责任单位两型社会建设指数进行统计并予以发布" (三(五)).

Formula (documented on the register page, in the README and in every report)::

    sᵢ = attainment of indicator i in year Y, in [0, 1]
         "≥" targets: min(1, figure / target); "≤" targets: min(1, target / figure); met → 1
         (the figure is the value, or for baseline targets the reduction/rise from the baseline year)
    指数(Y) = 100 × Σ wᵢ·sᵢ / Σ wᵢ        over the indicators with a figure in year Y
    覆盖率(Y) = Σ wᵢ (with a figure) / Σ wᵢ (all indicators)

Weights wᵢ are in the register (``plan_indicators.weight``): 2 for the seven main targets of 一(二)
(能源消耗强度 … 集中式饮用水源达标率), 1 for the others; admins change them (audited).  An indicator
without a figure for the year is left out rather than counted as zero, and the coverage says how much of
the weight the index rests on.  A report is numbered 石峰两型指数〔年〕NN号 (editions of the same year
count up), stores its inputs and PDF, and is locked by a trigger: a correction is a new edition.
"""
from __future__ import annotations

import hashlib
import logging
from datetime import UTC, date, datetime

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session, defer

from ... import access
from ...errors import BadParameter, Conflict, Forbidden, NotFound
from ...models import IndexReport, User
from ...rules import planning as rules
from ..accounts import audit, notifications
from . import computed, index_pdf, register

LOGGER = logging.getLogger(__name__)
NUMBER_FORMAT = "石峰两型指数〔{year}〕{seq:02d}号"
FORMULA = ("指数 = 100 × Σ(权重 × 达成度) / Σ 权重（仅计当年有数据的指标）；达成度：“≥”目标为 实际值/目标值，"
           "“≤”目标为 目标值/实际值，达标记 1，最高 1；较基准年的目标以削减（提高）幅度为实际值；"
           "覆盖率 = 有数据指标的权重之和 / 全部权重之和。")


def _years(entries: list[dict], today: date) -> list[int]:
    years = set()
    for entry in entries:
        years.update(int(y) for y, v in entry["values"].items() if v.get("measure") is not None)
    return sorted(y for y in years if computed.FIRST_YEAR <= y <= today.year)


def year_result(entries: list[dict], year: int) -> dict:
    """Return the index of ``year`` from described register entries, with each component."""
    components = []
    for e in entries:
        value = e["values"].get(str(year)) or {}
        components.append({"key": e["key"], "label": e["label"], "weight": e["weight"], "target": e["target"],
                           "direction": e["direction"], "unit": e["unit"], "value": value.get("value"),
                           "measure": value.get("measure"), "score": value.get("score"),
                           "status": value.get("status", "no_data"), "kind": value.get("kind"),
                           "source": value.get("source")})
    result = rules.composite((c["weight"], c["score"]) for c in components)
    return {"year": year, "index": result.value, "coverage": result.coverage, "weight_used": result.weight_used,
            "weight_total": result.weight_total,
            "indicators_with_data": sum(1 for c in components if c["score"] is not None),
            "indicators_total": len(components), "components": components}


def yearly(session: Session, today: date | None = None) -> dict:
    """Return the index per year (years with any figure, from 2014 to this year) and the published reports."""
    day = today or date.today()
    entries = register.register(session, today=day)
    published: dict[int, list[dict]] = {}
    for r in reports(session):
        published.setdefault(r.year, []).append(report_dict(r))
    years = []
    for year in _years(entries, day):
        result = year_result(entries, year)
        result["reports"] = published.get(year, [])
        years.append(result)
    return {"formula": FORMULA, "weights": {e["key"]: e["weight"] for e in entries}, "years": years}


def reports(session: Session) -> list[IndexReport]:
    """Return the published reports, newest first (without their PDFs)."""
    return list(session.scalars(select(IndexReport).options(defer(IndexReport.pdf))
                                .order_by(IndexReport.id.desc())))


def report_dict(r: IndexReport) -> dict:
    """Return the JSON view of a published report."""
    return {"id": r.id, "number": r.number, "year": r.year, "seq": r.seq, "index": r.index_value,
            "coverage": r.coverage, "published_at": r.published_at.isoformat() if r.published_at else None,
            "published_by": r.published_by, "pdf_sha256": r.pdf_sha256,
            "url": f"/api/plan-indicators/index/reports/{r.id}.pdf"}


def get_report(session: Session, report_id: int) -> IndexReport:
    """Return a published report (404 when unknown)."""
    found = session.get(IndexReport, report_id) if 0 < report_id <= 2**31 - 1 else None
    if found is None:
        raise NotFound("不存在该指数报告", code="unknown_report")
    return found


def _next_number(session: Session, year: int) -> tuple[int, str]:
    # One publisher at a time per year, so editions have no gaps or duplicates.
    session.execute(text("SELECT pg_advisory_xact_lock(4042, :year)"), {"year": year})
    seq = (session.scalar(select(func.max(IndexReport.seq)).where(IndexReport.year == year)) or 0) + 1
    return seq, NUMBER_FORMAT.format(year=year, seq=seq)


def publish(session: Session, year: int, user: User) -> IndexReport:
    """Publish the index of ``year`` as a numbered, locked PDF report; tell everyone; commits."""
    if user.role not in access.PLANNERS:
        raise Forbidden("只有规划人员和管理员可以发布指数报告", code="forbidden_publish")
    today = date.today()
    if not computed.FIRST_YEAR <= year <= today.year:
        raise BadParameter(f"年份须在 {computed.FIRST_YEAR} 至 {today.year} 之间", code="bad_year",
                           details={"parameter": "year"})
    entries = register.register(session, today=today)
    result = year_result(entries, year)
    if result["index"] is None:
        raise Conflict(f"{year} 年没有任何指标数据，不能发布", code="no_data")
    history = [year_result(entries, y) for y in _years(entries, today) if y <= year]
    seq, number = _next_number(session, year)
    published_at = datetime.now(UTC)
    pdf = index_pdf.render(number, year, result, history, FORMULA, published_at, user.username)
    row = IndexReport(number=number, year=year, seq=seq, index_value=result["index"], coverage=result["coverage"],
                      inputs=audit.jsonable({"formula": FORMULA, **{k: v for k, v in result.items()}}),
                      published_at=published_at, published_by=user.username, pdf=pdf,
                      pdf_sha256=hashlib.sha256(pdf).hexdigest())
    session.add(row)
    session.flush()
    audit.record(session, username=user.username, action="publish_index", object_type="index_report",
                 object_id=row.id, after={"number": number, "year": year, "index": result["index"],
                                          "coverage": result["coverage"], "pdf_sha256": row.pdf_sha256})
    notifications.index_published(session, report_id=row.id, number=number, year=year, value=result["index"],
                                  username=user.username)
    session.commit()
    LOGGER.info("index report %s published: %s", number, result["index"])
    return row
