"""Exporters: one plugin per file format behind :class:`base.Exporter`, looked up by name."""
from __future__ import annotations

from .base import ExportField, ExportLayer, ExportProblem, Exporter

_REGISTRY: dict[str, Exporter] = {}


def register(exporter: Exporter) -> Exporter:
    """Add an exporter under its ``name``."""
    _REGISTRY[exporter.name] = exporter
    return exporter


def _load() -> None:
    if _REGISTRY:
        return
    from . import csv_table, geojson, geopackage, kml, shapefile, xlsx  # noqa: F401


def names() -> list[str]:
    """Return the registered format names in display order."""
    _load()
    return list(_REGISTRY)


def get(name: str) -> Exporter | None:
    """Return the exporter called ``name`` or None."""
    _load()
    return _REGISTRY.get(name)


__all__ = ["ExportField", "ExportLayer", "ExportProblem", "Exporter", "get", "names", "register"]
