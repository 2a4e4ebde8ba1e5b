"""KML export for Google Earth: WGS84 lon/lat always, attributes as typed SchemaData."""
from __future__ import annotations

from pathlib import Path
from xml.etree import ElementTree as ET

from shapely.geometry.base import BaseGeometry

from . import register
from .base import Exporter, ExportLayer

NS = "http://www.opengis.net/kml/2.2"
NAME_FIELD_MARKER = "gis_tracker:name_field"
_TYPES = {"integer": "int", "number": "double", "boolean": "bool"}


def _coords(coords) -> str:
    return " ".join(f"{x:.9f},{y:.9f}" for x, y, *_ in coords)


def _geometry(parent: ET.Element, geom: BaseGeometry) -> None:
    kind = geom.geom_type
    if kind == "Point":
        ET.SubElement(ET.SubElement(parent, "Point"), "coordinates").text = _coords(geom.coords)
    elif kind == "LineString":
        ET.SubElement(ET.SubElement(parent, "LineString"), "coordinates").text = _coords(geom.coords)
    elif kind == "Polygon":
        poly = ET.SubElement(parent, "Polygon")
        outer = ET.SubElement(ET.SubElement(poly, "outerBoundaryIs"), "LinearRing")
        ET.SubElement(outer, "coordinates").text = _coords(geom.exterior.coords)
        for ring in geom.interiors:
            inner = ET.SubElement(ET.SubElement(poly, "innerBoundaryIs"), "LinearRing")
            ET.SubElement(inner, "coordinates").text = _coords(ring.coords)
    else:  # Multi*, GeometryCollection
        multi = ET.SubElement(parent, "MultiGeometry")
        for part in geom.geoms:
            _geometry(multi, part)


def _text(value) -> str:
    if value is None:
        return ""
    if value is True or value is False:
        return "true" if value else "false"
    return str(value)


class KmlExporter(Exporter):
    """Write a .kml document (the layer must be fetched in EPSG:4326)."""

    name = "kml"
    label = "KML"
    extension = ".kml"
    media_type = "application/vnd.google-earth.kml+xml"
    fixed_crs = "EPSG:4326"

    def write(self, layer: ExportLayer, directory: Path) -> Path:
        """Write Schema, a Placemark per feature with its name and SchemaData."""
        ET.register_namespace("", NS)
        root = ET.Element("kml", xmlns=NS)
        doc = ET.SubElement(root, "Document", id=layer.name)
        ET.SubElement(doc, "name").text = layer.title
        name_field = layer.label_field or ("name" if any(f.name == "name" for f in layer.fields) else None)
        if name_field:
            marker = ET.SubElement(ET.SubElement(doc, "ExtendedData"), "Data", name=NAME_FIELD_MARKER)
            ET.SubElement(marker, "value").text = name_field
        schema = ET.SubElement(doc, "Schema", name=layer.name, id=f"{layer.name}_schema")
        for fld in layer.fields:
            simple = ET.SubElement(schema, "SimpleField", name=fld.name, type=_TYPES.get(fld.type, "string"))
            if fld.label:
                ET.SubElement(simple, "displayName").text = fld.label
        for geom, props in layer.features:
            placemark = ET.SubElement(doc, "Placemark")
            if name_field:
                ET.SubElement(placemark, "name").text = _text(props.get(name_field))
            data = ET.SubElement(ET.SubElement(placemark, "ExtendedData"), "SchemaData",
                                 schemaUrl=f"#{layer.name}_schema")
            for fld in layer.fields:
                value = props.get(fld.name)
                if value is not None:
                    ET.SubElement(data, "SimpleData", name=fld.name).text = _text(layer.flat_value(fld, value))
            if geom is not None:
                _geometry(placemark, geom)
        path = directory / self.filename(layer)
        ET.ElementTree(root).write(path, encoding="utf-8", xml_declaration=True)
        return path


register(KmlExporter())
