"""Build a GeoDataFrame from an :class:`ExportLayer` for the GDAL-written formats."""
from __future__ import annotations

import geopandas as gpd
import pandas as pd

from .base import ExportLayer

_DTYPES = {"integer": "Int64", "number": "float64", "boolean": "boolean"}


def to_frame(layer: ExportLayer) -> gpd.GeoDataFrame:
    """Return the layer as a GeoDataFrame with typed columns (nullable integers stay integers)."""
    data = {}
    for fld in layer.fields:
        values = [layer.flat_value(fld, props.get(fld.name)) for _, props in layer.features]
        dtype = _DTYPES.get(fld.type)
        data[fld.name] = pd.Series(values, dtype=dtype) if dtype else pd.Series(values, dtype="object")
    return gpd.GeoDataFrame(data, geometry=[g for g, _ in layer.features], crs=layer.crs)
