"""GeoTIFF rasters (DEM, land cover, imagery): header checks, then conversion to a Cloud-Optimized GeoTIFF.

Before GDAL sees the file, its first bytes must be a TIFF signature (so a
".tif" holding VRT XML is refused) and the image size is read from the TIFF
directory itself, so a header claiming 100,000 × 100,000 pixels is refused
without allocating anything.  GDAL then opens it with the GTiff driver only.
"""
from __future__ import annotations

import logging
import struct
from pathlib import Path

import numpy as np

from ..spatial.crs import code_of, normalise
from . import register
from .archives import check_local_path
from .base import Importer, ImportOptions, ParseProblem, SourceLayer

LOGGER = logging.getLogger(__name__)
MAX_SIDE = 40_000
MAX_PIXELS = 400_000_000
RASTER_KINDS = ("dem", "landcover", "imagery")
_TYPE_SIZES = {3: 2, 4: 4, 16: 8}


def tiff_size(path: Path) -> tuple[int, int]:
    """Return (width, height) from the first TIFF directory; raise ParseProblem when not a TIFF."""
    with open(path, "rb") as fh:
        head = fh.read(16)
        if head[:2] not in (b"II", b"MM"):
            raise ParseProblem("not_geotiff", "文件不是 GeoTIFF（文件头不符，可能是改了扩展名的 VRT/XML）")
        end = "<" if head[:2] == b"II" else ">"
        magic = struct.unpack(end + "H", head[2:4])[0]
        try:
            if magic == 42:
                fh.seek(struct.unpack(end + "I", head[4:8])[0])
                count = struct.unpack(end + "H", fh.read(2))[0]
                entries = [fh.read(12) for _ in range(min(count, 512))]
                parsed = [(struct.unpack(end + "HHI", e[:8]), e[8:12]) for e in entries]
            elif magic == 43:
                fh.seek(struct.unpack(end + "Q", head[8:16])[0])
                count = struct.unpack(end + "Q", fh.read(8))[0]
                entries = [fh.read(20) for _ in range(min(count, 512))]
                parsed = [(struct.unpack(end + "HHQ", e[:12]), e[12:20]) for e in entries]
            else:
                raise ParseProblem("not_geotiff", "文件不是 GeoTIFF")
        except struct.error:
            raise ParseProblem("unreadable_file", "GeoTIFF 文件头损坏或被截断") from None
    size = {}
    for (tag, kind, _count), value in parsed:
        if tag in (256, 257) and kind in _TYPE_SIZES:
            fmt = {3: "H", 4: "I", 16: "Q"}[kind]
            size[tag] = struct.unpack(end + fmt, value[:_TYPE_SIZES[kind]])[0]
    if 256 not in size or 257 not in size:
        raise ParseProblem("unreadable_file", "GeoTIFF 缺少图像尺寸")
    return size[256], size[257]


def check_size(width: int, height: int, max_side: int = MAX_SIDE, max_pixels: int = MAX_PIXELS) -> None:
    """Refuse rasters larger than the limits (a decompression bomb in disguise)."""
    if width <= 0 or height <= 0 or width > max_side or height > max_side or width * height > max_pixels:
        raise ParseProblem("raster_too_large",
                           f"栅格尺寸 {width} × {height} 像素超过上限（单边 {max_side}，总计 {max_pixels:,}）")


def _summary(ds, kind: str) -> dict:
    scale = max(1, int(np.ceil(max(ds.width, ds.height) / 1024)))
    data = ds.read(1, out_shape=(max(1, ds.height // scale), max(1, ds.width // scale)), masked=True)
    out: dict = {}
    if kind == "dem" and data.count():
        out["min"], out["max"] = float(data.min()), float(data.max())
    if kind == "landcover":
        out["codes"] = [int(v) for v in np.unique(data.compressed())[:256]]
    return out


def ingest(source: str, target: str, kind: str = "imagery", crs: str | None = None,
           max_side: int = MAX_SIDE, max_pixels: int = MAX_PIXELS) -> dict:
    """Check ``source`` and write it to ``target`` as a COG; return its metadata (runs in the child)."""
    import rasterio
    import rasterio.crs
    import rasterio.shutil
    from rasterio.errors import RasterioIOError
    from rasterio.warp import transform_bounds

    src_path = Path(source)
    check_local_path(src_path)
    width, height = tiff_size(src_path)
    check_size(width, height, max_side, max_pixels)
    if kind not in RASTER_KINDS:
        raise ParseProblem("bad_kind", f"栅格类型必须是 {', '.join(RASTER_KINDS)}", 400)
    try:
        with rasterio.open(src_path, driver="GTiff") as ds:
            check_size(ds.width, ds.height, max_side, max_pixels)
            code = normalise(crs) if crs else (code_of(ds.crs) or ds.crs.to_wkt() if ds.crs else None)
            if code is None:
                raise ParseProblem("crs_required", "GeoTIFF 未声明坐标系，请指定")
            if code == "GCJ02":
                raise ParseProblem("bad_crs", "栅格不支持 GCJ-02", 400)
            if kind == "landcover" and ds.dtypes[0] not in ("uint8", "int8", "uint16", "int16", "int32", "uint32"):
                raise ParseProblem("bad_landcover", "土地覆盖栅格必须是整数分类值")
            source_crs = rasterio.crs.CRS.from_user_input(code)
            lonlat = list(transform_bounds(source_crs, "EPSG:4326", *ds.bounds))
            meta = {"width": ds.width, "height": ds.height, "count": ds.count, "dtype": ds.dtypes[0],
                    "crs": code, "bounds": list(ds.bounds), "bounds_4326": lonlat, "res": list(ds.res),
                    "nodata": ds.nodata, **_summary(ds, kind)}
            resampling = "NEAREST" if kind == "landcover" else ("BILINEAR" if kind == "dem" else "AVERAGE")
            options = {"COMPRESS": "DEFLATE", "BLOCKSIZE": 256, "OVERVIEW_RESAMPLING": resampling}
            if ds.crs == source_crs:
                rasterio.shutil.copy(ds, target, driver="COG", **options)
            else:  # the user named the CRS: write it into an intermediate GeoTIFF first
                staged = Path(target).with_suffix(".staged.tif")
                try:
                    profile = {**ds.profile, "driver": "GTiff", "crs": source_crs}
                    with rasterio.open(staged, "w", **profile) as out:
                        for _, window in ds.block_windows(1):
                            out.write(ds.read(window=window), window=window)
                    rasterio.shutil.copy(staged, target, driver="COG", **options)
                finally:
                    staged.unlink(missing_ok=True)
    except RasterioIOError as exc:
        raise ParseProblem("unreadable_file", f"GeoTIFF 无法读取（损坏或被截断？）：{str(exc)[:120]}") from None
    meta["size_bytes"] = Path(target).stat().st_size
    return meta


class GeoTiffImporter(Importer):
    """GeoTIFF rasters: stored as COGs by ``services/rasters`` (not as features)."""

    name = "geotiff"
    label = "GeoTIFF"
    extensions = (".tif", ".tiff")
    kind = "raster"

    def read(self, path: Path, workdir: Path, options: ImportOptions) -> SourceLayer:
        """Rasters are not read as features."""
        raise ParseProblem("raster_not_vector", "GeoTIFF 是栅格，请在“栅格”页面上传", 400)


register(GeoTiffImporter())
