"""Excel workbooks (.xlsx) with lon/lat (x/y) or WKT columns; choose the sheet."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

from ..spatial import encoding as enc
from . import register
from .archives import check_archive
from .base import (
    Importer,
    ImportOptions,
    ParseProblem,
    SourceField,
    SourceLayer,
    infer_value_type,
    plain_value,
    unique_names,
)
from .table_geometry import geometry_columns, read_geometry

MAX_ROWS = 1_000_000


class XlsxImporter(Importer):
    """Read the first (or chosen) sheet: header row, then one feature per row; the CRS must be given."""

    name = "xlsx"
    label = "Excel (.xlsx)"
    extensions = (".xlsx",)

    def read(self, path: Path, workdir: Path, options: ImportOptions) -> SourceLayer:
        """Check the zip container, read cell values, find geometry columns."""
        check_archive(path)
        import openpyxl  # uses defusedxml for the sheet XML when it is installed
        try:
            book = openpyxl.load_workbook(path, read_only=True, data_only=True)
        except Exception:  # noqa: BLE001 - openpyxl raises many types for damaged files
            raise ParseProblem("unreadable_file", "Excel 文件无法读取") from None
        sheets = list(book.sheetnames)
        sheet = book[options.layer] if options.layer in sheets else book[sheets[0]]
        rows = []
        for i, row in enumerate(sheet.iter_rows(values_only=True)):
            if i > MAX_ROWS:
                raise ParseProblem("too_many_rows", f"行数超过 {MAX_ROWS}")
            if any(v not in (None, "") for v in row):
                rows.append(list(row))
        book.close()
        if not rows:
            raise ParseProblem("empty_file", "工作表为空")
        names = unique_names([str(v) if v is not None else "" for v in rows[0]])
        wkt, x, y = geometry_columns(names, options)
        geo_cols = {c for c in (wkt, x, y) if c}
        body = [dict(zip(names, r + [None] * (len(names) - len(r)))) for r in rows[1:]]
        fields = [SourceField(n, infer_value_type([r[n] for r in body])) for n in names if n not in geo_cols]
        layer = SourceLayer(fields=fields, features=[], crs=None, crs_source="none", layers=sheets,
                            layer=sheet.title)
        for index, row in enumerate(body):
            geom, problem = read_geometry(row, wkt, x, y)
            if problem:
                layer.row_problems[index] = problem
            props = {}
            for f in fields:
                value = row[f.name]
                if f.type == "date" and isinstance(value, dt.datetime) and value.time() == dt.time(0):
                    value = value.date()
                props[f.name] = plain_value(value)
            layer.features.append((geom, props))
        layer.encoding = enc.EncodingGuess("utf-8", "format", tuple(enc.chinese_samples(
            v for r in body[:200] for v in r.values())))
        return layer


register(XlsxImporter())
