"""The exporter plugin contract: one :class:`Exporter` per file format, found by name."""
from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from pathlib import Path

from shapely.geometry.base import BaseGeometry

LOGGER = logging.getLogger(__name__)


@dataclass(frozen=True)
class ExportField:
    """A column of an exported layer: name, type and Chinese label."""

    name: str
    type: str
    label: str = ""


@dataclass
class ExportLayer:
    """Features ready to write: geometries in ``crs`` (x = lon/easting) and plain attribute values."""

    name: str
    title: str
    fields: list[ExportField]
    features: list[tuple[BaseGeometry | None, dict]]
    crs: str  # "EPSG:4326" | "EPSG:4490" | "EPSG:4547"
    label_field: str | None = None
    notes: list[str] = field(default_factory=list)

    def flat_value(self, fld: ExportField, value):
        """Return a value fit for flat formats (objects as JSON text)."""
        if isinstance(value, (dict, list)):
            return json.dumps(value, ensure_ascii=False)
        return value


class ExportProblem(ValueError):
    """A layer that cannot be written in a format (e.g. mixed geometry types in a Shapefile)."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


class Exporter:
    """Base of the format plugins: ``write(layer, directory)`` → the written file."""

    name = ""
    label = ""
    extension = ""
    media_type = "application/octet-stream"

    def write(self, layer: ExportLayer, directory: Path) -> Path:
        """Write ``layer`` into ``directory`` and return the file to send."""
        raise NotImplementedError

    def filename(self, layer: ExportLayer) -> str:
        """Return the download file name."""
        return f"{layer.name}{self.extension}"
