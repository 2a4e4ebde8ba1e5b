"""OGC GeoPackage (.gpkg): list its vector layers and read the chosen one."""
from __future__ import annotations

from pathlib import Path

import pyogrio

from . import register
from .base import Importer, ImportOptions, ParseProblem, SourceLayer
from .vector_io import check_magic, read_layer


class GeoPackageImporter(Importer):
    """Read one layer of a GeoPackage (the first one unless the user chooses)."""

    name = "gpkg"
    label = "GeoPackage"
    extensions = (".gpkg",)

    def read(self, path: Path, workdir: Path, options: ImportOptions) -> SourceLayer:
        """Check the SQLite header, list layers with geometry, read the chosen one."""
        check_magic(path, (b"SQLite format 3\x00",), "GeoPackage")
        try:
            listed = pyogrio.list_layers(path)
        except Exception:  # noqa: BLE001 - GDAL raises several types for damaged files
            raise ParseProblem("unreadable_file", "GeoPackage 无法读取") from None
        names = [str(row[0]) for row in listed if row[1] is not None]
        if not names:
            raise ParseProblem("no_layers", "GeoPackage 中没有矢量图层")
        name = options.layer if options.layer in names else names[0]
        layer = read_layer(path, "GPKG", layer=name)
        layer.layers, layer.layer = names, name
        return layer


register(GeoPackageImporter())
