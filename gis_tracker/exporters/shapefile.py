"""Zipped Shapefile export: UTF-8 attributes with a .cpg, and a .prj, so any GIS reads Chinese text right."""
from __future__ import annotations

import zipfile
from pathlib import Path

from . import register
from .base import Exporter, ExportLayer, ExportProblem
from .frames import to_frame

_FAMILY = {"Point": "point", "MultiPoint": "point", "LineString": "line", "MultiLineString": "line",
           "Polygon": "polygon", "MultiPolygon": "polygon"}


class ShapefileExporter(Exporter):
    """Write .shp/.shx/.dbf/.prj/.cpg into a zip."""

    name = "shp"
    label = "Shapefile (.zip)"
    extension = ".zip"
    media_type = "application/zip"

    def filename(self, layer: ExportLayer) -> str:
        """Return ``<layer>.shp.zip``."""
        return f"{layer.name}.shp.zip"

    def write(self, layer: ExportLayer, directory: Path) -> Path:
        """Write the Shapefile parts (one geometry family only) and zip them."""
        families = {_FAMILY.get(g.geom_type) for g, _ in layer.features if g is not None}
        if len(families) > 1:
            raise ExportProblem("mixed_geometry", "Shapefile 只能保存一种几何类型，该图层混合了点、线、面")
        parts = directory / "shp"
        parts.mkdir()
        frame = to_frame(layer)
        for column in frame.columns:
            if len(str(column).encode("utf-8")) > 10 and column != frame.geometry.name:
                layer.notes.append(f"Shapefile 字段名最长 10 字节，{column} 已被截短")
        frame.to_file(parts / f"{layer.name}.shp", driver="ESRI Shapefile", encoding="UTF-8", engine="pyogrio")
        cpg = parts / f"{layer.name}.cpg"
        if not cpg.exists():
            cpg.write_text("UTF-8", encoding="ascii")
        path = directory / self.filename(layer)
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
            for part in sorted(parts.iterdir()):
                archive.write(part, part.name)
        return path


register(ShapefileExporter())
