"""GeoJSON (.geojson/.json): RFC 7946 data is WGS84 lon/lat unless a legacy ``crs`` member says otherwise."""
from __future__ import annotations

from pathlib import Path

from . import register
from .base import Importer, ImportOptions, SourceLayer
from .vector_io import check_magic, read_layer


class GeoJSONImporter(Importer):
    """Read a GeoJSON FeatureCollection."""

    name = "geojson"
    label = "GeoJSON"
    extensions = (".geojson", ".json")

    def read(self, path: Path, workdir: Path, options: ImportOptions) -> SourceLayer:
        """Check it is a JSON object and read it with the GeoJSON driver."""
        check_magic(path, (b"{", b"\xef\xbb\xbf{"), "GeoJSON")
        layer = read_layer(path, "GeoJSON")
        layer.crs_source = "format" if layer.crs == "EPSG:4326" else layer.crs_source
        return layer


register(GeoJSONImporter())
