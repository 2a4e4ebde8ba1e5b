"""Read a GDAL vector dataset (Shapefile, GeoPackage, GeoJSON) into a :class:`SourceLayer` with pyogrio.

Only the expected driver is accepted for each format: the file's leading
bytes are checked before GDAL opens it, and the driver GDAL picked is checked
again, so a renamed VRT or other surprise never gets read.
"""
from __future__ import annotations

import logging
from pathlib import Path

import pyogrio
from pyogrio.errors import DataLayerError, DataSourceError

from ..spatial.crs import code_of
from .archives import check_local_path
from .base import ParseProblem, SourceField, SourceLayer, plain_value

LOGGER = logging.getLogger(__name__)

_DTYPE_TYPES = {"int": "integer", "uint": "integer", "float": "number", "bool": "boolean", "datetime64": "date"}


def _field_type(dtype) -> str:
    name = str(dtype)
    for prefix, kind in _DTYPE_TYPES.items():
        if name.startswith(prefix):
            return kind
    return "string"


def check_magic(path: Path, expected: tuple[bytes, ...], label: str) -> None:
    """Refuse a file whose first bytes are not those of ``label`` (e.g. a renamed VRT)."""
    with open(path, "rb") as fh:
        head = fh.read(64)
    if not any(head.lstrip().startswith(m) if m in (b"{", b"<") else head.startswith(m) for m in expected):
        raise ParseProblem("wrong_format", f"文件内容不是 {label} 格式")


def read_layer(path: Path, driver: str, layer: str | None = None, encoding: str | None = None) -> SourceLayer:
    """Read one layer of ``path`` with pyogrio, refusing any driver but ``driver``."""
    check_local_path(path)
    try:
        info = pyogrio.read_info(path, layer=layer, encoding=encoding)
    except (DataSourceError, DataLayerError) as exc:
        raise ParseProblem("unreadable_file", f"文件无法读取（损坏或被截断？）：{str(exc)[:160]}") from None
    if info.get("driver") != driver:
        raise ParseProblem("wrong_format", f"文件格式与扩展名不符（{info.get('driver')}）")
    try:
        frame = pyogrio.read_dataframe(path, layer=layer, encoding=encoding)
    except (DataSourceError, DataLayerError, UnicodeDecodeError, ValueError) as exc:
        raise ParseProblem("unreadable_file", f"文件无法读取（损坏或被截断？）：{str(exc)[:160]}") from None
    geom_name = frame.geometry.name if hasattr(frame, "geometry") else None
    columns = [c for c in frame.columns if c != geom_name]
    fields = [SourceField(str(c), _field_type(frame[c].dtype)) for c in columns]
    features = []
    geoms = list(frame.geometry) if geom_name else [None] * len(frame)
    for geom, values in zip(geoms, frame[columns].itertuples(index=False, name=None)):
        props = {f.name: plain_value(v) for f, v in zip(fields, values)}
        features.append((geom, props))
    crs = None
    if frame.crs is not None:
        crs = code_of(frame.crs) or frame.crs.to_wkt()
    return SourceLayer(fields=fields, features=features, crs=crs, crs_source="file" if crs else "none",
                       layer=info.get("layer_name"))
