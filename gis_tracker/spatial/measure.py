"""Areas and lengths in metric units, and the Chinese land unit 亩."""
from __future__ import annotations

from functools import lru_cache

import shapely
from pyproj import CRS, Transformer
from shapely.geometry.base import BaseGeometry

SQUARE_METRES_PER_MU = 10000 / 15
"""1 亩 = 10000/15 m² ≈ 666.67 m² (so 1 km² = 1500 亩)."""

ACCEPTED_INPUT_SRIDS = (4326, 4490, 4547)
"""CRSs accepted for input: WGS84, CGCS2000 geographic, CGCS2000 / 3-degree GK CM 114E."""


def m2_to_mu(square_metres: float) -> float:
    """Convert square metres to 亩."""
    return square_metres / SQUARE_METRES_PER_MU


@lru_cache(maxsize=32)
def _transformer(source: int, target: int) -> Transformer:
    return Transformer.from_crs(CRS.from_epsg(source), CRS.from_epsg(target), always_xy=True)


def reproject(geom: BaseGeometry, source: int, target: int) -> BaseGeometry:
    """Reproject a shapely geometry between EPSG codes (x = lon/easting, y = lat/northing)."""
    if source == target:
        return geom
    return shapely.transform(geom, _transformer(source, target).transform, interleaved=False)


def area_m2(geom: BaseGeometry, srid: int) -> float:
    """Return the area in m² of a geometry given in ``srid``, measured in EPSG:4547."""
    return reproject(geom, srid, 4547).area
