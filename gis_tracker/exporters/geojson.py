"""GeoJSON export: RFC 7946 (lon/lat) for EPSG:4326; other CRSs carry a legacy ``crs`` member."""
from __future__ import annotations

import json
from pathlib import Path

import shapely

from . import register
from .base import Exporter, ExportLayer


class GeoJSONExporter(Exporter):
    """Write a FeatureCollection (full double precision, UTF-8)."""

    name = "geojson"
    label = "GeoJSON"
    extension = ".geojson"
    media_type = "application/geo+json"

    def write(self, layer: ExportLayer, directory: Path) -> Path:
        """Write the FeatureCollection."""
        doc = {"type": "FeatureCollection", "name": layer.name}
        if layer.crs != "EPSG:4326":
            doc["crs"] = {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::" + layer.crs.split(":")[1]}}
        doc["features"] = [
            {"type": "Feature", "properties": {f.name: props.get(f.name) for f in layer.fields},
             "geometry": shapely.geometry.mapping(geom) if geom is not None else None}
            for geom, props in layer.features]
        path = directory / self.filename(layer)
        path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
        return path


register(GeoJSONExporter())
