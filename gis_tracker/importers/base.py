"""The importer plugin contract: one :class:`Importer` per file format, found by name or extension.

Importers run inside the isolated parser process (``services/safe_parse``):
they turn an uploaded file into a :class:`SourceLayer` — features as shapely
geometries in the file's own CRS with plain Python attribute values — and
raise :class:`ParseProblem` with a stable code and a bilingual message for
anything they cannot or must not read.
"""
from __future__ import annotations

import datetime as dt
import logging
import math
import re
from dataclasses import dataclass, field
from pathlib import Path

from shapely.geometry.base import BaseGeometry

from ..spatial.encoding import EncodingGuess

LOGGER = logging.getLogger(__name__)


class ParseProblem(Exception):
    """A file that cannot be imported: stable code, bilingual message, HTTP status (4xx)."""

    def __init__(self, code: str, message: str, status: int = 422, details: dict | None = None):
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status
        self.details = details or {}


@dataclass(frozen=True)
class ImportOptions:
    """What the user told us about a file: CRS, encoding, layer/sheet and geometry columns."""

    crs: str | None = None
    encoding: str | None = None
    layer: str | None = None
    x_field: str | None = None
    y_field: str | None = None
    wkt_field: str | None = None

    @classmethod
    def from_dict(cls, data: dict | None) -> ImportOptions:
        """Build options from a dict, ignoring unknown keys and blanks."""
        data = data or {}
        return cls(**{k: (str(data[k]).strip() or None) if data.get(k) is not None else None
                      for k in cls.__dataclass_fields__})

    def as_dict(self) -> dict:
        """Return the options as a JSON-ready dict without empty values."""
        return {k: getattr(self, k) for k in self.__dataclass_fields__ if getattr(self, k)}


@dataclass
class SourceField:
    """A column of the source: its name and type (string, integer, number, boolean, date)."""

    name: str
    type: str


@dataclass
class SourceLayer:
    """What an importer read: fields, features in the source CRS, the CRS, encoding and layer choice."""

    fields: list[SourceField]
    features: list[tuple[BaseGeometry | None, dict]]
    crs: str | None  # "EPSG:n", "GCJ02", a WKT string, or None when the file does not say
    crs_source: str = "file"  # file | format | none
    encoding: EncodingGuess | None = None
    layers: list[str] = field(default_factory=list)
    layer: str | None = None
    warnings: list[str] = field(default_factory=list)
    # Per-feature problems found while reading (index -> (code, message)), e.g. bad WKT.
    row_problems: dict[int, tuple[str, str]] = field(default_factory=dict)


class Importer:
    """Base of the format plugins: ``read(path, workdir, options)`` → :class:`SourceLayer`."""

    name = ""
    label = ""
    extensions: tuple[str, ...] = ()
    kind = "vector"

    def read(self, path: Path, workdir: Path, options: ImportOptions) -> SourceLayer:
        """Read ``path`` (extracting into ``workdir`` if needed)."""
        raise NotImplementedError


def plain_value(value):
    """Return a JSON-ready plain value (numpy scalars, NaN, timestamps and bytes normalised)."""
    if value is None:
        return None
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        try:
            value = value.item()
        except (ValueError, AttributeError):
            pass
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0, 0) and value.tzinfo is None:
            return value.date().isoformat()
        return value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, bytes):
        return None
    if hasattr(value, "isoformat"):  # pandas Timestamp
        try:
            return plain_value(value.to_pydatetime())
        except (AttributeError, ValueError):
            return str(value)
    if type(value).__name__ in ("NaTType", "NAType"):
        return None
    return value


_INT = re.compile(r"-?(0|[1-9]\d{0,17})")
_FLOAT = re.compile(r"-?(0|[1-9]\d*)?(\.\d+)?([eE][-+]?\d+)?")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _text_type(values: list[str]) -> str:
    present = [v for v in values if v not in ("", None)]
    if not present:
        return "string"
    if all(_INT.fullmatch(v) for v in present):
        return "integer"
    if all(_FLOAT.fullmatch(v) and any(ch.isdigit() for ch in v) for v in present):
        return "number"
    if all(v.lower() in ("true", "false") for v in present):
        return "boolean"
    if all(_DATE.fullmatch(v) for v in present):
        try:
            for v in present:
                dt.date.fromisoformat(v)
            return "date"
        except ValueError:
            return "string"
    return "string"


def convert_text(value: str | None, kind: str):
    """Convert one text cell to ``kind`` (blank → None)."""
    if value is None or value == "":
        return None
    if kind == "integer":
        return int(value)
    if kind == "number":
        return float(value)
    if kind == "boolean":
        return value.lower() == "true"
    return value


def infer_text_columns(names: list[str], rows: list[list[str]]) -> tuple[list[SourceField], list[dict]]:
    """Infer column types of text rows (CSV, KML without schema) and return typed dicts.

    A column is numeric only when every value is (so codes like ``001`` stay text).
    """
    fields = []
    for i, name in enumerate(names):
        fields.append(SourceField(name, _text_type([r[i] if i < len(r) else "" for r in rows])))
    typed = [{f.name: convert_text(r[i] if i < len(r) else "", f.type) for i, f in enumerate(fields)}
             for r in rows]
    return fields, typed


def infer_value_type(values: list) -> str:
    """Return the field type of native Python values (spreadsheets)."""
    present = [v for v in values if v is not None and v != ""]
    if not present:
        return "string"
    if all(isinstance(v, bool) for v in present):
        return "boolean"
    if all(isinstance(v, int) and not isinstance(v, bool) for v in present):
        return "integer"
    if all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in present):
        return "number"
    if all(isinstance(v, (dt.date, dt.datetime)) for v in present):
        return "date"
    return "string"


def unique_names(names: list[str]) -> list[str]:
    """Return column names made non-empty and unique (``name``, ``name_2``, …)."""
    out: list[str] = []
    for i, raw in enumerate(names):
        base = (str(raw).strip() if raw is not None else "") or f"field_{i + 1}"
        name, n = base, 2
        while name in out:
            name, n = f"{base}_{n}", n + 1
        out.append(name)
    return out
