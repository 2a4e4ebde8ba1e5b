"""Read an uploaded vector file and prepare its import (runs in the isolated child process).

Resolves the CRS (the user's choice, else the file's; never a guess),
reprojects every feature to the storage CRS (EPSG:4547), validates each one
(geometry present, valid, within the district, text not garbled) and writes
the normalised features for the commit step.  Returns the preview shown to
the user: count, fields with types, CRS, extent, first rows, the validation
report and decoded Chinese samples.
"""
from __future__ import annotations

import json
import logging
from collections import Counter
from pathlib import Path

import numpy as np
import shapely
from shapely.validation import explain_validity

from ..spatial import crs as crsmod
from ..spatial import encoding as enc
from ..spatial.measure import m2_to_mu
from . import get
from .base import ImportOptions, ParseProblem, SourceLayer, plain_value

LOGGER = logging.getLogger(__name__)
PREVIEW_ROWS = 10
PREVIEW_PROBLEMS = 200
PREVIEW_SHAPES = 300
STORAGE = crsmod.STORAGE_CRS
_FAMILIES = {"Point": "Point", "MultiPoint": "MultiPoint", "LineString": "LineString",
             "MultiLineString": "MultiLineString", "Polygon": "MultiPolygon", "MultiPolygon": "MultiPolygon"}


def layer_geometry_type(counts: Counter) -> str:
    """Return the layer geometry type for the features' types (Point, …, MultiPolygon or Geometry)."""
    kinds = {k for k in counts if k in _FAMILIES}
    if not kinds:
        return "Geometry"
    if kinds <= {"Point"}:
        return "Point"
    if kinds <= {"Point", "MultiPoint"}:
        return "MultiPoint"
    if kinds <= {"LineString"}:
        return "LineString"
    if kinds <= {"LineString", "MultiLineString"}:
        return "MultiLineString"
    if kinds <= {"Polygon", "MultiPolygon"}:
        return "MultiPolygon"
    return "Geometry"


def _resolve_crs(layer: SourceLayer, asked: str | None) -> tuple[str | None, str, list[str]]:
    warnings = []
    try:
        user = crsmod.normalise(asked)
    except crsmod.CrsProblem as exc:
        raise ParseProblem("bad_crs", str(exc), 400) from None
    if user:
        if layer.crs and layer.crs != user:
            declared = crsmod.code_of(crsmod.pyproj_crs(layer.crs)) or "其他坐标系"
            warnings.append(f"已按您选择的 {user} 解释坐标，文件声明的是 {declared}")
        return user, "user", warnings
    return layer.crs, layer.crs_source, warnings


def _crs_name(code: str | None) -> str | None:
    if code is None:
        return None
    if code == crsmod.GCJ02:
        return "GCJ-02"
    return crsmod.pyproj_crs(code).name


def _problems_for(index: int, geom, lonlat, district, max_vertices: int, props: dict) -> list[dict]:
    found = []

    def add(code, message, repairable=False, field=None):
        item = {"index": index, "code": code, "message": message, "repairable": repairable}
        if field:
            item["field"] = field
        found.append(item)

    for name, value in props.items():
        if isinstance(value, str) and enc.is_mojibake(value):
            add("mojibake", f"字段“{name}”疑似乱码：{value[:30]!r}，请选择正确的编码", field=name)
    if geom is None:
        add("missing_geometry", "缺少几何")
        return found
    if geom.is_empty:
        add("empty_geometry", "几何为空")
        return found
    if geom.geom_type not in _FAMILIES:
        add("unsupported_geometry", f"不支持的几何类型 {geom.geom_type}")
        return found
    if shapely.get_num_coordinates(geom) > max_vertices:
        add("too_many_vertices", f"顶点数超过 {max_vertices}")
    coords = shapely.get_coordinates(geom)
    if not np.isfinite(coords).all():
        add("transform_failed", "坐标无法变换（坐标系是否选错？）")
        return found
    if not geom.is_valid:
        add("invalid_geometry", f"几何无效：{explain_validity(geom)}",
            repairable=True)
    if lonlat is not None and district and not crsmod.overlaps(lonlat.bounds, district):
        add("outside_district", "要素不在石峰区范围内")
    return found


def run(source: str, fmt: str, workdir: str, features_out: str, options: dict | None = None,
        district: list[float] | None = None, max_vertices: int = 100_000) -> dict:
    """Read ``source`` with the ``fmt`` importer and return the preview (child-process task)."""
    importer = get(fmt)
    if importer is None or importer.kind != "vector":
        raise ParseProblem("unsupported_format", f"不支持的格式 {fmt!r}", 400)
    opts = ImportOptions.from_dict(options)
    layer = importer.read(Path(source), Path(workdir), opts)
    code, crs_source, warnings = _resolve_crs(layer, opts.crs)
    warnings = layer.warnings + warnings
    district_box = tuple(district) if district else None
    stored, problems, kinds = [], [], Counter()
    lonlat_boxes, shapes, area = [], [], 0.0
    for index, (geom, props) in enumerate(layer.features):
        props = {k: plain_value(v) for k, v in props.items()}
        if geom is not None and not geom.is_empty and shapely.has_z(geom):
            geom = shapely.force_2d(geom)
        storage = lonlat = None
        if geom is not None and not geom.is_empty and code is not None:
            with np.errstate(all="ignore"):
                storage = crsmod.transform(geom, code, STORAGE)
                lonlat = crsmod.transform(geom, code, "EPSG:4326")
        if geom is not None:
            kinds[geom.geom_type] += 1
        if index in layer.row_problems:
            pcode, message = layer.row_problems[index]
            problems.append({"index": index, "code": pcode, "message": message, "repairable": False})
        found = _problems_for(index, storage if code else geom, lonlat, district_box if code else None,
                              max_vertices, props)
        if index in layer.row_problems:  # the reader already said why the geometry is missing
            found = [p for p in found if p["code"] != "missing_geometry"]
        problems += found
        if lonlat is not None and np.isfinite(shapely.get_coordinates(lonlat)).all():
            lonlat_boxes.append(lonlat.bounds)
            if len(shapes) < PREVIEW_SHAPES:
                shapes.append(shapely.geometry.mapping(lonlat.simplify(0.00001)))
            if storage.geom_type in ("Polygon", "MultiPolygon"):
                area += storage.area
        stored.append([shapely.to_wkb(storage, hex=True) if storage is not None else None, props])
    extent = None
    if lonlat_boxes:
        boxes = np.array(lonlat_boxes)
        extent = [float(boxes[:, 0].min()), float(boxes[:, 1].min()), float(boxes[:, 2].max()),
                  float(boxes[:, 3].max())]
        warning = crsmod.outside_district_warning(tuple(extent), district_box) if district_box else None
        if warning:
            warnings.append(warning)
    candidates = []
    if code is None and layer.features and district_box:
        raw = np.array([g.bounds for g, _ in layer.features if g is not None and not g.is_empty])
        if raw.size:
            candidates = crsmod.candidates((raw[:, 0].min(), raw[:, 1].min(), raw[:, 2].max(), raw[:, 3].max()),
                                           district_box)
    geometry_type = layer_geometry_type(kinds)
    if code is not None:
        Path(features_out).write_text(json.dumps({"crs": code, "geometry_type": geometry_type,
                                                  "fields": [f.__dict__ for f in layer.fields],
                                                  "features": stored, "problems": problems},
                                                 ensure_ascii=False), encoding="utf-8")
    values = (v for _, props in layer.features[:500] for v in props.values())
    return {
        "format": fmt, "layer": layer.layer, "layers": layer.layers,
        "feature_count": len(layer.features), "geometry_types": dict(kinds), "geometry_type": geometry_type,
        "fields": [{"name": f.name, "type": f.type} for f in layer.fields],
        "crs": code if code is None or code.startswith(("EPSG", crsmod.GCJ02)) else "custom",
        "crs_name": _crs_name(code), "crs_source": crs_source, "needs_crs": code is None,
        "crs_candidates": candidates, "extent": extent, "shapes": shapes,
        "area_m2": round(area, 3), "area_mu": round(m2_to_mu(area), 3),
        "rows": [{"properties": {k: plain_value(v) for k, v in props.items()},
                  "geometry_type": geom.geom_type if geom is not None else None}
                 for geom, props in layer.features[:PREVIEW_ROWS]],
        "problems": problems[:PREVIEW_PROBLEMS], "problem_count": len(problems),
        "error_features": len({p["index"] for p in problems}),
        "repairable_only": all(p["repairable"] for p in problems),
        "encoding": ({"encoding": layer.encoding.encoding, "source": layer.encoding.source,
                      "samples": list(layer.encoding.samples) or enc.chinese_samples(values)}
                     if layer.encoding else None),
        "chinese_samples": enc.chinese_samples(v for _, props in layer.features[:500] for v in props.values()),
        "warnings": warnings,
    }
