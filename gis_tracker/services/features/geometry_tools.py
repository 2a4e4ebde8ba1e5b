"""Geometry tools for the map editor: preview a split, preview a repair.

Nothing is stored here: the editor shows the result on the map, the user
confirms, and the save goes through the OGC API like any other edit (so it
is validated, versioned and audited there).
"""
from __future__ import annotations

import logging

from shapely.geometry import mapping
from shapely.geometry.base import BaseGeometry

from ...db import WGS84
from ...errors import BadParameter, Unprocessable
from ...spatial import measure, validate
from ...spatial import split as splitting

LOGGER = logging.getLogger(__name__)
COORDINATE_DECIMALS = 7


def _geojson(geom: BaseGeometry) -> dict:
    """Return ``geom`` as a GeoJSON dict rounded like the OGC API (7 decimals, about 1 cm)."""
    def rnd(obj):
        if isinstance(obj, (list, tuple)):
            if obj and isinstance(obj[0], float):
                return [round(v, COORDINATE_DECIMALS) for v in obj]
            return [rnd(v) for v in obj]
        return obj
    doc = mapping(geom)
    return {"type": doc["type"], "coordinates": rnd(doc["coordinates"])}


def _parse(body: object, key: str, max_vertices: int) -> BaseGeometry:
    if not isinstance(body, dict) or key not in body:
        raise BadParameter(f"请求体须含 {key!r}（GeoJSON 几何）",
                           code="bad_body")
    try:
        return validate.parse_geojson(body[key], max_vertices)
    except validate.GeometryProblem as problem:
        raise Unprocessable(problem.message, code=problem.code, details={"field": key}) from None


def _area(geom: BaseGeometry) -> float:
    return round(measure.area_m2(geom, WGS84), 1) if geom.geom_type.endswith("Polygon") else 0.0


def split(body: object, max_vertices: int) -> dict:
    """Return the parts of ``body['geometry']`` (a polygon) cut by ``body['line']``, largest first."""
    polygon = _parse(body, "geometry", max_vertices)
    line = _parse(body, "line", max_vertices)
    try:
        parts = splitting.split_polygon(polygon, line)
    except validate.GeometryProblem as problem:
        raise Unprocessable(problem.message, code=problem.code, details={"field": "line"}) from None
    return {"parts": [{"geometry": _geojson(p), "area_m2": _area(p),
                       "area_mu": round(measure.m2_to_mu(_area(p)), 2)} for p in parts]}


def repair(body: object, max_vertices: int) -> dict:
    """Return a valid version of ``body['geometry']`` (make valid) with what changed."""
    geom = _parse(body, "geometry", max_vertices)
    fixed = validate.repair(geom) if not geom.is_valid else geom
    if fixed.is_empty:
        raise Unprocessable("几何无法修复（修复后为空），请重新绘制",
                            code="unrepairable", details={"field": "geometry"})
    parts = len(getattr(fixed, "geoms", [fixed]))
    return {"geometry": _geojson(fixed), "changed": not geom.is_valid, "valid": fixed.is_valid,
            "geometry_type": fixed.geom_type, "parts": parts, "area_m2": _area(fixed),
            "area_mu": round(measure.m2_to_mu(_area(fixed)), 2)}
