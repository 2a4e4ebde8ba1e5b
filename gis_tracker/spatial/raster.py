"""Raster maths: land-cover shares, DEM elevation and slope, zone masks, colouring, plan indicators.

Pure functions on numpy arrays and affine transforms (rasterio for
rasterising zone polygons); no files, no database.  Areas are in m²; a
raster in a geographic CRS gets its pixel size in metres from its latitude.
"""
from __future__ import annotations

import logging
import math
from dataclasses import dataclass

import numpy as np
from affine import Affine
from rasterio import features as rio_features
from shapely.geometry.base import BaseGeometry

LOGGER = logging.getLogger(__name__)

CATEGORIES = ("forest", "green", "water", "built", "other")
CATEGORY_LABELS = {"forest": ("森林", "Forest"), "green": ("绿地", "Green space"),
                   "water": ("水体", "Water"), "built": ("建设用地", "Built-up"), "other": ("其他", "Other")}

# code -> (zh, en, colour, category)
LANDCOVER_SCHEMES: dict[str, dict[int, tuple[str, str, str, str]]] = {
    "shifeng": {
        1: ("森林", "Forest", "#1b7837", "forest"),
        2: ("绿地（公园、防护绿地）", "Green space (parks, buffers)", "#7fbf7b", "green"),
        3: ("水体", "Water", "#4393c3", "water"),
        4: ("建设用地", "Built-up", "#d6604d", "built"),
        5: ("耕地", "Cropland", "#f6e8a1", "other"),
        6: ("裸地及其他", "Bare and other", "#bababa", "other"),
    },
    "worldcover": {
        10: ("林地", "Tree cover", "#006400", "forest"), 20: ("灌木", "Shrubland", "#ffbb22", "green"),
        30: ("草地", "Grassland", "#ffff4c", "green"), 40: ("耕地", "Cropland", "#f096ff", "other"),
        50: ("建设用地", "Built-up", "#fa0000", "built"), 60: ("裸地", "Bare", "#b4b4b4", "other"),
        70: ("冰雪", "Snow and ice", "#f0f0f0", "other"), 80: ("水体", "Water", "#0064c8", "water"),
        90: ("湿地", "Wetland", "#0096a0", "water"), 95: ("红树林", "Mangroves", "#00cf75", "forest"),
        100: ("苔藓", "Moss", "#fae6a0", "other"),
    },
}

DEM_RAMP = ((0.0, (26, 152, 80)), (0.35, (166, 217, 106)), (0.6, (254, 224, 139)),
            (0.85, (166, 97, 26)), (1.0, (245, 245, 245)))


@dataclass(frozen=True)
class PlanTarget:
    """A target of the district plan: indicator key, labels, threshold, unit and where the plan sets it.

    ``scope`` is what the target is measured on: ``district`` (the whole of 石峰区)
    or ``central_city`` (中心城区).  Figures of zones and sub-areas are shown as
    context, not judged against a district-wide target.
    """

    key: str
    label: str
    label_en: str
    minimum: float
    unit: str
    scope: str = "district"


PLAN_TARGETS = (
    PlanTarget("forest_cover", "森林覆盖率", "Forest cover", 55.0, "%"),
    PlanTarget("builtup_green_cover", "建成区绿化覆盖率", "Green cover of the built-up area", 52.0, "%"),
    PlanTarget("green_space_ratio", "建成区绿地率", "Green-space ratio of the built-up area", 50.0, "%"),
    PlanTarget("central_city_green_cover", "中心城区建成区绿化覆盖率",
               "Green cover of the central city's built-up area", 50.0, "%", scope="central_city"),
    PlanTarget("green_per_capita", "人均公共绿地", "Public green space per person", 14.0, "m²"),
)
"""The plan's green targets (二(一)主要目标, 二(二)3(2), 二(三)5(1)): 森林覆盖率 55 %; 建成区绿化覆盖率 52 %,
绿地率 50 %; 中心城区建成区绿化覆盖率 50 %; 城市人均公共绿地 14 m²."""
BUILT_UP_DEFINITION = ("建成区按土地覆盖栅格确定：建设用地与城市绿地（公园、防护绿地）像元构成建成区，"
                       "森林、水体、耕地与裸地不计入；建成区绿化覆盖率与绿地率均为绿地占建成区的比例"
                       "（栅格不区分树冠覆盖与规划绿地，两项取值相同）。")
BUILT_UP_DEFINITION_EN = (
    "The built-up area (建成区) is read from the land-cover raster: built-up and urban green-space pixels "
    "(parks, buffers); forest, water, cropland and bare land are outside it. Its green cover and green-space "
    "ratio are both green space over built-up area (the raster does not tell tree canopy from designated "
    "green land, so the two are equal).")
CENTRAL_CITY_DEFINITION = "中心城区取清水塘、田心两个城市片区（九郎山片区为乡村休闲旅游区，不计入）。"
CENTRAL_CITY_DEFINITION_EN = ("The central city (中心城区) is the two urban zones, Qingshuitang and Tianxin (Jiulang "
                              "Mountain is the rural leisure area).")


def pixel_area_m2(transform: Affine, geographic: bool, latitude: float | None = None) -> float:
    """Return the area of one pixel in m² (scaled by latitude for lon/lat rasters)."""
    width, height = abs(transform.a), abs(transform.e)
    if not geographic:
        return width * height
    lat = math.radians(latitude or 0.0)
    return width * 111_320.0 * math.cos(lat) * height * 110_574.0


def pixel_size_m(transform: Affine, geographic: bool, latitude: float | None = None) -> tuple[float, float]:
    """Return the pixel width and height in metres."""
    width, height = abs(transform.a), abs(transform.e)
    if not geographic:
        return width, height
    return width * 111_320.0 * math.cos(math.radians(latitude or 0.0)), height * 110_574.0


def zone_mask(geom: BaseGeometry, transform: Affine, shape: tuple[int, int]) -> np.ndarray:
    """Return a boolean array, True where a pixel's centre lies inside ``geom`` (raster CRS)."""
    if geom.is_empty:
        return np.zeros(shape, dtype=bool)
    return rio_features.geometry_mask([geom], out_shape=shape, transform=transform, invert=True)


def class_areas(values: np.ndarray, inside: np.ndarray, nodata, pixel_area: float) -> dict[int, float]:
    """Return the area in m² of each class code among the pixels ``inside`` (nodata excluded)."""
    valid = inside.copy()
    if nodata is not None:
        valid &= values != nodata
    codes, counts = np.unique(values[valid], return_counts=True)
    return {int(c): float(n) * pixel_area for c, n in zip(codes, counts)}


def category_areas(areas: dict[int, float], scheme: dict[int, tuple]) -> dict[str, float]:
    """Sum class areas into the categories forest, green, water, built and other."""
    result = dict.fromkeys(CATEGORIES, 0.0)
    for code, area in areas.items():
        category = scheme[code][3] if code in scheme else "other"
        result[category] += area
    return result


def landcover_shares(cats: dict[str, float]) -> dict[str, float | None]:
    """Return the plan's percentage indicators from category areas (None when undefined).

    * 森林覆盖率 forest_cover = forest / all classified area;
    * 建成区 (built-up area) = built-up + green-space pixels (:data:`BUILT_UP_DEFINITION`);
    * 建成区绿化覆盖率 builtup_green_cover = green / 建成区;
    * 建成区绿地率 green_space_ratio = green / 建成区 (the same figure: one green class);
    * 中心城区建成区绿化覆盖率 central_city_green_cover: builtup_green_cover measured on 中心城区.
    """
    total = sum(cats.values())
    urban = cats["built"] + cats["green"]

    def pct(num: float, den: float) -> float | None:
        return round(100.0 * num / den, 2) if den > 0 else None

    return {
        "forest_share": pct(cats["forest"], total), "green_share": pct(cats["green"], total),
        "water_share": pct(cats["water"], total), "built_share": pct(cats["built"], total),
        "forest_cover": pct(cats["forest"], total),
        "builtup_green_cover": pct(cats["green"], urban),
        "green_space_ratio": pct(cats["green"], urban),
        "central_city_green_cover": pct(cats["green"], urban),
        "built_up_m2": round(urban, 1),
    }


def green_per_capita(green_m2: float, population: int | None) -> float | None:
    """Return public green space per person in m² (None without a population)."""
    if not population or population <= 0:
        return None
    return round(green_m2 / population, 2)


def slope_degrees(dem: np.ndarray, xres_m: float, yres_m: float) -> np.ndarray:
    """Return the slope in degrees of a DEM (central differences, one-sided at the edges)."""
    data = dem.astype("float64")
    if min(data.shape) < 2:
        return np.zeros_like(data)
    dzdy, dzdx = np.gradient(data, yres_m, xres_m)
    return np.degrees(np.arctan(np.hypot(dzdx, dzdy)))


def dem_stats(dem: np.ndarray, inside: np.ndarray, nodata, xres_m: float, yres_m: float) -> dict:
    """Return mean/min/max elevation and mean slope of the DEM pixels inside a zone."""
    valid = inside.copy()
    data = dem.astype("float64")
    if nodata is not None:
        valid &= dem != nodata
        # Fill nodata with neighbours' mean-ish values so slopes at the border stay finite.
        data = np.where(dem != nodata, data, np.nan)
    valid &= np.isfinite(data)
    if not valid.any():
        return {"mean_elevation": None, "min_elevation": None, "max_elevation": None, "mean_slope": None}
    slope = slope_degrees(np.where(np.isfinite(data), data, np.nanmean(data)), xres_m, yres_m)
    return {
        "mean_elevation": round(float(data[valid].mean()), 2),
        "min_elevation": round(float(data[valid].min()), 2),
        "max_elevation": round(float(data[valid].max()), 2),
        "mean_slope": round(float(slope[valid].mean()), 2),
    }


def _hex(colour: str) -> tuple[int, int, int]:
    colour = colour.lstrip("#")
    return int(colour[0:2], 16), int(colour[2:4], 16), int(colour[4:6], 16)


def classify_rgba(values: np.ndarray, scheme: dict[int, tuple], nodata) -> np.ndarray:
    """Colour a land-cover array by class (unknown codes grey, nodata transparent)."""
    rgba = np.zeros(values.shape + (4,), dtype=np.uint8)
    for code, entry in scheme.items():
        rgba[values == code] = (*_hex(entry[2]), 255)
    known = np.isin(values, list(scheme))
    rgba[~known] = (128, 128, 128, 255)
    if nodata is not None:
        rgba[values == nodata] = (0, 0, 0, 0)
    return rgba


def ramp_rgba(values: np.ndarray, vmin: float, vmax: float, nodata) -> np.ndarray:
    """Colour a DEM with a green–brown–white ramp between ``vmin`` and ``vmax`` (nodata transparent)."""
    data = values.astype("float64")
    span = (vmax - vmin) or 1.0
    t = np.clip((data - vmin) / span, 0.0, 1.0)
    stops = np.array([s for s, _ in DEM_RAMP])
    rgba = np.zeros(values.shape + (4,), dtype=np.uint8)
    for channel in range(3):
        rgba[..., channel] = np.interp(t, stops, [c[channel] for _, c in DEM_RAMP]).astype(np.uint8)
    rgba[..., 3] = 255
    invalid = ~np.isfinite(data)
    if nodata is not None:
        invalid |= values == nodata
    rgba[invalid] = (0, 0, 0, 0)
    return rgba


def ramp_legend(vmin: float, vmax: float, steps: int = 5) -> list[dict]:
    """Return legend entries (value, colour) along the DEM ramp."""
    out = []
    for i in range(steps):
        t = i / (steps - 1)
        rgb = [int(np.interp(t, [s for s, _ in DEM_RAMP], [c[k] for _, c in DEM_RAMP])) for k in range(3)]
        out.append({"value": round(vmin + t * (vmax - vmin), 1), "colour": "#%02x%02x%02x" % tuple(rgb)})
    return out


def compare_targets(values: dict[str, float | None], scope: str | None = "district") -> list[dict]:
    """Return the plan targets of ``scope`` with the values and whether each is met (None when unknown).

    ``scope`` None is a zone or sub-area: every figure is given as context
    (``judged`` false, ``met`` None) — the plan sets its targets for the
    district and the central city, not for each sub-area.
    """
    rows = []
    for target in PLAN_TARGETS:
        if scope is not None and target.scope != scope:
            continue
        if scope is None and target.scope == "central_city":
            continue  # measured on 中心城区 only
        value = values.get(target.key)
        judged = scope is not None
        rows.append({"key": target.key, "label": target.label, "label_en": target.label_en,
                     "target": target.minimum, "unit": target.unit, "value": value, "scope": target.scope,
                     "judged": judged, "met": None if value is None or not judged else value >= target.minimum})
    return rows
