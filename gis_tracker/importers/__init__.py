"""Importers: one plugin per file format behind :class:`base.Importer`, looked up by name or extension."""
from __future__ import annotations

from .base import ImportOptions, Importer, ParseProblem, SourceField, SourceLayer

_REGISTRY: dict[str, Importer] = {}


def register(importer: Importer) -> Importer:
    """Add an importer to the registry under its ``name``."""
    _REGISTRY[importer.name] = importer
    return importer


def _load() -> None:
    if _REGISTRY:
        return
    from . import csv_table, geojson, geopackage, geotiff, kml, shapefile, xlsx  # noqa: F401


def names() -> list[str]:
    """Return the registered format names."""
    _load()
    return list(_REGISTRY)


def get(name: str) -> Importer | None:
    """Return the importer called ``name`` or None."""
    _load()
    return _REGISTRY.get(name)


def for_filename(filename: str) -> Importer | None:
    """Return the importer for a file name by its extension (longest match), or None."""
    _load()
    lower = filename.lower()
    best = None
    for importer in _REGISTRY.values():
        for ext in importer.extensions:
            if lower.endswith(ext) and (best is None or len(ext) > best[0]):
                best = (len(ext), importer)
    return best[1] if best else None


def accepted_extensions() -> list[str]:
    """Return every extension an importer accepts (for the upload form)."""
    _load()
    return sorted({ext for imp in _REGISTRY.values() for ext in imp.extensions})


__all__ = ["ImportOptions", "Importer", "ParseProblem", "SourceField", "SourceLayer", "get", "for_filename",
           "names", "register", "accepted_extensions"]
