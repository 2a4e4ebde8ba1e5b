"""Zipped ESRI Shapefile (.shp/.shx/.dbf with .prj and .cpg): encoding and CRS handled explicitly."""
from __future__ import annotations

import logging
from pathlib import Path

from ..spatial import encoding as enc
from . import register
from .archives import check_archive, extract_archive
from .base import Importer, ImportOptions, ParseProblem, SourceLayer
from .vector_io import check_magic, read_layer

LOGGER = logging.getLogger(__name__)
SHP_MAGIC = (b"\x00\x00\x27\x0a",)


def _sibling(shp: Path, ext: str) -> Path | None:
    for candidate in shp.parent.iterdir():
        if candidate.stem == shp.stem and candidate.suffix.lower() == ext:
            return candidate
    return None


def check_length(shp: Path) -> None:
    """Refuse a .shp shorter than its header says (a truncated upload or copy)."""
    with open(shp, "rb") as fh:
        head = fh.read(28)
    declared = int.from_bytes(head[24:28], "big") * 2 if len(head) == 28 else 0
    if len(head) < 28 or shp.stat().st_size < declared:
        raise ParseProblem("truncated_file", f".shp 文件被截断（应为 {declared} 字节，实际 {shp.stat().st_size} 字节）")


class ShapefileImporter(Importer):
    """Read a .zip holding one or more Shapefiles (choose one by name)."""

    name = "shapefile"
    label = "Shapefile (.zip)"
    extensions = (".zip", ".shz", ".shp.zip")

    def read(self, path: Path, workdir: Path, options: ImportOptions) -> SourceLayer:
        """Check and extract the archive, pick the layer, decide the encoding, read it."""
        members = check_archive(path)
        extract_archive(path, workdir / "extract", members)
        shps = sorted(p for p in (workdir / "extract").rglob("*") if p.suffix.lower() == ".shp" and p.is_file())
        if not shps:
            raise ParseProblem("no_shapefile", "压缩包中没有 .shp 文件")
        names = [p.stem for p in shps]
        shp = shps[names.index(options.layer)] if options.layer in names else shps[0]
        check_magic(shp, SHP_MAGIC, "Shapefile")
        check_length(shp)
        dbf = _sibling(shp, ".dbf")
        if _sibling(shp, ".shx") is None or dbf is None:
            raise ParseProblem("incomplete_shapefile", "Shapefile 不完整：缺少 .shx 或 .dbf")
        chosen = enc.codec_name(options.encoding) if options.encoding else None
        if options.encoding and chosen is None:
            raise ParseProblem("bad_encoding", f"未知编码 {options.encoding[:30]!r}", 400)
        guess = enc.guess_dbf(dbf, _sibling(shp, ".cpg"), chosen)
        layer = read_layer(shp, "ESRI Shapefile", encoding=guess.encoding)
        if _sibling(shp, ".prj") is None:
            layer.crs, layer.crs_source = None, "none"
        layer.encoding = guess
        layer.layers = names
        layer.layer = shp.stem
        return layer


register(ShapefileImporter())
