"""The 两型审查 (two-oriented review) of a project: assess, render HTML and PDF, issue and lock.

:func:`assess` gathers what the review states (flags, land-use indicators,
conclusion, data version); :func:`issue` numbers it, renders both files and
stores them in ``review_reports``, where a trigger refuses any later UPDATE or
DELETE: an issued report never changes, a later change needs a new report.
"""
from __future__ import annotations

import base64
import hashlib
import json
import logging
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from flask import render_template
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session, aliased, defer

from ...errors import NotFound
from ...models import AuditEntry, Project, Zone
from ...models.encroachment import ReviewOverride, ReviewReport
from ...rules import encroachment as enc_rules
from ...rules import land_use, project_status
from ...spatial.measure import m2_to_mu
from ..accounts import audit, notifications
from . import check, review_map, review_pdf

LOGGER = logging.getLogger(__name__)
NUMBER_FORMAT = "石峰两型审〔{year}〕{seq:04d}号"


@dataclass
class Assessment:
    """Everything a review report states about one project at one moment."""

    project: dict
    flags: list[dict]
    indicators: list[land_use.Indicator]
    idle: land_use.IdleLand
    land_use_outcome: str
    conclusion: str
    data_version: str
    fingerprint: str
    map_png: bytes
    as_of: date
    extract: object | None = None  # review_map.MapExtract, drawn as vectors in the PDF
    findings: list[land_use.Finding] = field(default_factory=list)
    override: ReviewOverride | None = None  # an admin's override on this very data, if any

    @property
    def counting_flags(self) -> list[dict]:
        """Return the flags that count against the project (violations and reviews still open)."""
        return [f for f in self.flags if f["status"] in enc_rules.OPEN_STATUSES and f["severity"] != "warning"]

    @property
    def failed_indicators(self) -> list[land_use.Indicator]:
        """Return the land-use indicators not met."""
        return [i for i in self.indicators if i.ok is False]

    def reasons(self, lang: str = "zh") -> list[str]:
        """Return why the conclusion is what it is: open flags, failed indicators, findings, idle land."""
        en = lang == "en"
        out = []
        for f in self.counting_flags:
            sev = enc_rules.SEVERITY_LABELS[f["severity"]][1 if en else 0]
            out.append(f"{f['rule_name_en'] or f['rule_name']} ({sev})" if en else f"{f['rule_name']}（{sev}）")
        for i in self.failed_indicators:
            value = "—" if i.value is None else f"{i.value:,.2f}"
            label = i.label_en if en else i.label
            out.append(f"{label} {value}{i.unit} < {i.threshold:g}{i.unit}")
        out += [f.text_en if en else f.text for f in self.findings]
        if self.idle.consequence != "none":
            out.append(self.idle.text_en if en else self.idle.text)
        return out


def _project(session: Session, project_id: int) -> dict:
    sub = aliased(Zone)
    row = session.execute(
        select(Project, func.ST_Area(Project.geom), Zone.name, sub.name, sub.level, sub.kind,
               func.md5(func.ST_AsEWKB(Project.geom)))
        .outerjoin(Zone, Zone.id == Project.top_zone_id).outerjoin(sub, sub.id == Project.zone_id)
        .where(Project.id == project_id, Project.deleted_at.is_(None))).first()
    if row is None:
        raise NotFound("不存在该项目", code="unknown_project")
    p, area, zone_name, sub_name, sub_level, sub_kind, geom_md5 = row
    return {"id": p.id, "name": p.name, "project_type": p.project_type, "status": p.status,
            "zone_name": zone_name, "sub_area_name": sub_name if sub_level == "sub_area" else None,
            "in_industrial_park": sub_level == "sub_area" and sub_kind in land_use.INDUSTRIAL_PARK_KINDS,
            "version": p.version, "area_m2": area, "area_mu": m2_to_mu(area),
            "investment_wan": p.investment_wan, "park_level": p.park_level,
            "floor_area_ratio": p.floor_area_ratio, "building_coverage": p.building_coverage,
            "annual_tax_wan": p.annual_tax_wan, "land_price_wan": p.land_price_wan,
            "land_supplied_date": p.land_supplied_date, "construction_started_date": p.construction_started_date,
            "geom_md5": geom_md5}


def data_version(session: Session, project: dict) -> str:
    """Return the data version a review is based on: the last audit entry and the project version."""
    last = session.scalar(select(func.max(AuditEntry.id))) or 0
    return f"A{last}-P{project['version']}"


REVIEWED = ("project_type", "park_level", "investment_wan", "floor_area_ratio", "building_coverage",
            "annual_tax_wan", "land_price_wan", "land_supplied_date", "construction_started_date", "geom_md5")
"""What the review judges; its fingerprint changes when one of them does (the status and the name do not)."""


def fingerprint_of(project: dict, flags: list[dict], lu: land_use.LandUseReview, conclusion: str) -> str:
    """Return the fingerprint of the reviewed data: a report or override holds while it stays the same."""
    basis = {"project": {k: project[k] for k in REVIEWED}, "conclusion": conclusion,
             "flags": [(f["rule"], f["severity"], f["status"], f["overlap_m2"], f["min_distance_m"]) for f in flags],
             "indicators": [(i.code, None if i.value is None else round(i.value, 4), i.ok) for i in lu.indicators],
             "findings": [f.code for f in lu.findings], "idle": (lu.idle.consequence, lu.idle.fee_wan)}
    return hashlib.sha256(json.dumps(basis, sort_keys=True, default=str).encode()).hexdigest()


def assess(session: Session, project_id: int, as_of: date | None = None, with_map: bool = True) -> Assessment:
    """Assess a project now: its flags, land-use indicators and findings, the conclusion and any override."""
    as_of = as_of or date.today()
    project = _project(session, project_id)
    flags = check.project_flags(session, project_id)
    lu = land_use.review(
        project["project_type"], project["park_level"], project["area_mu"], project["investment_wan"],
        project["floor_area_ratio"], project["building_coverage"], project["annual_tax_wan"],
        project["land_supplied_date"], project["construction_started_date"], as_of, project["land_price_wan"],
        project["in_industrial_park"])
    conclusion = enc_rules.conclude([(f["severity"], f["status"]) for f in flags], lu.outcome)
    fingerprint = fingerprint_of(project, flags, lu, conclusion)
    override = session.scalar(select(ReviewOverride).where(
        ReviewOverride.project_id == project_id, ReviewOverride.fingerprint == fingerprint)
        .order_by(ReviewOverride.id.desc()).limit(1))
    extract = review_map.load_extract(session, project_id) if with_map else None
    png = review_map.png(extract) if extract is not None else b""
    return Assessment(project, flags, lu.indicators, lu.idle, lu.outcome, conclusion, data_version(session, project),
                      fingerprint, png, as_of, extract, lu.findings, override)


def render_html(a: Assessment, number: str | None, issued_at: datetime | None, issued_by: str | None) -> str:
    """Return the report as one self-contained HTML page (the map is embedded)."""
    return render_template(
        "flags/report.html", a=a, number=number, issued_at=issued_at, issued_by=issued_by,
        map_data=base64.b64encode(a.map_png).decode() if a.map_png else None,
        severity_labels=enc_rules.SEVERITY_LABELS, status_labels=enc_rules.STATUS_LABELS,
        conclusion_labels=enc_rules.CONCLUSION_LABELS, type_labels=project_status.PROJECT_TYPE_LABELS,
        project_status_labels=project_status.STATUS_LABELS, park_labels=land_use.PARK_LEVEL_LABELS)


def _next_number(session: Session, year: int) -> tuple[int, str]:
    # One issuer at a time per year, so numbers have no gaps or duplicates.
    session.execute(text("SELECT pg_advisory_xact_lock(4004, :year)"), {"year": year})
    seq = (session.scalar(select(func.max(ReviewReport.seq)).where(ReviewReport.year == year)) or 0) + 1
    return seq, NUMBER_FORMAT.format(year=year, seq=seq)


def issue(session: Session, project_id: int, username: str) -> ReviewReport:
    """Number, render and store a review report of the project as it is now; commit. The files are locked."""
    a = assess(session, project_id)
    issued_at = datetime.now(UTC)
    year = issued_at.astimezone().year
    seq, number = _next_number(session, year)
    html = render_html(a, number, issued_at, username)
    pdf = review_pdf.render(a, number, issued_at, username)
    report = ReviewReport(
        number=number, year=year, seq=seq, project_id=project_id, project_version=a.project["version"],
        data_version=a.data_version, fingerprint=a.fingerprint, conclusion=a.conclusion, issued_at=issued_at,
        issued_by=username, html=html, pdf=pdf, html_sha256=hashlib.sha256(html.encode()).hexdigest(),
        pdf_sha256=hashlib.sha256(pdf).hexdigest())
    session.add(report)
    session.flush()
    audit.record(session, username=username, action="issue_review", object_type="review_report",
                 object_id=report.id, after={"number": number, "project_id": project_id, "conclusion": a.conclusion,
                                             "data_version": a.data_version, "pdf_sha256": report.pdf_sha256})
    notifications.review_issued(session, report_id=report.id, number=number, project_id=project_id,
                                project_name=a.project["name"], conclusion=a.conclusion, username=username)
    session.commit()
    LOGGER.info("review %s issued for project %s: %s", number, project_id, a.conclusion)
    return report


def reports_of(session: Session, project_id: int) -> list[ReviewReport]:
    """Return the project's issued reports, newest first (without loading the files)."""
    return list(session.scalars(select(ReviewReport).options(defer(ReviewReport.html), defer(ReviewReport.pdf))
                                .where(ReviewReport.project_id == project_id).order_by(ReviewReport.id.desc())))


def get_report(session: Session, report_id: int) -> ReviewReport:
    """Return an issued report or raise 404."""
    report = session.get(ReviewReport, report_id)
    if report is None:
        raise NotFound("不存在该审查报告", code="unknown_report")
    return report


REPORT_LIST_OPTIONS = (defer(ReviewReport.html), defer(ReviewReport.pdf))
"""Load options for listing reports without their files."""


def current_report(session: Session, project_id: int, fingerprint: str) -> ReviewReport | None:
    """Return the newest report issued on exactly this reviewed data (not outdated), or None."""
    return session.scalar(select(ReviewReport).options(*REPORT_LIST_OPTIONS)
                          .where(ReviewReport.project_id == project_id, ReviewReport.fingerprint == fingerprint)
                          .order_by(ReviewReport.id.desc()).limit(1))


def report_dict(report: ReviewReport, current_fingerprint: str | None = None) -> dict:
    """Return the JSON view of an issued report (``outdated`` when the project's situation changed since)."""
    return {"id": report.id, "number": report.number, "project_id": report.project_id,
            "issued_at": report.issued_at.isoformat(), "issued_by": report.issued_by,
            "conclusion": report.conclusion, "data_version": report.data_version,
            "project_version": report.project_version, "pdf_sha256": report.pdf_sha256,
            "outdated": None if current_fingerprint is None else report.fingerprint != current_fingerprint}


def override_dict(o: ReviewOverride | None) -> dict | None:
    """Return the JSON view of an admin override (None when there is none)."""
    if o is None:
        return None
    return {"id": o.id, "project_id": o.project_id, "conclusion": o.conclusion, "to_status": o.to_status,
            "reason": o.reason, "reasons": o.reasons, "username": o.username, "at": o.at.isoformat()}


def indicator_dict(i: land_use.Indicator) -> dict:
    """Return the JSON view of a land-use indicator."""
    return {"code": i.code, "label": i.label, "label_en": i.label_en,
            "value": None if i.value is None else round(i.value, 4), "threshold": i.threshold,
            "unit": i.unit, "ok": i.ok, "basis": i.basis, "consequence": i.consequence,
            "consequence_en": i.consequence_en}


def assessment_dict(a: Assessment) -> dict:
    """Return the JSON view of an assessment (without the map)."""
    return {"project_id": a.project["id"], "project": a.project["name"], "status": a.project["status"],
            "conclusion": a.conclusion, "land_use_outcome": a.land_use_outcome, "data_version": a.data_version,
            "fingerprint": a.fingerprint, "as_of": a.as_of.isoformat(), "area_m2": round(a.project["area_m2"], 2),
            "area_mu": round(a.project["area_mu"], 4), "zone_name": a.project["zone_name"],
            "sub_area_name": a.project["sub_area_name"], "flags": a.flags,
            "indicators": [indicator_dict(i) for i in a.indicators],
            "findings": [{"code": f.code, "text": f.text, "text_en": f.text_en, "outcome": f.outcome}
                         for f in a.findings],
            "idle_land": {"idle_years": a.idle.idle_years, "consequence": a.idle.consequence,
                          "land_price_wan": a.idle.land_price_wan, "fee_wan": a.idle.fee_wan,
                          "text": a.idle.text, "text_en": a.idle.text_en, "basis": a.idle.basis},
            "reasons": a.reasons(), "reasons_en": a.reasons("en"), "override": override_dict(a.override)}
