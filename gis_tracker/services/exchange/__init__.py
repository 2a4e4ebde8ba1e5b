"""Data exchange: imports (preview → commit), layer exports, rasters and zonal indicators."""
