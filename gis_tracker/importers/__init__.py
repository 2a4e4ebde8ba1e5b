"""Importers: one plugin per file format behind :class:`base.Importer`, looked up by name or extension."""
from __future__ import annotations

from ..plugins import Registry
from .base import Importer, ImportOptions, ParseProblem, SourceField, SourceLayer

_REGISTRY: Registry[Importer] = Registry(
    __name__, ("csv_table", "geojson", "geopackage", "geotiff", "kml", "shapefile", "xlsx"))
register = _REGISTRY.register
names = _REGISTRY.names
get = _REGISTRY.get


def for_filename(filename: str) -> Importer | None:
    """Return the importer for a file name by its extension (longest match), or None."""
    lower = filename.lower()
    best = None
    for importer in _REGISTRY:
        for ext in importer.extensions:
            if lower.endswith(ext) and (best is None or len(ext) > best[0]):
                best = (len(ext), importer)
    return best[1] if best else None


def accepted_extensions() -> list[str]:
    """Return every extension an importer accepts (for the upload form)."""
    return sorted({ext for imp in _REGISTRY for ext in imp.extensions})


__all__ = ["ImportOptions", "Importer", "ParseProblem", "SourceField", "SourceLayer", "get", "for_filename",
           "names", "register", "accepted_extensions"]
