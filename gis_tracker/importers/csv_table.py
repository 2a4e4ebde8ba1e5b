"""CSV with lon/lat (x/y) or WKT columns; UTF-8 (with or without BOM) or GBK/GB18030."""
from __future__ import annotations

import csv
import io
from pathlib import Path

from ..spatial import encoding as enc
from . import register
from .base import Importer, ImportOptions, ParseProblem, SourceLayer, infer_text_columns, unique_names
from .table_geometry import geometry_columns, read_geometry

MAX_CSV_BYTES = 512 * 1024 * 1024
csv.field_size_limit(64 * 1024 * 1024)


class CsvImporter(Importer):
    """Read a delimited text table; the CRS must be given (a CSV does not say)."""

    name = "csv"
    label = "CSV"
    extensions = (".csv", ".txt", ".tsv")

    def read(self, path: Path, workdir: Path, options: ImportOptions) -> SourceLayer:
        """Decode, sniff the delimiter, find geometry columns and type the others."""
        raw = path.read_bytes()
        if b"\x00" in raw[:4096]:
            raise ParseProblem("wrong_format", "文件不是文本表格（CSV）")
        if options.encoding:
            codec = enc.codec_name(options.encoding)
            if codec is None:
                raise ParseProblem("bad_encoding", "未知编码", 400)
            text, codec = raw.decode(codec, "replace").lstrip("\ufeff"), codec
            source = "user"
        else:
            try:
                text, codec = enc.decode_text(raw)
            except UnicodeDecodeError:
                raise ParseProblem("unknown_encoding", "无法识别文件编码（既不是 UTF-8 也不是 GBK）") from None
            source = "detected"
        sample = text[:8192]
        delimiter = max(",;\t|", key=sample.split("\n", 1)[0].count)
        rows = list(csv.reader(io.StringIO(text), delimiter=delimiter))
        rows = [r for r in rows if any(cell.strip() for cell in r)]
        if not rows:
            raise ParseProblem("empty_file", "CSV 文件为空")
        names = unique_names(rows[0])
        wkt, x, y = geometry_columns(names, options)
        geo_cols = {c for c in (wkt, x, y) if c}
        keep = [i for i, n in enumerate(names) if n not in geo_cols]
        body = rows[1:]
        fields, typed = infer_text_columns([names[i] for i in keep], [[r[i] if i < len(r) else "" for i in keep]
                                                                       for r in body])
        layer = SourceLayer(fields=fields, features=[], crs=None, crs_source="none",
                            encoding=enc.EncodingGuess(codec, source, tuple(enc.chinese_samples(
                                cell for r in body[:200] for cell in r))))
        for index, (row, props) in enumerate(zip(body, typed)):
            cells = {n: (row[i] if i < len(row) else "") for i, n in enumerate(names)}
            geom, problem = read_geometry(cells, wkt, x, y)
            if problem:
                layer.row_problems[index] = problem
            layer.features.append((geom, props))
        return layer


register(CsvImporter())
