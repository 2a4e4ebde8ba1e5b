"""Excel export: one sheet of attributes with a WKT column, and a sheet describing fields and CRS.

Formula-like text is written as text cells, never as formulas (:mod:`.cells`).
"""
from __future__ import annotations

from pathlib import Path

from openpyxl import Workbook

from . import register
from .base import Exporter, ExportLayer
from .cells import append_row

MAX_CELL = 32767


class XlsxExporter(Exporter):
    """Write a .xlsx (geometries longer than Excel's cell limit are refused per cell with a note)."""

    name = "xlsx"
    label = "Excel (.xlsx)"
    extension = ".xlsx"
    media_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

    def write(self, layer: ExportLayer, directory: Path) -> Path:
        """Write the data sheet and the description sheet."""
        book = Workbook()
        sheet = book.active
        sheet.title = "data"
        append_row(sheet, [f.name for f in layer.fields] + ["WKT"])
        too_long = 0
        for geom, props in layer.features:
            wkt = geom.wkt if geom is not None else None
            if wkt and len(wkt) > MAX_CELL:
                wkt, too_long = None, too_long + 1
            append_row(sheet, [layer.flat_value(f, props.get(f.name)) for f in layer.fields] + [wkt])
        about = book.create_sheet("说明")
        append_row(about, ["图层 layer", layer.name, layer.title])  # a title is user text too
        append_row(about, ["坐标系 CRS", layer.crs])
        about.append([])
        append_row(about, ["字段 field", "类型 type", "标题 label"])
        for f in layer.fields:
            append_row(about, [f.name, f.type, f.label])
        if too_long:
            note = f"{too_long} 个要素的几何超过 Excel 单元格上限，未写入"
            layer.notes.append(note)
            append_row(about, [note])
        path = directory / self.filename(layer)
        book.save(path)
        return path


register(XlsxExporter())
