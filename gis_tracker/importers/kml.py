"""KML and KMZ (Google Earth): Placemarks with their name, description and ExtendedData.

Parsed with ``defusedxml``: a document declaring a DTD or entities (the
vehicle of "XML external entity" and "billion laughs" attacks) is refused.
KMZ archives get the same directory checks as zipped Shapefiles.  KML
coordinates are WGS84 lon/lat by definition.
"""
from __future__ import annotations

import io
import zipfile
from pathlib import Path

from defusedxml import DefusedXmlException
from defusedxml import ElementTree as SafeET
from shapely.geometry import LineString, MultiLineString, MultiPoint, MultiPolygon, Point, Polygon
from shapely.geometry.base import BaseGeometry

from . import register
from .archives import check_archive
from .base import Importer, ImportOptions, ParseProblem, SourceField, SourceLayer, convert_text, infer_text_columns

NAME_FIELD_MARKER = "gis_tracker:name_field"
_SCHEMA_TYPES = {"int": "integer", "uint": "integer", "short": "integer", "ushort": "integer",
                 "float": "number", "double": "number", "bool": "boolean", "string": "string"}
MAX_KML_BYTES = 512 * 1024 * 1024


def _local(tag) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _child(elem, name: str):
    return next((c for c in elem if _local(c.tag) == name), None)


def _text(elem, name: str) -> str | None:
    found = _child(elem, name)
    return found.text.strip() if found is not None and found.text else None


def _coords(elem) -> list[tuple[float, ...]]:
    found = next((c for c in elem.iter() if _local(c.tag) == "coordinates"), None)
    if found is None or not found.text:
        return []
    out = []
    for token in found.text.split():
        parts = token.split(",")
        try:
            out.append((float(parts[0]), float(parts[1])))
        except (ValueError, IndexError):
            raise ParseProblem("bad_coordinates", f"KML 坐标格式错误：{token[:40]!r}") \
                from None
    return out


def _ring(elem) -> list:
    ring = next((c for c in elem.iter() if _local(c.tag) == "LinearRing"), None)
    return _coords(ring) if ring is not None else []


def _geometry(elem) -> BaseGeometry | None:
    kind = _local(elem.tag)
    if kind == "Point":
        pts = _coords(elem)
        return Point(pts[0]) if pts else None
    if kind == "LineString":
        return LineString(_coords(elem))
    if kind == "LinearRing":
        return Polygon(_coords(elem))
    if kind == "Polygon":
        outer = _child(elem, "outerBoundaryIs")
        inners = [c for c in elem if _local(c.tag) == "innerBoundaryIs"]
        return Polygon(_ring(outer) if outer is not None else [], [_ring(i) for i in inners])
    if kind == "MultiGeometry":
        parts = [g for g in (_geometry(c) for c in elem) if g is not None]
        kinds = {p.geom_type for p in parts}
        if kinds <= {"Point"}:
            return MultiPoint(parts) if parts else None
        if kinds <= {"LineString"}:
            return MultiLineString(parts)
        if kinds <= {"Polygon"}:
            return MultiPolygon(parts)
        raise ParseProblem("mixed_geometry", "KML 中的 MultiGeometry 混合了不同几何类型")
    return None


def _placemark_geometry(placemark) -> BaseGeometry | None:
    for child in placemark:
        if _local(child.tag) in ("Point", "LineString", "LinearRing", "Polygon", "MultiGeometry"):
            return _geometry(child)
    return None


def _extended(placemark) -> dict[str, str]:
    data = _child(placemark, "ExtendedData")
    values: dict[str, str] = {}
    if data is None:
        return values
    for elem in data.iter():
        kind = _local(elem.tag)
        if kind == "Data" and elem.get("name"):
            values[elem.get("name")] = _text(elem, "value") or ""
        elif kind == "SimpleData" and elem.get("name"):
            values[elem.get("name")] = (elem.text or "").strip()
    return values


def parse_kml(raw: bytes) -> SourceLayer:
    """Parse KML bytes into a layer (DTDs and entities refused)."""
    try:
        root = SafeET.fromstring(raw, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException:
        raise ParseProblem("xml_forbidden", "KML 文件声明了 DTD 或实体（可能引用外部文件），已拒绝") from None
    except SafeET.ParseError as exc:
        raise ParseProblem("bad_xml", f"KML 不是有效的 XML：{exc}") from None
    if _local(root.tag) != "kml":
        raise ParseProblem("wrong_format", "文件不是 KML")
    schema: dict[str, str] = {}
    name_field = None
    for elem in root.iter():
        kind = _local(elem.tag)
        if kind == "SimpleField" and elem.get("name"):
            schema[elem.get("name")] = _SCHEMA_TYPES.get((elem.get("type") or "string").lower(), "string")
        elif kind == "Data" and elem.get("name") == NAME_FIELD_MARKER:
            name_field = _text(elem, "value")
    rows: list[tuple[BaseGeometry | None, dict[str, str]]] = []
    for placemark in (e for e in root.iter() if _local(e.tag) == "Placemark"):
        values: dict[str, str] = {}
        if name_field is None:
            for tag in ("name", "description"):
                if _text(placemark, tag) is not None:
                    values[tag] = _text(placemark, tag)
        values.update(_extended(placemark))
        rows.append((_placemark_geometry(placemark), values))
    names: list[str] = []
    for _, values in rows:
        names += [k for k in values if k not in names]
    typed_names = [n for n in names if n in schema]
    fields, typed = infer_text_columns([n for n in names if n not in schema],
                                       [[v.get(n, "") for n in names if n not in schema] for _, v in rows])
    by_name = {f.name: f for f in fields}
    by_name.update({n: SourceField(n, schema[n]) for n in typed_names})
    ordered = [by_name[n] for n in names]
    features = []
    for (geom, values), inferred in zip(rows, typed):
        props = {n: convert_text(values.get(n, ""), schema[n]) for n in typed_names}
        props.update(inferred)
        features.append((geom, {f.name: props.get(f.name) for f in ordered}))
    return SourceLayer(fields=ordered, features=features, crs="EPSG:4326", crs_source="format")


class KmlImporter(Importer):
    """Read a .kml or a .kmz (zipped KML with doc.kml)."""

    name = "kml"
    label = "KML / KMZ"
    extensions = (".kml", ".kmz")

    def read(self, path: Path, workdir: Path, options: ImportOptions) -> SourceLayer:
        """Parse the KML (from inside the KMZ when zipped)."""
        if path.suffix.lower() != ".kmz" and not zipfile.is_zipfile(path):
            if path.stat().st_size > MAX_KML_BYTES:
                raise ParseProblem("too_large", "KML 文件过大")
            return parse_kml(path.read_bytes())
        members = check_archive(path)
        kmls = [m for m in members if m.filename.lower().endswith(".kml")]
        if not kmls:
            raise ParseProblem("no_kml", "KMZ 中没有 .kml 文件")
        chosen = next((m for m in kmls if m.filename.lower() == "doc.kml"), kmls[0])
        if chosen.file_size > MAX_KML_BYTES:
            raise ParseProblem("too_large", "KML 文件过大")
        with zipfile.ZipFile(path) as archive:
            with archive.open(chosen) as fh:
                raw = fh.read(MAX_KML_BYTES + 1)
        return parse_kml(io.BytesIO(raw).getvalue())


register(KmlImporter())
