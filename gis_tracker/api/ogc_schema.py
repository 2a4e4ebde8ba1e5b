"""JSON Schema documents of a collection, built from the catalogue's fields.

One function, :func:`property_schema`, describes a field; the collection
document (``properties``), the queryables (Part 3) and the feature schema
(Part 5, ``/collections/{id}/schema``) all use it, so a field is described
the same way everywhere.  Types are JSON Schema types: a date is
``{"type": "string", "format": "date"}``.  Roles follow Part 5:
``x-ogc-role`` ``id``, ``primary-geometry`` and ``primary-instant`` (the
date property ``datetime`` filters on).
"""
from __future__ import annotations

from ..i18n import pick
from ..services.features import cql
from ..services.features.catalog import Collection, Field

JSON_SCHEMA = "https://json-schema.org/draft/2020-12/schema"
SCHEMA_MEDIA = "application/schema+json"
JSON_TYPES = {"string": "string", "integer": "integer", "number": "number", "boolean": "boolean",
              "date": "string", "object": "object"}
GEOMETRY_FORMATS = {
    "Point": "geometry-point", "MultiPoint": "geometry-multipoint", "LineString": "geometry-linestring",
    "MultiLineString": "geometry-multilinestring", "Polygon": "geometry-polygon",
    "MultiPolygon": "geometry-multipolygon",
}


def property_schema(coll: Collection, field: Field, read_only: set[str] | frozenset[str] = frozenset()) -> dict:
    """Return the JSON Schema of one field: type, title, format, enum, readOnly, role.

    ``read_only``: the fields the requesting user's role may not change (``Collection.read_only_fields``).
    """
    schema: dict = {"title": pick(field.label, field.label_en), "type": JSON_TYPES.get(field.type, "string")}
    if field.type == "date":
        schema["format"] = "date"
    if field.choices:
        schema["enum"] = list(field.choices)
    if not field.editable or field.name in read_only:
        schema["readOnly"] = True
    temporal = coll.temporal_field()
    if temporal is not None and temporal.name == field.name:
        schema["x-ogc-role"] = "primary-instant"
    return schema


def geometry_schema(coll: Collection) -> dict:
    """Return the schema of the primary geometry (format ``geometry-…``, role ``primary-geometry``)."""
    return {"title": pick("几何", "Geometry"), "format": GEOMETRY_FORMATS.get(coll.geometry_type, "geometry-any"),
            "x-ogc-role": "primary-geometry"}


def required_names(coll: Collection) -> list[str]:
    """Return the names of the required fields."""
    return [f.name for f in coll.fields if f.required]


def queryables(coll: Collection, href: str) -> dict:
    """Return the Part 3 queryables: every filterable property with type, enum and title, and the geometry."""
    props = {f.name: property_schema(coll, f) for f in coll.fields if f.type != "object"}
    props[cql.GEOMETRY_PROPERTY] = geometry_schema(coll)
    return {"$schema": JSON_SCHEMA, "$id": href, "type": "object",
            "title": pick(coll.title, coll.title_en), "properties": props, "additionalProperties": False}


def feature_schema(coll: Collection, href: str) -> dict:
    """Return the Part 5 schema of the collection's features (id, every property, the geometry)."""
    props = {"id": {"title": pick("要素编号", "Feature id"), "type": "integer", "readOnly": True,
                    "x-ogc-role": "id"}}
    for seq, f in enumerate(coll.fields, start=1):
        props[f.name] = {**property_schema(coll, f), "x-ogc-propertySeq": seq}
    props[cql.GEOMETRY_PROPERTY] = geometry_schema(coll)
    return {"$schema": JSON_SCHEMA, "$id": href, "type": "object", "title": pick(coll.title, coll.title_en),
            "description": coll.description, "properties": props, "required": required_names(coll)}
