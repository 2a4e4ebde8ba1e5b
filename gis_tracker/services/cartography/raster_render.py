"""Warp a stored raster layer onto a map frame with rasterio, ready to draw under the vectors.

Raster layers are optional (another subsystem stores them); when none are
recorded, :func:`load` returns None and the snapshot simply has no raster.
"""
from __future__ import annotations

import importlib
import logging
from dataclasses import dataclass, field

import numpy as np
from sqlalchemy.orm import Session

from ...db import STORAGE_SRID
from ...spatial import cartography
from . import optional_sources

LOGGER = logging.getLogger(__name__)
MAX_RASTER_PX = 2400
"""Rasters are resampled to at most this many pixels across: finer than that is invisible in print."""


@dataclass
class RasterData:
    """A raster warped to the frame: RGBA pixels over ``extent`` (EPSG:4547)."""

    id: str
    title: str
    rgba: np.ndarray
    extent: tuple[float, float, float, float]  # left, right, bottom, top (matplotlib imshow order)
    opacity: float = 0.8
    legend: list = field(default_factory=list)


def _colourise(bands: np.ndarray, nodata_mask: np.ndarray) -> np.ndarray:
    from matplotlib import colormaps

    if bands.shape[0] >= 3:
        rgb = bands[:3].astype("float64")
        lo, hi = np.nanpercentile(rgb[:, ~nodata_mask], [2, 98]) if (~nodata_mask).any() else (0, 1)
        rgb = np.clip((rgb - lo) / max(hi - lo, 1e-9), 0, 1)
        rgba = np.dstack([rgb[0], rgb[1], rgb[2], np.ones(rgb.shape[1:])])
    else:
        band = bands[0].astype("float64")
        valid = band[~nodata_mask]
        lo, hi = (float(valid.min()), float(valid.max())) if valid.size else (0.0, 1.0)
        rgba = colormaps["terrain"]((band - lo) / max(hi - lo, 1e-9))
    rgba[nodata_mask, 3] = 0.0
    return rgba


def _scheme_colours(session: Session, layer_id: str, band: np.ndarray, mask: np.ndarray) -> np.ndarray | None:
    """Colour like the web map's raster overlay (land-cover classes, DEM ramp) when that service exists."""
    try:
        rasters = importlib.import_module("gis_tracker.services.exchange.rasters")
        rmath = importlib.import_module("gis_tracker.spatial.raster")
        raster = rasters.get(session, layer_id)
    except Exception:  # noqa: BLE001 - no data-exchange rasters: fall back to a generic ramp
        return None
    values = np.where(mask, 0, band)
    if raster.kind == "landcover":
        rgba = rmath.classify_rgba(values.astype("int64"), rasters.scheme_of(raster), 0)
    elif raster.kind == "dem":
        rgba = rmath.ramp_rgba(values, raster.stats.get("min", 0.0), raster.stats.get("max", 1.0), -9999)
    else:
        return None
    rgba = rgba.astype("float64") / 255.0
    rgba[mask, 3] = 0.0
    return rgba


def load(session: Session, layer_id: str, extent: cartography.Bbox, frame_in: tuple[float, float],
         dpi: float) -> RasterData | None:
    """Return raster ``layer_id`` warped onto ``extent`` at the frame's resolution, or None."""
    source = next((r for r in optional_sources.raster_sources(session) if r.id == layer_id), None)
    if source is None:
        return None
    import rasterio
    from rasterio.crs import CRS
    from rasterio.transform import from_bounds
    from rasterio.warp import Resampling, reproject

    width = int(min(MAX_RASTER_PX, frame_in[0] * dpi))
    height = max(1, int(round(width * (extent[3] - extent[1]) / (extent[2] - extent[0]))))
    dst_transform = from_bounds(*extent, width, height)
    try:
        with rasterio.open(source.path) as src:
            count = min(src.count, 3)
            out = np.zeros((count, height, width), dtype="float64")
            nodata = src.nodata if src.nodata is not None else np.nan
            for b in range(count):
                reproject(rasterio.band(src, b + 1), out[b], dst_transform=dst_transform,
                          dst_crs=CRS.from_epsg(STORAGE_SRID), dst_nodata=np.nan, src_nodata=nodata,
                          resampling=Resampling.nearest)
    except (OSError, rasterio.errors.RasterioError) as exc:
        LOGGER.warning("raster %s could not be read: %s", layer_id, exc)
        return None
    mask = np.isnan(out).any(axis=0)
    rgba = _scheme_colours(session, layer_id, out[0], mask)
    if rgba is None:
        rgba = _colourise(np.nan_to_num(out), mask)
    from .snapshot_data import LegendEntry

    legend = [LegendEntry(layer_id, source.title, source.title, "polygon",
                          cartography.print_style({"color": "#8c6d31", "fillColor": "#c7b377",
                                                   "fillOpacity": 0.8, "weight": 0.5}, "MultiPolygon"))]
    return RasterData(layer_id, source.title, rgba, (extent[0], extent[2], extent[1], extent[3]), 0.8, legend)
