"""The relocation picture on any date: each enterprise's stage as of that day, who is late, the table.

Today's picture reads the enterprises' current columns; a past date is
reconstructed by replaying the transition history up to that day.  Filtering
and sorting happen in Python: there are a few hundred enterprises at most,
and the as-of stage is not a column.
"""
from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ...db import WGS84
from ...errors import BadParameter, NotFound
from ...models import Enterprise, StageTransition, Zone
from ...rules import relocation as rules
from ...rules.stages import STAGE_CODES, stage_index
from ..features.writes import etag

LOGGER = logging.getLogger(__name__)
SORT_KEYS = ("name", "stage", "zone", "industry", "path", "stage_date", "overdue")


@dataclass
class EnterpriseStatus:
    """One enterprise as it stood on a given date."""

    id: int
    name: str
    credit_code: str | None
    industry: str | None
    path: str
    destination: str | None
    zone_code: str | None
    zone_name: str | None
    stage: str
    stage_dates: dict
    planned_dates: dict
    lon: float
    lat: float
    overdue: list[tuple[str, date]] = field(default_factory=list)

    @property
    def stage_date(self) -> str | None:
        """Return the date the current stage was reached (ISO), if known."""
        return self.stage_dates.get(self.stage)


@dataclass(frozen=True)
class EnterpriseFilter:
    """Filters, sorting and paging of the relocation table."""

    as_of: date | None = None
    zone: str = ""
    industry: str = ""
    path: str = ""
    stage: str = ""
    overdue: bool | None = None
    q: str = ""
    sort: str = "name"
    desc: bool = False
    page: int = 1
    per_page: int = 50


@dataclass
class TablePage:
    """One page of the table plus what the filter controls offer."""

    rows: list[EnterpriseStatus]
    total: int
    page: int
    pages: int
    as_of: date
    zones: list[tuple[str, str]]
    industries: list[str]


def check_as_of(as_of: date | None) -> date:
    """Return the effective date of a view: today when not given; refuse future dates."""
    today = date.today()
    if as_of is None:
        return today
    if as_of > today:
        raise BadParameter("截至日期不能晚于今天",
                           code="bad_as_of", details={"parameter": "as_of"})
    return as_of


def histories(session: Session, until: date | None = None) -> dict[int, list[tuple[str, date]]]:
    """Return each enterprise's ``(to_stage, date)`` events in order, up to ``until``."""
    stmt = select(StageTransition.enterprise_id, StageTransition.to_stage, StageTransition.on_date) \
        .order_by(StageTransition.enterprise_id, StageTransition.on_date, StageTransition.id)
    if until is not None:
        stmt = stmt.where(StageTransition.on_date <= until)
    result: dict[int, list[tuple[str, date]]] = {}
    for eid, to_stage, on in session.execute(stmt):
        result.setdefault(eid, []).append((to_stage, on))
    return result


def _rows(session: Session):
    point = func.ST_Transform(Enterprise.geom, WGS84)
    return session.execute(
        select(Enterprise, Zone.code, Zone.name, func.ST_X(point), func.ST_Y(point))
        .outerjoin(Zone, Zone.id == Enterprise.zone_id)
        .where(Enterprise.deleted_at.is_(None)).order_by(Enterprise.id)).all()


def statuses(session: Session, as_of: date | None = None) -> list[EnterpriseStatus]:
    """Return every live enterprise as it stood on ``as_of`` (today by default), with overdue stages."""
    day = check_as_of(as_of)
    past = day < date.today()
    events = histories(session, day) if past else {}
    with_history = set(session.scalars(select(StageTransition.enterprise_id).distinct())) if past else set()
    result = []
    for ent, zone_code, zone_name, lon, lat in _rows(session):
        if not past:
            stage, dates = ent.stage, dict(ent.stage_dates or {})
        elif ent.id in with_history:
            stage, dates = rules.replay(events.get(ent.id, []))
        else:
            stage, dates = rules.replay([(s, d) for s, d in rules.events_from_stage_dates(ent.stage, ent.stage_dates)
                                         if d <= day])
        result.append(EnterpriseStatus(
            id=ent.id, name=ent.name, credit_code=ent.credit_code, industry=ent.industry, path=ent.path,
            destination=ent.destination, zone_code=zone_code, zone_name=zone_name, stage=stage,
            stage_dates=dates, planned_dates=dict(ent.planned_dates or {}), lon=lon, lat=lat,
            overdue=rules.overdue(stage, ent.planned_dates, day)))
    return result


def _matches(s: EnterpriseStatus, f: EnterpriseFilter) -> bool:
    q = f.q.strip().lower()
    return ((not f.zone or s.zone_code == f.zone) and (not f.industry or s.industry == f.industry)
            and (not f.path or s.path == f.path) and (not f.stage or s.stage == f.stage)
            and (f.overdue is None or bool(s.overdue) == f.overdue)
            and (not q or q in s.name.lower() or q in (s.credit_code or "").lower()))


def _sort_key(sort: str):
    keys = {
        "name": lambda s: s.name,
        "stage": lambda s: (stage_index(s.stage), s.name),
        "zone": lambda s: (s.zone_code or "", s.name),
        "industry": lambda s: (s.industry or "", s.name),
        "path": lambda s: (s.path, s.name),
        "stage_date": lambda s: (s.stage_date or "", s.name),
        "overdue": lambda s: (min((d for _, d in s.overdue), default=date.max), s.name),
    }
    return keys.get(sort, keys["name"])


def filtered(session: Session, f: EnterpriseFilter) -> list[EnterpriseStatus]:
    """Return every enterprise matching ``f``, sorted (no paging)."""
    return _filter_sort(statuses(session, f.as_of), f)


def _filter_sort(rows: list[EnterpriseStatus], f: EnterpriseFilter) -> list[EnterpriseStatus]:
    return sorted([s for s in rows if _matches(s, f)], key=_sort_key(f.sort), reverse=f.desc)


def table(session: Session, f: EnterpriseFilter) -> TablePage:
    """Return one page of the relocation table and the choices its filters offer."""
    all_rows = statuses(session, f.as_of)
    rows = _filter_sort(all_rows, f)
    pages = max(1, math.ceil(len(rows) / f.per_page))
    page = min(max(1, f.page), pages)
    zones = sorted({(s.zone_code, s.zone_name) for s in all_rows if s.zone_code})
    industries = sorted({s.industry for s in all_rows if s.industry})
    return TablePage(rows[(page - 1) * f.per_page: page * f.per_page], len(rows), page, pages,
                     check_as_of(f.as_of), zones, industries)


def reached(stage: str, target: str) -> bool:
    """Tell whether ``stage`` is at or beyond ``target``."""
    return stage_index(stage) >= stage_index(target)


def stage_counts(rows: list[EnterpriseStatus]) -> dict[str, int]:
    """Return how many enterprises are at each stage."""
    counts = {code: 0 for code in STAGE_CODES}
    for s in rows:
        counts[s.stage] += 1
    return counts


def detail(session: Session, enterprise_id: int) -> dict:
    """Return one enterprise for its relocation page: attributes, ETag, geometry, overdue stages."""
    if not 0 < enterprise_id <= 2**31 - 1:
        raise NotFound(f"企业 {enterprise_id} 不存在", code="unknown_feature")
    point, parcel = func.ST_Transform(Enterprise.geom, WGS84), func.ST_Transform(Enterprise.parcel_geom, WGS84)
    found = session.execute(
        select(Enterprise, Zone.name, func.ST_AsGeoJSON(point, 7), func.ST_AsGeoJSON(parcel, 7))
        .outerjoin(Zone, Zone.id == Enterprise.zone_id)
        .where(Enterprise.id == enterprise_id, Enterprise.deleted_at.is_(None))).first()
    if found is None:
        raise NotFound(f"企业 {enterprise_id} 不存在", code="unknown_feature")
    ent, zone_name, point_json, parcel_json = found
    return {
        "id": ent.id, "name": ent.name, "credit_code": ent.credit_code, "industry": ent.industry,
        "path": ent.path, "destination": ent.destination, "zone_name": zone_name, "stage": ent.stage,
        "stage_dates": dict(ent.stage_dates or {}), "planned_dates": dict(ent.planned_dates or {}),
        "version": ent.version, "etag": etag("enterprises", ent.id, ent.version),
        "employees": ent.employees, "land_area_m2": ent.land_area_m2, "is_sample": ent.is_sample,
        "contact_person": ent.contact_person, "contact_phone": ent.contact_phone,
        "point": point_json, "parcel": parcel_json,
        "overdue": [(c, d.isoformat()) for c, d in rules.overdue(ent.stage, ent.planned_dates, date.today())],
        "next_stages": rules.next_stages(ent.path, ent.stage),
    }
