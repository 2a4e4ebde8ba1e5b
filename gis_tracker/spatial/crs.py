"""Coordinate reference systems users choose from, GCJ-02 ↔ WGS84 and the district check.

Pure functions (pyproj, shapely, numpy).  A CRS is named by a code string:
``EPSG:<n>`` or ``GCJ02`` (the offset "Mars" coordinates of Amap/Gaode and
other Chinese web maps).  GCJ-02 is not a CRS pyproj knows: it is WGS84 with
an obfuscating offset, converted here with the standard published algorithm
(the forward formula and an iterative inverse, accurate to millimetres).
"""
from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import shapely
from pyproj import CRS, Transformer
from pyproj.exceptions import CRSError
from shapely.geometry.base import BaseGeometry

LOGGER = logging.getLogger(__name__)

GCJ02 = "GCJ02"
STORAGE_CRS = "EPSG:4547"


@dataclass(frozen=True)
class CrsPreset:
    """A CRS offered in the import form."""

    code: str
    label: str
    label_en: str


PRESETS: tuple[CrsPreset, ...] = (
    CrsPreset("EPSG:4490", "CGCS2000 经纬度（EPSG:4490）", "CGCS2000 lon/lat (EPSG:4490)"),
    CrsPreset("EPSG:4547", "CGCS2000 3度带 中央经线114°E（EPSG:4547）", "CGCS2000 3° GK CM 114E (EPSG:4547)"),
    CrsPreset("EPSG:4546", "CGCS2000 3度带 中央经线111°E（EPSG:4546）", "CGCS2000 3° GK CM 111E (EPSG:4546)"),
    CrsPreset("EPSG:4548", "CGCS2000 3度带 中央经线117°E（EPSG:4548）", "CGCS2000 3° GK CM 117E (EPSG:4548)"),
    CrsPreset("EPSG:4326", "WGS84 经纬度（EPSG:4326）", "WGS84 lon/lat (EPSG:4326)"),
    CrsPreset("EPSG:3857", "Web 墨卡托（EPSG:3857）", "Web Mercator (EPSG:3857)"),
    CrsPreset(GCJ02, "GCJ-02 火星坐标（高德等互联网地图）", "GCJ-02 (Amap/Gaode web maps)"),
)
EXPORT_CRS = ("EPSG:4326", "EPSG:4490", "EPSG:4547")

# Krasovsky 1940 ellipsoid, as used by the published GCJ-02 algorithm.
_A = 6378245.0
_EE = 0.00669342162296594323


class CrsProblem(ValueError):
    """A CRS name that cannot be used."""


def normalise(code: str | None) -> str | None:
    """Return ``code`` as ``EPSG:<n>`` or ``GCJ02`` (None for empty); raise CrsProblem when unknown."""
    if code is None or not str(code).strip():
        return None
    text = str(code).strip().upper().replace(" ", "")
    if text in ("GCJ02", "GCJ-02", "GCJ"):
        return GCJ02
    match = re.fullmatch(r"(?:EPSG:+|HTTP://WWW\.OPENGIS\.NET/DEF/CRS/EPSG/0/)?(\d{4,6})", text)
    if match is None:
        if text.endswith("CRS84"):
            return "EPSG:4326"
        raise CrsProblem(f"无法识别的坐标系 {str(code)[:40]!r}，请使用 EPSG:代码")
    name = f"EPSG:{int(match.group(1))}"
    try:
        pyproj_crs(name)
    except CRSError:
        raise CrsProblem(f"未知的 EPSG 代码 {name}") from None
    return name


@lru_cache(maxsize=64)
def pyproj_crs(code: str) -> CRS:
    """Return the pyproj CRS of a code (GCJ-02 is handled as WGS84 after conversion)."""
    return CRS.from_user_input("EPSG:4326" if code == GCJ02 else code)


def code_of(crs) -> str | None:
    """Return ``EPSG:<n>`` for a pyproj CRS when it has an EPSG identity, else None."""
    if crs is None:
        return None
    if not isinstance(crs, CRS):  # e.g. a rasterio CRS
        crs = CRS.from_wkt(crs.to_wkt())
    epsg = crs.to_epsg(min_confidence=70)
    return f"EPSG:{epsg}" if epsg else None


def srid(code: str) -> int:
    """Return the integer EPSG code of an ``EPSG:<n>`` name."""
    return int(code.split(":")[1])


@lru_cache(maxsize=64)
def _transformer(source: str, target: str) -> Transformer:
    return Transformer.from_crs(pyproj_crs(source), pyproj_crs(target), always_xy=True)


def _out_of_china(lng: np.ndarray, lat: np.ndarray) -> np.ndarray:
    return (lng < 72.004) | (lng > 137.8347) | (lat < 0.8293) | (lat > 55.8271)


def _gcj_delta(lng: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    x, y = lng - 105.0, lat - 35.0
    common = (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
    dlat = (-100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * np.sqrt(np.abs(x)) + common
            + (20.0 * np.sin(y * np.pi) + 40.0 * np.sin(y / 3.0 * np.pi)) * 2.0 / 3.0
            + (160.0 * np.sin(y / 12.0 * np.pi) + 320.0 * np.sin(y * np.pi / 30.0)) * 2.0 / 3.0)
    dlng = (300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * np.sqrt(np.abs(x)) + common
            + (20.0 * np.sin(x * np.pi) + 40.0 * np.sin(x / 3.0 * np.pi)) * 2.0 / 3.0
            + (150.0 * np.sin(x / 12.0 * np.pi) + 300.0 * np.sin(x / 30.0 * np.pi)) * 2.0 / 3.0)
    radlat = lat / 180.0 * np.pi
    magic = 1 - _EE * np.sin(radlat) ** 2
    sqrtmagic = np.sqrt(magic)
    dlat = (dlat * 180.0) / ((_A * (1 - _EE)) / (magic * sqrtmagic) * np.pi)
    dlng = (dlng * 180.0) / (_A / sqrtmagic * np.cos(radlat) * np.pi)
    outside = _out_of_china(lng, lat)
    return np.where(outside, 0.0, dlng), np.where(outside, 0.0, dlat)


def wgs84_to_gcj02(lng, lat) -> tuple[np.ndarray, np.ndarray]:
    """Offset WGS84 lon/lat to GCJ-02 (the published forward formula; no offset outside China)."""
    lng, lat = np.asarray(lng, dtype=float), np.asarray(lat, dtype=float)
    dlng, dlat = _gcj_delta(lng, lat)
    return lng + dlng, lat + dlat


def gcj02_to_wgs84(lng, lat, tolerance_deg: float = 1e-10, max_iter: int = 30) -> tuple[np.ndarray, np.ndarray]:
    """Invert :func:`wgs84_to_gcj02` by fixed-point iteration (converges to < 1 mm)."""
    glng, glat = np.asarray(lng, dtype=float), np.asarray(lat, dtype=float)
    wlng, wlat = glng.copy(), glat.copy()
    for _ in range(max_iter):
        clng, clat = wgs84_to_gcj02(wlng, wlat)
        dx, dy = clng - glng, clat - glat
        wlng, wlat = wlng - dx, wlat - dy
        if dx.size == 0 or max(np.abs(dx).max(), np.abs(dy).max()) < tolerance_deg:
            break
    return wlng, wlat


def transform_xy(x, y, source: str, target: str) -> tuple[np.ndarray, np.ndarray]:
    """Transform coordinate arrays between two CRS codes (x = lon/easting)."""
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    if source == target:
        return x, y
    if source == GCJ02:
        x, y = gcj02_to_wgs84(x, y)
        source = "EPSG:4326"
    if target == GCJ02:
        x, y = transform_xy(x, y, source, "EPSG:4326")
        return wgs84_to_gcj02(x, y)
    if source == target:
        return x, y
    return _transformer(source, target).transform(x, y)


def transform(geom: BaseGeometry, source: str, target: str) -> BaseGeometry:
    """Transform a shapely geometry between CRS codes (GCJ-02 included)."""
    if source == target:
        return geom
    return shapely.transform(geom, lambda xy: np.column_stack(transform_xy(xy[:, 0], xy[:, 1], source, target)))


def transform_bounds(bounds: tuple[float, float, float, float], source: str,
                     target: str = "EPSG:4326") -> tuple[float, float, float, float]:
    """Return the bounding box of ``bounds`` (densified edges) in ``target``."""
    minx, miny, maxx, maxy = bounds
    t = np.linspace(0.0, 1.0, 21)
    xs = np.concatenate([minx + (maxx - minx) * t, np.full(21, maxx), maxx - (maxx - minx) * t, np.full(21, minx)])
    ys = np.concatenate([np.full(21, miny), miny + (maxy - miny) * t, np.full(21, maxy), maxy - (maxy - miny) * t])
    with np.errstate(all="ignore"):
        tx, ty = transform_xy(xs, ys, source, target)
    ok = np.isfinite(tx) & np.isfinite(ty)
    if not ok.any():
        raise CrsProblem("坐标无法变换到目标坐标系")
    return float(tx[ok].min()), float(ty[ok].min()), float(tx[ok].max()), float(ty[ok].max())


def overlaps(box: tuple[float, float, float, float], other: tuple[float, float, float, float]) -> bool:
    """Tell whether two lon/lat boxes intersect."""
    return not (box[2] < other[0] or box[0] > other[2] or box[3] < other[1] or box[1] > other[3])


def outside_district_warning(lonlat_bounds: tuple[float, float, float, float],
                             district: tuple[float, float, float, float]) -> str | None:
    """Return a warning when data does not fall on the district (swapped axes, wrong zone or CRS)."""
    if overlaps(lonlat_bounds, district):
        return None
    return ("数据范围不在石峰区内：经纬度是否颠倒、投影带或坐标系是否选错？")


def candidates(bounds: tuple[float, float, float, float], district: tuple[float, float, float, float]) -> list[str]:
    """Return the preset codes under which ``bounds`` would land on the district (a hint, never a choice)."""
    found = []
    for preset in PRESETS:
        try:
            box = transform_bounds(bounds, preset.code)
        except (CrsProblem, CRSError):
            continue
        if overlaps(box, district):
            found.append(preset.code)
    return found
