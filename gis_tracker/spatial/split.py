"""Split a polygon into parts along a drawn line.

Pure shapely on lon/lat (or any planar) coordinates: splitting is
topological, so no reprojection is needed.  Problems raise
:class:`~gis_tracker.spatial.validate.GeometryProblem` with a stable code.
"""
from __future__ import annotations

from shapely.geometry import LineString, MultiLineString, MultiPolygon, Polygon
from shapely.geometry.base import BaseGeometry
from shapely.ops import split as shapely_split

from .validate import GeometryProblem

MIN_PART_SHARE = 1e-9  # parts smaller than this share of the area are slivers from rounding


def _polygons(geom: BaseGeometry) -> list[Polygon]:
    if isinstance(geom, Polygon):
        return [geom]
    if isinstance(geom, MultiPolygon):
        return list(geom.geoms)
    raise GeometryProblem("wrong_geometry_type", f"只能分割面要素，收到 {geom.geom_type}")


def split_polygon(polygon: BaseGeometry, line: BaseGeometry) -> list[Polygon]:
    """Return the parts of ``polygon`` cut by ``line``, largest first.

    Each polygon of a MultiPolygon is split on its own; parts of a
    MultiPolygon the line does not touch stay with the first (largest) part's
    neighbours as separate parts.
    """
    if not isinstance(line, (LineString, MultiLineString)):
        raise GeometryProblem("wrong_geometry_type", f"分割线必须是线，收到 {line.geom_type}")
    if not polygon.is_valid:
        raise GeometryProblem("invalid_geometry", "要分割的面本身无效，请先修复")
    parts: list[Polygon] = []
    for poly in _polygons(polygon):
        pieces = [g for g in shapely_split(poly, line).geoms if isinstance(g, Polygon)]
        parts += [p for p in pieces if p.area > poly.area * MIN_PART_SHARE]
    if len(parts) <= len(_polygons(polygon)):
        raise GeometryProblem("line_does_not_split",
                              "分割线没有完整穿过该面（线的两端都须在面外）")
    return sorted(parts, key=lambda p: p.area, reverse=True)
