"""Find and read the geometry columns of a table (CSV, spreadsheet): lon/lat (x/y) or WKT."""
from __future__ import annotations

import math

import shapely
from shapely.geometry import Point

from .base import ImportOptions, ParseProblem

WKT_NAMES = ("wkt", "geometry", "geom", "the_geom", "shape", "wkt_geom", "几何", "空间信息")
XY_NAMES = (("lon", "lat"), ("lng", "lat"), ("longitude", "latitude"), ("x", "y"), ("经度", "纬度"),
            ("东经", "北纬"), ("point_x", "point_y"), ("easting", "northing"), ("x坐标", "y坐标"))


def _find(names: list[str], wanted: str | None) -> str | None:
    if not wanted:
        return None
    if wanted not in names:
        raise ParseProblem("unknown_column", f"表中没有列 {wanted[:40]!r}", 400,
                           {"columns": names})
    return wanted


def geometry_columns(names: list[str], options: ImportOptions) -> tuple[str | None, str | None, str | None]:
    """Return (wkt, x, y) column names from the options or by their usual names; raise when none."""
    wkt, x, y = _find(names, options.wkt_field), _find(names, options.x_field), _find(names, options.y_field)
    if wkt or (x and y):
        return wkt, x, y
    lower = {n.strip().lower(): n for n in names}
    for candidate in WKT_NAMES:
        if candidate in lower:
            return lower[candidate], None, None
    for cx, cy in XY_NAMES:
        if cx in lower and cy in lower:
            return None, lower[cx], lower[cy]
    raise ParseProblem("no_geometry_columns",
                       "找不到坐标列：需要经度/纬度（lon/lat、x/y）或 WKT 列，请在选项中指定", 422, {"columns": names})


def _number(value) -> float | None:
    if value is None or value == "":
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def read_geometry(row: dict, wkt: str | None, x: str | None, y: str | None):
    """Return (geometry or None, problem or None) for one row."""
    if wkt:
        text = row.get(wkt)
        if text in (None, ""):
            return None, None
        try:
            return shapely.from_wkt(str(text)), None
        except shapely.errors.GEOSException:
            return None, ("bad_wkt", f"WKT 无法解析：{str(text)[:40]!r}")
    vx, vy = _number(row.get(x)), _number(row.get(y))
    if vx is None or vy is None:
        if row.get(x) in (None, "") and row.get(y) in (None, ""):
            return None, None
        return None, ("bad_coordinates", "坐标不是数字")
    return Point(vx, vy), None
