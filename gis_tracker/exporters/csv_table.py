"""CSV export: UTF-8 with BOM (Excel shows Chinese correctly), attributes then a WKT geometry column.

Text that a spreadsheet would run as a formula gets a leading apostrophe (:mod:`.cells`).
"""
from __future__ import annotations

import csv
from pathlib import Path

from . import register
from .base import Exporter, ExportLayer
from .cells import csv_text


def cell(value) -> str:
    """Return a cell's text (empty for null; floats in full precision; formula-like text neutralised)."""
    if value is None:
        return ""
    if value is True or value is False:
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value) if isinstance(value, float) else str(value)
    return csv_text(str(value))


class CsvExporter(Exporter):
    """Write a .csv with a ``WKT`` column in the export CRS."""

    name = "csv"
    label = "CSV"
    extension = ".csv"
    media_type = "text/csv; charset=utf-8"

    def write(self, layer: ExportLayer, directory: Path) -> Path:
        """Write header and rows."""
        path = directory / self.filename(layer)
        with open(path, "w", encoding="utf-8-sig", newline="") as fh:
            writer = csv.writer(fh)
            writer.writerow([csv_text(f.name) for f in layer.fields] + ["WKT"])
            for geom, props in layer.features:
                writer.writerow([cell(layer.flat_value(f, props.get(f.name))) for f in layer.fields]
                                + [geom.wkt if geom is not None else ""])
        return path


register(CsvExporter())
