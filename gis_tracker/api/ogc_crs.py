"""OGC API – Features Part 2: the CRSs we serve, their URIs and axis order.

CRS84 is lon/lat.  EPSG:4326 and EPSG:4490 are defined latitude first, and
EPSG:4547 northing first, so coordinates in those CRSs are served (and
``bbox`` values read) in that order, as the standard requires.
"""
from __future__ import annotations

from dataclasses import dataclass

from ..errors import BadParameter

CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
EPSG_URI = "http://www.opengis.net/def/crs/EPSG/0/{}"


@dataclass(frozen=True)
class ServedCrs:
    """A CRS clients may ask for with ``crs`` / ``bbox-crs``."""

    uri: str
    srid: int
    north_first: bool  # axis order: latitude/northing first
    decimals: int  # 7 decimals of a degree ≈ 1 cm; 3 decimals of a metre = 1 mm


SERVED = {
    CRS84: ServedCrs(CRS84, 4326, False, 7),
    EPSG_URI.format(4326): ServedCrs(EPSG_URI.format(4326), 4326, True, 7),
    EPSG_URI.format(4490): ServedCrs(EPSG_URI.format(4490), 4490, True, 7),
    EPSG_URI.format(4547): ServedCrs(EPSG_URI.format(4547), 4547, True, 3),
}
DEFAULT = SERVED[CRS84]


def parse_crs(raw: str | None, parameter: str = "crs") -> ServedCrs:
    """Return the served CRS named by ``raw`` (a URI, or a short form like EPSG:4547)."""
    if not raw:
        return DEFAULT
    value = raw.strip().strip("[]<>").strip()
    upper = value.upper()
    if upper.startswith("EPSG:"):
        value = EPSG_URI.format(value[5:])
    elif upper.startswith("URN:OGC:DEF:CRS:EPSG:"):  # urn:ogc:def:crs:EPSG::4547 (GeoJSON 2008 "crs")
        value = EPSG_URI.format(value.rsplit(":", 1)[-1])
    if upper in ("CRS84", "OGC:CRS84", "URN:OGC:DEF:CRS:OGC:1.3:CRS84", "URN:OGC:DEF:CRS:OGC::CRS84"):
        value = CRS84
    found = SERVED.get(value)
    if found is None:
        raise BadParameter(
            f"不支持的坐标系 {raw[:80]!r}；可选：{', '.join(SERVED)}",
            code="bad_crs", details={"parameter": parameter})
    return found


def served_uris() -> list[str]:
    """Return the URIs of every CRS we serve."""
    return list(SERVED)
