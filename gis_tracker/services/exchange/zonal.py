"""Zonal statistics of stored rasters and the plan's green indicators: the district, the central city, zones.

For the whole district, the central city (清水塘 + 田心) and every zone and
sub-area the land-cover raster gives the areas of forest, green space, water
and built-up land; the DEM gives mean elevation and slope; with the
population a planner entered, green space per person.  The plan's targets are
judged where the plan sets them: 森林覆盖率 ≥ 55 %, 建成区绿化覆盖率 ≥ 52 %,
建成区绿地率 ≥ 50 % and 人均公共绿地 ≥ 14 m² for the district, 中心城区建成区绿化覆盖率
≥ 50 % for the central city; zones and sub-areas show their figures as context.
"""
from __future__ import annotations

import logging
import math
from datetime import UTC, datetime

import shapely
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ... import access, parsing
from ...errors import BadParameter, Forbidden, NotFound
from ...models import District, Raster, Zone, ZonePopulation
from ...spatial import crs as crsmod
from ...spatial import raster as rmath
from ..accounts import audit
from . import rasters
from .zones import zone_shapes

LOGGER = logging.getLogger(__name__)


def _window(ds, geom, pad: int = 1):
    from rasterio.windows import Window, from_bounds

    win = from_bounds(*geom.bounds, transform=ds.transform)
    col0, row0 = max(0, math.floor(win.col_off) - pad), max(0, math.floor(win.row_off) - pad)
    col1 = min(ds.width, math.ceil(win.col_off + win.width) + pad)
    row1 = min(ds.height, math.ceil(win.row_off + win.height) + pad)
    if col1 <= col0 or row1 <= row0:
        return None
    return Window(col0, row0, col1 - col0, row1 - row0)


def raster_zone_stats(raster: Raster, path, zones: list[dict]) -> dict[int, dict]:
    """Return per zone id the land-cover areas (m²) or DEM statistics of one raster."""
    import rasterio

    out: dict[int, dict] = {}
    with rasterio.open(path) as ds:
        geographic = ds.crs is not None and ds.crs.is_geographic
        scheme = rasters.scheme_of(raster)
        for zone in zones:
            geom = zone["geom"]
            window = _window(ds, geom) if crsmod.overlaps(geom.bounds, tuple(ds.bounds)) else None
            if window is None:
                continue
            data = ds.read(1, window=window)
            transform = ds.window_transform(window)
            inside = rmath.zone_mask(geom, transform, data.shape)
            if not inside.any():
                continue
            lat = shapely.centroid(geom).y if geographic else None
            if raster.kind == "landcover":
                areas = rmath.class_areas(data, inside, ds.nodata, rmath.pixel_area_m2(transform, geographic, lat))
                out[zone["id"]] = rmath.category_areas(areas, scheme)
            elif raster.kind == "dem":
                xres, yres = rmath.pixel_size_m(transform, geographic, lat)
                out[zone["id"]] = rmath.dem_stats(data, inside, ds.nodata, xres, yres)
    return out


def _latest(session: Session, kind: str, name: str | None) -> Raster | None:
    if name:
        raster = rasters.get(session, name)
        if raster.kind != kind:
            raise BadParameter(f"栅格 {name} 不是 {kind}", code="bad_raster_kind")
        return raster
    return session.scalar(select(Raster).where(Raster.kind == kind, Raster.deleted_at.is_(None))
                          .order_by(Raster.id.desc()).limit(1))


def indicators(session: Session, landcover: str | None = None, dem: str | None = None) -> dict:
    """Return land-cover shares, DEM statistics, population and plan-target checks for every zone."""
    lc_raster, dem_raster = _latest(session, "landcover", landcover), _latest(session, "dem", dem)
    missing = [r.name for r in (lc_raster, dem_raster) if r is not None and not rasters.path_of(r).exists()]
    if missing:  # a file gone from disk: report it, compute what we can
        LOGGER.error("raster files missing: %s", missing)
        lc_raster = None if lc_raster and lc_raster.name in missing else lc_raster
        dem_raster = None if dem_raster and dem_raster.name in missing else dem_raster
    populations = {p.zone_id: p for p in session.scalars(select(ZonePopulation))}
    zones = zone_shapes(session, crsmod.STORAGE_CRS)
    lc = raster_zone_stats(lc_raster, rasters.path_of(lc_raster),
                           zone_shapes(session, lc_raster.crs)) if lc_raster else {}
    relief = raster_zone_stats(dem_raster, rasters.path_of(dem_raster),
                               zone_shapes(session, dem_raster.crs)) if dem_raster else {}
    rows = []
    for zone in zones:
        cats = lc.get(zone["id"])
        shares = rmath.landcover_shares(cats) if cats else {}
        pop = populations.get(zone["id"])
        values = {**shares, "green_per_capita": rmath.green_per_capita(cats["green"], pop.population)
                  if cats and pop else None}
        rows.append({"code": zone["code"], "name": zone["name"], "level": zone["level"],
                     "parent_code": zone["parent_code"], "area_m2": round(zone["area_m2"], 1),
                     "landcover_m2": {k: round(v, 1) for k, v in cats.items()} if cats else None,
                     "shares": shares or None, "dem": relief.get(zone["id"]),
                     "population": pop.population if pop else None, "population_year": pop.year if pop else None,
                     "population_version": pop.version if pop else 0,
                     "targets": rmath.compare_targets(values, scope=None)})
    tops = [z for z in zones if z["level"] == "zone"]
    people = [populations[z["id"]].population for z in tops if z["id"] in populations]
    district_population = sum(people) if tops and len(people) == len(tops) else None
    district = _area_entry(session, "district", ("石峰区（全区）", "Shifeng District (whole)"), "district",
                           lc_raster, dem_raster, district_population)
    central = _area_entry(session, "central_city", ("中心城区（清水塘、田心）", "Central city (Qingshuitang, Tianxin)"),
                          "central_city", lc_raster, dem_raster, None)
    return {"landcover_raster": lc_raster.name if lc_raster else None,
            "dem_raster": dem_raster.name if dem_raster else None,
            "missing_files": missing, "targets": [t.__dict__ for t in rmath.PLAN_TARGETS],
            "definitions": {"built_up": rmath.BUILT_UP_DEFINITION, "built_up_en": rmath.BUILT_UP_DEFINITION_EN,
                            "central_city": rmath.CENTRAL_CITY_DEFINITION,
                            "central_city_en": rmath.CENTRAL_CITY_DEFINITION_EN},
            "district": district, "central_city": central, "zones": rows}


CENTRAL_CITY_ZONES = ("QST", "TX")
"""The zones that make up 中心城区 (see :data:`spatial.raster.CENTRAL_CITY_DEFINITION`)."""


def _area_shape(session: Session, scope: str, target_crs: str):
    """Return the district outline or the central city (union of its zones) in ``target_crs``, or None."""
    if scope == "district":
        wkb = session.scalar(select(func.ST_AsBinary(func.ST_Union(District.geom))))
    else:
        wkb = session.scalar(select(func.ST_AsBinary(func.ST_Union(Zone.geom))).where(
            Zone.code.in_(CENTRAL_CITY_ZONES), Zone.level == "zone", Zone.deleted_at.is_(None)))
    if wkb is None:
        return None
    return crsmod.transform(shapely.from_wkb(bytes(wkb)), crsmod.STORAGE_CRS, target_crs)


def _area_entry(session: Session, code: str, name: tuple[str, str], scope: str, lc_raster: Raster | None,
                dem_raster: Raster | None, population: int | None) -> dict | None:
    """Return the indicators of the whole district or the central city, judged against the plan's targets."""
    base = _area_shape(session, scope, crsmod.STORAGE_CRS)
    if base is None:
        return None

    def stats(raster):
        if raster is None:
            return None
        shape = _area_shape(session, scope, raster.crs)
        return raster_zone_stats(raster, rasters.path_of(raster), [{"id": code, "geom": shape}]).get(code)
    cats, relief = stats(lc_raster), stats(dem_raster)
    shares = rmath.landcover_shares(cats) if cats else {}
    values = {**shares, "green_per_capita": rmath.green_per_capita(cats["green"], population)
              if cats and population else None}
    return {"code": code, "name": name[0], "name_en": name[1], "level": scope, "area_m2": round(base.area, 1),
            "landcover_m2": {k: round(v, 1) for k, v in cats.items()} if cats else None,
            "shares": shares or None, "dem": relief, "population": population,
            "targets": rmath.compare_targets(values, scope=scope)}


def set_population(session: Session, user, zone_code: str, population: object, year: object = None) -> dict:
    """Store a zone's population (planners and admins), with an audit entry."""
    if user.role not in access.PLANNERS:
        raise Forbidden("只有规划人员和管理员可以填写人口",
                        code="forbidden_population")
    if not isinstance(zone_code, str) or len(zone_code) > 40:
        raise NotFound(f"片区 {str(zone_code)[:40]!r} 不存在", code="unknown_zone")
    zone = session.scalar(select(Zone).where(Zone.code == zone_code, Zone.deleted_at.is_(None)))
    if zone is None:
        raise NotFound(f"片区 {str(zone_code)[:40]!r} 不存在", code="unknown_zone")
    try:
        value = parsing.integer(population, "population", minimum=0, maximum=50_000_000)
        year_value = parsing.integer(year, "year", minimum=1949, maximum=2100, default=None)
    except BadParameter as exc:
        raise BadParameter("人口须为 0–50000000 的整数，年份须为 1949–2100", code="bad_population",
                           details={"field": exc.details["parameter"]}) from None
    row = session.get(ZonePopulation, zone.id, with_for_update=True)
    before = {"population": row.population, "year": row.year} if row else None
    if row is None:
        row = ZonePopulation(zone_id=zone.id, population=value, year=year_value, version=1,
                             updated_by=user.username)
        session.add(row)
    else:
        row.population, row.year, row.version = value, year_value, row.version + 1
        row.updated_by, row.updated_at = user.username, datetime.now(UTC)
    audit.record(session, username=user.username, action="set_population", object_type="zone",
                 object_id=zone.code, before=before, after={"population": value, "year": year_value})
    session.commit()
    return {"code": zone.code, "population": value, "year": year_value, "version": row.version}
