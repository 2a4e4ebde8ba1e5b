"""Indicator values the app computes from its own data, per year.

* ``landcover``: 森林覆盖率, 建成区绿化覆盖率, 绿地率 over the district from each stored land-cover raster
  (its year from a "2017年" in its title, else the year it was stored), and 人均公共绿地 when every
  top-level zone has a population (estimates, as on the 绿化指标 page).
* ``projects_green_share``: of the floor area of projects completed in the year with a known green status,
  the share built to the green-building standard (新建建筑绿色建筑比例).
* ``projects_public_green``: of the public buildings (公共服务, 商业, 旅游) of at least 20,000 m² completed in
  the year (from 2014), the share that are green buildings; those not green are listed.
* ``projects_solar``: rooftop photovoltaic capacity (MW) of projects completed by the end of the year.
* ``enterprises_chimneys``: the share of the enterprises' chimneys whose enterprise had reached 设备拆除 (or
  later) by the end of the year, from the relocation history.
* ``enterprises``: the share of Qingshuitang enterprises accepted and closed (验收销号) by the end of the year.
* ``projects_reviews``: the share of projects existing at the end of the year with an issued 两型审查 report.
* ``projects_restoration``: of the restorations due by the end of the year, the share completed by their due
  date.

The current year's figures are year-to-date.  Entered values (official statistics) take precedence over
computed ones for the same year (:mod:`.register`).
"""
from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time

import shapely
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ...models import District, Enterprise, Project, Raster, Zone, ZonePopulation
from ...models.encroachment import ReviewReport
from ...rules.stages import stage_index
from ...spatial import crs as crsmod
from ...spatial import raster as rmath
from ..exchange import rasters, zonal
from ..relocation import status
from . import restoration

LOGGER = logging.getLogger(__name__)
FIRST_YEAR = 2014  # the programme (2014—2017) starts; the relocation plan counts from 2014 too
PUBLIC_BUILDING_TYPES = ("public", "commercial", "tourism")
PUBLIC_BUILDING_MIN_M2 = 20_000.0
YEAR_IN_TITLE = re.compile(r"(20\d{2})\s*年?")


@dataclass
class Computed:
    """One computed yearly value and where it came from."""

    value: float
    source: str
    details: dict = field(default_factory=dict)


def _year_end(year: int) -> datetime:
    return datetime.combine(date(year, 12, 31), time.max).astimezone(UTC)


def _years(first: int, today: date) -> list[int]:
    return list(range(max(first, FIRST_YEAR), today.year + 1))


def raster_year(raster: Raster) -> int:
    """Return the year a land-cover raster shows: "2017年" in its title, else the year it was stored."""
    found = YEAR_IN_TITLE.search(raster.title or "")
    if found:
        return int(found.group(1))
    return (raster.created_at or datetime.now(UTC)).astimezone().year


def _district_population(session: Session) -> int | None:
    tops = session.scalars(select(Zone.id).where(Zone.level == "zone", Zone.deleted_at.is_(None))).all()
    pops = {p.zone_id: p.population for p in session.scalars(select(ZonePopulation))}
    if not tops or any(z not in pops for z in tops):
        return None
    return sum(pops[z] for z in tops)


def landcover(session: Session) -> dict[str, dict[int, Computed]]:
    """Return forest cover, green cover, green-space ratio and green per person per raster year."""
    out: dict[str, dict[int, Computed]] = {k: {} for k in
                                           ("forest_cover", "builtup_green_cover", "green_space_ratio",
                                            "green_per_capita")}
    found = session.scalars(select(Raster).where(Raster.kind == "landcover", Raster.deleted_at.is_(None))
                            .order_by(Raster.id)).all()
    district = session.scalar(select(func.ST_AsBinary(func.ST_Union(District.geom))))
    if not found or district is None:
        return out
    shape = shapely.from_wkb(bytes(district))
    population = _district_population(session)
    for raster in found:  # later rasters of the same year replace earlier ones
        path = rasters.path_of(raster)
        if not path.exists():
            continue
        geom = crsmod.transform(shape, crsmod.STORAGE_CRS, raster.crs)
        stats = zonal.raster_zone_stats(raster, path, [{"id": 0, "geom": geom}]).get(0)
        if not stats:
            continue
        shares = rmath.landcover_shares(stats)
        year = raster_year(raster)
        source = f"由土地覆盖栅格“{raster.title}”（{raster.name}）计算（估算）"
        for key in ("forest_cover", "builtup_green_cover", "green_space_ratio"):
            if shares.get(key) is not None:
                out[key][year] = Computed(shares[key], source, {"raster": raster.name})
        per_person = rmath.green_per_capita(stats["green"], population)
        if per_person is not None:
            out["green_per_capita"][year] = Computed(per_person, source + "，人口为各片区填写之和",
                                                     {"raster": raster.name, "population": population})
    return out


def _completed_projects(session: Session):
    return session.scalars(select(Project).where(Project.deleted_at.is_(None),
                                                 Project.completion_date.is_not(None))).all()


def green_share(session: Session, today: date) -> dict[int, Computed]:
    """Return per completion year the floor-area share of green buildings among new buildings."""
    totals: dict[int, list[float]] = {}
    for p in _completed_projects(session):
        if p.completion_date > today or not p.floor_area_m2 or p.green_building is None:
            continue
        entry = totals.setdefault(p.completion_date.year, [0.0, 0.0, 0])
        entry[0] += p.floor_area_m2
        entry[1] += p.floor_area_m2 if p.green_building else 0.0
        entry[2] += 1
    return {year: Computed(round(100.0 * green / total, 2),
                           f"由 {n} 个当年竣工项目的建筑面积与绿色建筑属性计算",
                           {"projects": n, "floor_area_m2": round(total, 1), "green_m2": round(green, 1)})
            for year, (total, green, n) in sorted(totals.items()) if total > 0}


def public_green(session: Session, today: date) -> dict[int, Computed]:
    """Return per completion year (from 2014) the share of large new public buildings that are green."""
    years: dict[int, list] = {}
    for p in _completed_projects(session):
        if (p.project_type not in PUBLIC_BUILDING_TYPES or (p.floor_area_m2 or 0) < PUBLIC_BUILDING_MIN_M2
                or p.completion_date.year < FIRST_YEAR or p.completion_date > today or p.green_building is None):
            continue
        years.setdefault(p.completion_date.year, []).append(p)
    out = {}
    for year, found in sorted(years.items()):
        green = [p for p in found if p.green_building]
        out[year] = Computed(round(100.0 * len(green) / len(found), 2),
                             f"由 {len(found)} 个当年竣工、2万m²以上公共建筑项目的绿色建筑属性计算",
                             {"projects": len(found),
                              "not_green": [{"id": p.id, "name": p.name} for p in found if not p.green_building]})
    return out


def solar(session: Session, today: date) -> dict[int, Computed]:
    """Return the rooftop solar capacity (MW) of projects completed by the end of each year."""
    found = [p for p in _completed_projects(session) if p.solar_mw and p.completion_date <= today]
    if not found:
        return {}
    out = {}
    for year in _years(min(p.completion_date.year for p in found), today):
        done = [p for p in found if p.completion_date.year <= year]
        if done:
            out[year] = Computed(round(sum(p.solar_mw for p in done), 3),
                                 f"由 {len(done)} 个已竣工项目的屋顶光伏装机属性累计",
                                 {"projects": len(done)})
    return out


class _Stages:
    """The enterprises' stages at the end of each year, replayed once per year (shared by the indicators)."""

    def __init__(self, session: Session, today: date) -> None:
        self.session, self.today, self.cache = session, today, {}

    def at_end_of(self, year: int):
        day = min(date(year, 12, 31), self.today)
        if day not in self.cache:
            self.cache[day] = status.statuses(self.session, day)
        return self.cache[day]


def chimneys(session: Session, stages: _Stages) -> dict[int, Computed]:
    """Return per year the share of chimneys removed (their enterprise at 设备拆除 or later)."""
    counts = dict(session.execute(select(Enterprise.id, Enterprise.chimney_count).where(
        Enterprise.deleted_at.is_(None), Enterprise.chimney_count > 0)).all())
    total = sum(counts.values())
    if not total:
        return {}
    out = {}
    for year in _years(FIRST_YEAR, stages.today):
        removed = sum(counts[s.id] for s in stages.at_end_of(year)
                      if s.id in counts and stage_index(s.stage) >= stage_index("demolished"))
        out[year] = Computed(round(100.0 * removed / total, 2),
                             f"由 {len(counts)} 家企业的烟囱数与搬迁阶段（设备拆除）计算",
                             {"chimneys": total, "removed": removed})
    return out


def relocation(session: Session, stages: _Stages) -> dict[int, Computed]:
    """Return per year the share of enterprises accepted and closed (验收销号)."""
    out = {}
    for year in _years(FIRST_YEAR, stages.today):
        rows = stages.at_end_of(year)
        if not rows:
            continue
        done = sum(1 for s in rows if s.stage == "accepted")
        out[year] = Computed(round(100.0 * done / len(rows), 2), f"由搬迁台账计算：{done} / {len(rows)} 家验收销号",
                             {"accepted": done, "total": len(rows)})
    return out


def reviews(session: Session, today: date) -> dict[int, Computed]:
    """Return per year the share of projects (existing at year end) with an issued review report."""
    found = session.execute(select(Project.id, Project.created_at).where(Project.deleted_at.is_(None))).all()
    if not found:
        return {}
    issued = {}
    for pid, at in session.execute(select(ReviewReport.project_id, func.min(ReviewReport.issued_at))
                                   .group_by(ReviewReport.project_id)):
        issued[pid] = at
    out = {}
    for year in _years(min(c.astimezone().year for _, c in found), today):
        end = _year_end(year)
        existing = [pid for pid, created in found if created <= end]
        if not existing:
            continue
        covered = sum(1 for pid in existing if pid in issued and issued[pid] <= end)
        out[year] = Computed(round(100.0 * covered / len(existing), 2),
                             f"由两型审查报告计算：{covered} / {len(existing)} 个项目已出具报告",
                             {"projects": len(existing), "reviewed": covered})
    return out


def restoration_on_time(session: Session, today: date) -> dict[int, Computed]:
    """Return per year the share of restorations due by year end that were completed by their due date."""
    due = [p for p in restoration.projects(session, today) if p.required and p.due is not None and p.due <= today]
    if not due:
        return {}
    out = {}
    for year in _years(min(p.due.year for p in due), today):
        counted = [p for p in due if p.due.year <= year]
        on_time = [p for p in counted if p.restored_date is not None and p.restored_date <= p.due]
        if counted:
            out[year] = Computed(round(100.0 * len(on_time) / len(counted), 2),
                                 f"由生态修复登记计算：{len(on_time)} / {len(counted)} 个到期项目按期完成",
                                 {"due": len(counted), "on_time": len(on_time)})
    return out


def compute_all(session: Session, methods: set[str], today: date | None = None) -> dict[str, dict[int, Computed]]:
    """Return the computed series by indicator key for the ``computed`` methods the register uses."""
    day = today or date.today()
    stages = _Stages(session, day)
    out: dict[str, dict[int, Computed]] = {}
    if "landcover" in methods:
        out.update(landcover(session))
    simple = {"projects_green_share": ("green_building_share", lambda: green_share(session, day)),
              "projects_public_green": ("public_green_building", lambda: public_green(session, day)),
              "projects_solar": ("rooftop_solar", lambda: solar(session, day)),
              "enterprises_chimneys": ("chimney_removal", lambda: chimneys(session, stages)),
              "enterprises": ("qst_relocation", lambda: relocation(session, stages)),
              "projects_reviews": ("review_coverage", lambda: reviews(session, day)),
              "projects_restoration": ("restoration_on_time", lambda: restoration_on_time(session, day))}
    for method, (key, fn) in simple.items():
        if method in methods:
            out[key] = fn()
    return out
