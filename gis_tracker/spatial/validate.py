"""Check a submitted geometry before anything is stored.

Pure functions on GeoJSON dicts and shapely geometries; each problem raises
:class:`GeometryProblem` with a stable code, a bilingual message and, where
there is one, the location (lon/lat) to highlight on the map.
"""
from __future__ import annotations

import math

from shapely.geometry import MultiPolygon, Polygon, shape
from shapely.geometry.base import BaseGeometry
from shapely.validation import explain_validity, make_valid

GEOMETRY_FAMILIES = {
    "Point": {"Point"},
    "MultiPoint": {"Point", "MultiPoint"},
    "LineString": {"LineString"},
    "MultiLineString": {"LineString", "MultiLineString"},
    "MultiPolygon": {"Polygon", "MultiPolygon"},
    "Polygon": {"Polygon"},
    "Geometry": {"Point", "MultiPoint", "LineString", "MultiLineString", "Polygon", "MultiPolygon"},
}


class GeometryProblem(ValueError):
    """A geometry that must not be stored, with the reason and where."""

    def __init__(self, code: str, message: str, location: tuple[float, float] | None = None):
        super().__init__(message)
        self.code = code
        self.message = message
        self.location = location


def _coordinates(obj) -> list:
    """Flatten GeoJSON coordinates into a list of positions."""
    if not isinstance(obj, list):
        raise GeometryProblem("bad_geometry", "坐标格式错误")
    if obj and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in obj):
        return [obj]
    out = []
    for item in obj:
        out += _coordinates(item)
    return out


def parse_geojson(geometry: object, max_vertices: int) -> BaseGeometry:
    """Turn a GeoJSON geometry dict into shapely, refusing NaN, Infinity and huge inputs."""
    if not isinstance(geometry, dict) or "type" not in geometry or "coordinates" not in geometry:
        raise GeometryProblem("bad_geometry", "缺少几何或几何格式错误")
    positions = _coordinates(geometry["coordinates"])
    if len(positions) > max_vertices:
        raise GeometryProblem("too_many_vertices",
                              f"顶点数 {len(positions)} 超过上限 {max_vertices}")
    for pos in positions:
        if len(pos) < 2 or not all(isinstance(v, (int, float)) for v in pos):
            raise GeometryProblem("bad_geometry", "坐标必须是数字对")
        if not all(math.isfinite(v) for v in pos):
            raise GeometryProblem("non_finite_coordinate", "坐标含 NaN 或无穷大")
    try:
        geom = shape(geometry)
    except Exception as exc:  # shapely raises several types for malformed input
        raise GeometryProblem("bad_geometry", f"无法解析几何：{str(exc)[:120]}") from None
    if geom.is_empty:
        raise GeometryProblem("empty_geometry", "几何为空")
    return geom


def check_type(geom: BaseGeometry, layer_type: str) -> None:
    """Refuse a geometry whose type does not belong in the layer."""
    allowed = GEOMETRY_FAMILIES.get(layer_type, {layer_type})
    if geom.geom_type not in allowed:
        raise GeometryProblem("wrong_geometry_type",
                              f"该图层要求 {layer_type} 几何，收到 {geom.geom_type}")


def check_valid(geom: BaseGeometry) -> None:
    """Refuse invalid geometry (e.g. a self-intersecting 'bowtie'), naming the reason and place."""
    if geom.is_valid:
        return
    reason = explain_validity(geom)  # e.g. "Self-intersection[113.1 27.9]"
    location = None
    if "[" in reason:
        try:
            x, y = reason[reason.index("[") + 1:reason.index("]")].split()[:2]
            location = (float(x), float(y))
        except ValueError:
            location = None
    label = reason.split("[")[0]
    zh = {"Self-intersection": "自相交", "Ring Self-intersection": "环自相交",
          "Too few points in geometry component": "点数不足", "Hole lies outside shell": "洞在外环之外",
          "Nested shells": "外环嵌套", "Interior is disconnected": "内部不连通",
          "Duplicate Rings": "重复的环"}.get(label, "几何无效")
    raise GeometryProblem("invalid_geometry", f"几何无效：{zh}", location)


def check_extent(geom: BaseGeometry, bounds: tuple[float, float, float, float]) -> None:
    """Refuse lon/lat coordinates outside the district's (buffered) bounding box."""
    minx, miny, maxx, maxy = geom.bounds
    bx0, by0, bx1, by1 = bounds
    if minx < bx0 or miny < by0 or maxx > bx1 or maxy > by1:
        raise GeometryProblem(
            "outside_district",
            "坐标超出石峰区范围（经纬度是否颠倒，或坐标系是否有误？）",
            (minx, miny))


def repair(geom: BaseGeometry) -> BaseGeometry:
    """Return a valid version of ``geom`` (make_valid), keeping only its polygonal parts for polygons."""
    fixed = make_valid(geom)
    if isinstance(geom, (Polygon, MultiPolygon)) and fixed.geom_type == "GeometryCollection":
        polys = [g for g in fixed.geoms if isinstance(g, (Polygon, MultiPolygon))]
        parts = []
        for p in polys:
            parts += list(p.geoms) if isinstance(p, MultiPolygon) else [p]
        fixed = MultiPolygon(parts)
    return fixed
