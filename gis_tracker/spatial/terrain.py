"""Terrain under a footprint: how steep the DEM is inside a polygon (for the restoration proposal).

Pure functions on numpy arrays and affine transforms.  Small footprints on a coarse DEM are measured on
every pixel they touch (not only pixels whose centre lies inside), so a project never escapes the check by
being smaller than a pixel.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from affine import Affine
from rasterio import features as rio_features
from shapely.geometry.base import BaseGeometry

from .raster import slope_degrees


@dataclass(frozen=True)
class Steepness:
    """The steepest slope (degrees) under a footprint and the share (%) of it above a threshold."""

    max_slope_deg: float | None
    steep_share_pct: float | None
    pixels: int


def touched_mask(geom: BaseGeometry, transform: Affine, shape: tuple[int, int]) -> np.ndarray:
    """Return True for every pixel the polygon touches."""
    if geom.is_empty:
        return np.zeros(shape, dtype=bool)
    return rio_features.geometry_mask([geom], out_shape=shape, transform=transform, invert=True, all_touched=True)


def steepness(dem: np.ndarray, inside: np.ndarray, nodata, xres_m: float, yres_m: float,
              threshold_deg: float) -> Steepness:
    """Return the slope statistics of the DEM pixels ``inside`` (nodata and non-finite values excluded)."""
    data = dem.astype("float64")
    valid = inside & np.isfinite(data)
    if nodata is not None:
        valid &= dem != nodata
        data = np.where(dem != nodata, data, np.nan)
    if not valid.any():
        return Steepness(None, None, 0)
    filled = np.where(np.isfinite(data), data, np.nanmean(data[valid]))
    slope = slope_degrees(filled, xres_m, yres_m)[valid]
    return Steepness(round(float(slope.max()), 2), round(100.0 * float((slope > threshold_deg).mean()), 2),
                     int(valid.sum()))
