"""Warp a stored raster layer onto a map frame with rasterio, ready to draw under the vectors.

Rasters are the ones data exchange stores (:mod:`..exchange.rasters`); a
layer whose file is missing from disk is logged and left out of the map.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field

import numpy as np
from sqlalchemy.orm import Session

from ...db import STORAGE_SRID
from ...models import Raster
from ...spatial import cartography
from ...spatial import raster as rmath
from ..exchange import rasters
from .snapshot_data import LegendEntry

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


def _scheme_colours(raster: Raster, band: np.ndarray, mask: np.ndarray) -> np.ndarray | None:
    """Colour like the web map's raster overlay: land-cover classes, the DEM ramp (None for imagery)."""
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
    raster = rasters.find(session, layer_id)
    if raster is None:
        return None
    path = rasters.path_of(raster)
    if not path.exists():
        LOGGER.error("raster %s: file %s is missing, left out of the map", layer_id, path)
        return None
    import rasterio
    from rasterio.crs import CRS
    from rasterio.transform import from_bounds
    from rasterio.warp import Resampling, reproject

    width = int(min(MAX_RASTER_PX, frame_in[0] * dpi))
    height = max(1, int(round(width * (extent[3] - extent[1]) / (extent[2] - extent[0]))))
    dst_transform = from_bounds(*extent, width, height)
    try:
        with rasterio.open(path) as src:
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
    rgba = _scheme_colours(raster, out[0], mask)
    if rgba is None:
        rgba = _colourise(np.nan_to_num(out), mask)
    legend = [LegendEntry(layer_id, raster.title, raster.title, "polygon",
                          cartography.print_style({"color": "#8c6d31", "fillColor": "#c7b377",
                                                   "fillOpacity": 0.8, "weight": 0.5}, "MultiPolygon"))]
    return RasterData(layer_id, raster.title, rgba, (extent[0], extent[2], extent[1], extent[3]), 0.8, legend)
