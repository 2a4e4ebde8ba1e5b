"""Rasters (DEM, land cover, imagery) stored as Cloud-Optimized GeoTIFFs with metadata in the database.

Why files and not PostGIS raster: a COG is the format GDAL, QGIS and
rasterio read fastest (internal tiles and overviews, partial reads), it can be
copied, backed up and opened as is, and keeping large binary tiles out of
PostgreSQL keeps the database small and its backups quick.  Zonal
statistics need only windowed reads of the pixels under each zone, which
rasterio does directly.  The uploaded file is checked and converted in the
isolated parser (:mod:`.safe_parse`); the stored COG is our own output.
"""
from __future__ import annotations

import logging
import re
import shutil
import uuid
import warnings
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO

import numpy as np
from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import Session

from ... import access, storage
from ...config import PROJECT_ROOT
from ...errors import BadParameter, Conflict, Forbidden, NotFound, Unprocessable
from ...importers import safe_parse
from ...models import Raster
from ...spatial import crs as crsmod
from ...spatial import raster as rmath
from ..accounts import audit
from ..features import writes
from .zones import zone_shapes

LOGGER = logging.getLogger(__name__)
OVERLAY_MAX_SIDE = 1024
NAME = re.compile(r"^[a-z][a-z0-9_]{1,62}$")
SAMPLES = (
    ("sample_dem", "示例数字高程模型（DEM）", "dem", "sample_dem.tif", None),
    ("sample_landcover", "示例土地覆盖", "landcover", "sample_landcover.tif", "shifeng"),
)


def path_of(raster: Raster) -> Path:
    """Return the COG file of a raster."""
    return storage.directory("rasters") / raster.file_name


def existing_path(raster: Raster) -> Path:
    """Return the COG file of a raster, or raise 404 ``raster_file_missing`` when it is gone from disk."""
    path = path_of(raster)
    if not path.exists():
        LOGGER.error("raster %s: file %s is missing", raster.name, path)
        raise NotFound(f"栅格 {raster.name} 的文件不存在，请联系管理员",
                       code="raster_file_missing")
    return path


def _check_role(user) -> None:
    if user.role not in access.PLANNERS:
        raise Forbidden("只有规划人员和管理员可以上传栅格",
                        code="forbidden_raster")


def ingest(session: Session, username: str, source: Path, *, name: str, title: str, kind: str,
           crs: str | None = None, scheme: str | None = None, filename: str | None = None) -> Raster:
    """Check ``source`` in the isolated parser, store it as a COG and record it (one transaction)."""
    if not NAME.fullmatch(name or ""):
        raise BadParameter("栅格名须为 2–63 位小写字母、数字或下划线，以字母开头", code="bad_name",
                           details={"field": "name"})
    if session.scalar(select(Raster.id).where(Raster.name == name)) is not None:
        raise Conflict(f"栅格名 {name} 已被使用", code="duplicate", details={"field": "name"})
    if kind == "landcover" and (scheme or "shifeng") not in rmath.LANDCOVER_SCHEMES:
        raise BadParameter("未知的土地覆盖分类方案", code="bad_scheme")
    cfg = current_app.config
    file_name = f"{name}-{uuid.uuid4().hex[:8]}.tif"
    target = storage.directory("rasters") / file_name
    work = storage.directory("imports") / f"raster-{uuid.uuid4().hex}"
    try:
        meta = safe_parse.run("raster", {"source": str(source), "target": str(target), "kind": kind, "crs": crs},
                              work, timeout_s=cfg["PARSE_TIMEOUT_S"], memory_mb=cfg["PARSE_MEMORY_MB"])
        _check_on_district(session, meta["bounds_4326"])
        raster = Raster(name=name, title=title or name, kind=kind, file_name=file_name, crs=meta["crs"],
                        width=meta["width"], height=meta["height"], dtype=meta["dtype"], nodata=meta["nodata"],
                        bounds=meta["bounds"], bounds_4326=meta["bounds_4326"], res=meta["res"],
                        stats={k: meta[k] for k in ("min", "max", "codes") if k in meta},
                        scheme=(scheme or "shifeng") if kind == "landcover" else None,
                        size_bytes=meta["size_bytes"], source_filename=(filename or source.name)[:255],
                        created_by=username)
        session.add(raster)
        session.flush()
        audit.record(session, username=username, action="upload_raster", object_type="raster", object_id=name,
                     after={"title": raster.title, "kind": kind, "crs": raster.crs, "width": raster.width,
                            "height": raster.height, "file": file_name})
        session.commit()
    except BaseException:
        session.rollback()
        safe_parse.cleanup(target)
        raise
    finally:
        safe_parse.cleanup(work)
    LOGGER.info("raster %s stored (%s×%s, %s)", name, raster.width, raster.height, kind)
    return raster


def _check_on_district(session: Session, lonlat: list[float]) -> None:
    box = tuple(lonlat)
    finite = all(np.isfinite(v) for v in box) and -180 <= box[0] <= 180 and -90 <= box[1] <= 90
    warning = crsmod.outside_district_warning(box, writes.district_bounds(session)) if finite else "x"
    if warning:
        raise Unprocessable("栅格不在石峰区范围内：坐标系是否选错？", code="outside_district",
                            details={"bounds": list(box)})


def upload(session: Session, user, filename: str, stream: BinaryIO, *, name: str, title: str, kind: str,
           crs: str | None = None, scheme: str | None = None) -> Raster:
    """Store an uploaded GeoTIFF (planners and admins); nothing is kept when it is refused."""
    _check_role(user)
    if not (filename or "").lower().endswith((".tif", ".tiff")):
        raise BadParameter("请上传 GeoTIFF（.tif）文件", code="unsupported_format")
    scratch = storage.directory("imports") / f"upload-{uuid.uuid4().hex}"
    scratch.mkdir(parents=True)
    try:
        source = scratch / "source.tif"
        with open(source, "wb") as out:
            shutil.copyfileobj(stream, out, 1024 * 1024)
        if source.stat().st_size == 0:
            raise BadParameter("文件为空", code="empty_file")
        return ingest(session, user.username, source, name=name, title=title, kind=kind, crs=crs, scheme=scheme,
                      filename=filename)
    finally:
        safe_parse.cleanup(scratch)


def list_rasters(session: Session) -> list[Raster]:
    """Return the live rasters, newest first."""
    return list(session.scalars(select(Raster).where(Raster.deleted_at.is_(None)).order_by(Raster.id.desc())))


def find(session: Session, name: str) -> Raster | None:
    """Return the raster named ``name``, or None."""
    return session.scalar(select(Raster).where(Raster.name == name))


def get(session: Session, name: str) -> Raster:
    """Return the live raster ``name`` or raise 404."""
    raster = session.scalar(select(Raster).where(Raster.name == name, Raster.deleted_at.is_(None)))
    if raster is None:
        raise NotFound(f"栅格 {name[:63]!r} 不存在", code="unknown_raster")
    return raster


def delete(session: Session, user, name: str) -> None:
    """Hide a raster (admins); the file stays so it can be restored."""
    if user.role != "admin":
        raise Forbidden("只有管理员可以删除栅格")
    raster = get(session, name)
    raster.deleted_at = datetime.now(UTC)
    raster.deleted_by = user.username
    audit.record(session, username=user.username, action="delete", object_type="raster", object_id=name,
                 before={"title": raster.title, "file": raster.file_name})
    session.commit()


def scheme_of(raster: Raster) -> dict:
    """Return the land-cover class scheme of a raster."""
    return rmath.LANDCOVER_SCHEMES.get(raster.scheme or "shifeng", rmath.LANDCOVER_SCHEMES["shifeng"])


def legend(raster: Raster) -> list[dict]:
    """Return the legend entries: classes (land cover) or a colour ramp (DEM)."""
    if raster.kind == "landcover":
        codes = set(raster.stats.get("codes") or [])
        return [{"value": code, "label": zh, "label_en": en, "colour": colour}
                for code, (zh, en, colour, _cat) in scheme_of(raster).items() if not codes or code in codes]
    if raster.kind == "dem":
        return rmath.ramp_legend(raster.stats.get("min", 0.0), raster.stats.get("max", 1.0))
    return []


def overlay_bounds(raster: Raster) -> list[list[float]]:
    """Return [[south, west], [north, east]] of the overlay image (drawn in Web Mercator)."""
    west, south, east, north = crsmod.transform_bounds(
        crsmod.transform_bounds(tuple(raster.bounds), raster.crs, "EPSG:3857"), "EPSG:3857", "EPSG:4326")
    return [[south, west], [north, east]]


def _render(raster: Raster) -> bytes:
    import rasterio
    from rasterio.io import MemoryFile
    from rasterio.warp import Resampling, reproject

    with rasterio.open(existing_path(raster)) as ds:
        box = crsmod.transform_bounds(tuple(ds.bounds), raster.crs, "EPSG:3857")
        scale = max(box[2] - box[0], box[3] - box[1]) / OVERLAY_MAX_SIDE
        width = max(1, int(round((box[2] - box[0]) / scale)))
        height = max(1, int(round((box[3] - box[1]) / scale)))
        transform = rasterio.transform.from_bounds(*box, width, height)
        nodata = ds.nodata if ds.nodata is not None else (0 if raster.kind == "landcover" else -9999)
        dest = np.full((height, width), nodata, dtype=ds.dtypes[0])
        reproject(rasterio.band(ds, 1), dest, dst_transform=transform, dst_crs="EPSG:3857", dst_nodata=nodata,
                  resampling=Resampling.nearest if raster.kind == "landcover" else Resampling.bilinear)
    if raster.kind == "landcover":
        rgba = rmath.classify_rgba(dest, scheme_of(raster), nodata)
    elif raster.kind == "dem":
        rgba = rmath.ramp_rgba(dest, raster.stats.get("min", 0.0), raster.stats.get("max", 1.0), nodata)
    else:
        lo, hi = np.nanpercentile(dest[dest != nodata], [2, 98]) if (dest != nodata).any() else (0, 1)
        rgba = rmath.ramp_rgba(dest, float(lo), float(hi), nodata)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with MemoryFile() as mem:
            with mem.open(driver="PNG", width=width, height=height, count=4, dtype="uint8") as png:
                png.write(np.moveaxis(rgba, 2, 0))
            return mem.read()


def overlay_png(raster: Raster) -> bytes:
    """Return the rendered overlay PNG (cached next to the COG)."""
    cached = existing_path(raster).with_suffix(".overlay.png")
    if not cached.exists():
        data = _render(raster)
        tmp = cached.with_suffix(f".{uuid.uuid4().hex[:6]}.tmp")
        tmp.write_bytes(data)
        tmp.replace(cached)
    return cached.read_bytes()


def as_dict(raster: Raster) -> dict:
    """Return the JSON view of a raster (with overlay bounds and legend)."""
    return {"name": raster.name, "title": raster.title, "kind": raster.kind, "crs": raster.crs,
            "width": raster.width, "height": raster.height, "dtype": raster.dtype, "nodata": raster.nodata,
            "res": raster.res, "bounds_4326": raster.bounds_4326, "stats": raster.stats, "scheme": raster.scheme,
            "size_bytes": raster.size_bytes, "created_by": raster.created_by,
            "created_at": raster.created_at.isoformat() if raster.created_at else None,
            "overlay_bounds": overlay_bounds(raster), "legend": legend(raster)}


def has_rasters(session: Session) -> bool:
    """Tell whether any raster is stored."""
    return session.scalar(select(Raster.id).limit(1)) is not None


def load_samples(session: Session, directory: Path = PROJECT_ROOT / "layers") -> list[str]:
    """Store the synthetic sample DEM and land cover from ``layers/`` (skipping those present)."""
    loaded = []
    for name, title, kind, file_name, scheme in SAMPLES:
        source = directory / file_name
        if not source.exists() or session.scalar(select(Raster.id).where(Raster.name == name)) is not None:
            continue
        ingest(session, "sample-loader", source, name=name, title=title, kind=kind, scheme=scheme,
               filename=file_name)
        loaded.append(name)
    return loaded


def clip_to_zone(session: Session, raster: Raster, zone_code: str) -> tuple[bytes, str]:
    """Return the raster clipped to a zone as GeoTIFF bytes and a file name."""
    import rasterio
    import rasterio.mask
    from rasterio.io import MemoryFile


    shapes = zone_shapes(session, raster.crs, codes=[zone_code])
    if not shapes:
        raise NotFound(f"片区 {zone_code[:40]!r} 不存在", code="unknown_zone")
    geom = shapes[0]["geom"]
    with rasterio.open(existing_path(raster)) as ds:
        if not crsmod.overlaps(geom.bounds, tuple(ds.bounds)):
            raise Conflict("该片区不在栅格范围内", code="zone_outside_raster")
        nodata = ds.nodata if ds.nodata is not None else (0 if raster.kind == "landcover" else -9999)
        data, transform = rasterio.mask.mask(ds, [geom], crop=True, nodata=nodata)
        profile = {**ds.profile, "driver": "GTiff", "height": data.shape[1], "width": data.shape[2],
                   "transform": transform, "nodata": nodata, "compress": "deflate", "tiled": False}
        for key in ("blockxsize", "blockysize", "interleave"):
            profile.pop(key, None)
    with MemoryFile() as mem:
        with mem.open(**profile) as out:
            out.write(data)
        return mem.read(), f"{raster.name}_{zone_code}.tif"
