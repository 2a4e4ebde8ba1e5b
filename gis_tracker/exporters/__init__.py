"""Exporters: one plugin per file format behind :class:`base.Exporter`, looked up by name."""
from __future__ import annotations

from ..plugins import Registry
from .base import Exporter, ExportField, ExportLayer, ExportProblem

_REGISTRY: Registry[Exporter] = Registry(
    __name__, ("csv_table", "geojson", "geopackage", "kml", "shapefile", "xlsx"))
register = _REGISTRY.register
names = _REGISTRY.names
get = _REGISTRY.get


__all__ = ["ExportField", "ExportLayer", "ExportProblem", "Exporter", "get", "names", "register"]
