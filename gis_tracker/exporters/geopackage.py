"""GeoPackage export (one layer named after the collection)."""
from __future__ import annotations

from pathlib import Path

from . import register
from .base import Exporter, ExportLayer
from .frames import to_frame


class GeoPackageExporter(Exporter):
    """Write a .gpkg with the layer's CRS."""

    name = "gpkg"
    label = "GeoPackage"
    extension = ".gpkg"
    media_type = "application/geopackage+sqlite3"

    def write(self, layer: ExportLayer, directory: Path) -> Path:
        """Write the GeoPackage."""
        path = directory / self.filename(layer)
        to_frame(layer).to_file(path, driver="GPKG", layer=layer.name, engine="pyogrio")
        return path


register(GeoPackageExporter())
