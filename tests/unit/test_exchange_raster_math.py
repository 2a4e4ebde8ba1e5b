"""Zonal statistics and plan indicators on tiny synthetic rasters with hand-computable answers."""
from __future__ import annotations

import math
from types import SimpleNamespace

import numpy as np
import pytest
import rasterio
from rasterio.transform import from_origin
from shapely.geometry import box

from gis_tracker.services.exchange import zonal
from gis_tracker.spatial import raster as rmath

# 10 × 10 pixels of 10 m, top-left at (1000, 2100): x 1000..1100, y 2000..2100.
TRANSFORM = from_origin(1000, 2100, 10, 10)


def _landcover() -> np.ndarray:
    cover = np.full((10, 10), 4, dtype="uint8")  # built-up
    cover[:, :4] = 1  # forest: the 4 western columns
    cover[:2, 4:] = 3  # water: the top 2 rows of the rest
    cover[8:, 4:6] = 2  # green: a 2 × 2 park
    cover[9, 9] = 0  # one nodata pixel
    return cover


def test_zone_mask_uses_pixel_centres():
    inside = rmath.zone_mask(box(1000, 2050, 1050, 2100), TRANSFORM, (10, 10))  # top-left quarter
    assert inside.sum() == 25 and inside[:5, :5].all()


def test_landcover_areas_and_shares_by_hand():
    cover = _landcover()
    inside = np.ones((10, 10), dtype=bool)
    areas = rmath.class_areas(cover, inside, 0, 100.0)  # 100 m² per pixel
    # forest 4×10 = 40 px; water 2×6 = 12; green 2×2 = 4; built 100 − 40 − 12 − 4 − 1 nodata = 43
    assert areas == {1: 4000.0, 2: 400.0, 3: 1200.0, 4: 4300.0}
    cats = rmath.category_areas(areas, rmath.LANDCOVER_SCHEMES["shifeng"])
    shares = rmath.landcover_shares(cats)
    assert shares["forest_cover"] == round(100 * 40 / 99, 2)
    # 建成区 = built-up + green space (43 + 4 px): both green-cover figures are of it, not of all land.
    assert shares["builtup_green_cover"] == round(100 * 4 / 47, 2)
    assert shares["green_space_ratio"] == round(100 * 4 / 47, 2)
    assert shares["built_up_m2"] == 4700.0
    assert rmath.green_per_capita(cats["green"], 20) == 20.0


def test_dem_mean_elevation_and_slope_of_a_plane():
    xs = np.arange(10) * 10.0
    dem = np.tile(100.0 + 0.1 * xs, (10, 1))  # rises 1 m per 10 m eastwards
    inside = np.zeros((10, 10), dtype=bool)
    inside[:, :5] = True
    stats = rmath.dem_stats(dem, inside, None, 10.0, 10.0)
    assert stats["mean_elevation"] == pytest.approx(100.0 + 0.1 * np.mean(xs[:5]))  # 102.0
    assert stats["mean_slope"] == pytest.approx(math.degrees(math.atan(0.1)), abs=0.01)  # 5.71°


def test_plan_targets_are_compared():
    rows = {r["key"]: r for r in rmath.compare_targets({"forest_cover": 60.0, "builtup_green_cover": 40.0,
                                                         "green_space_ratio": None, "green_per_capita": 14.0})}
    assert rows["forest_cover"]["met"] is True and rows["forest_cover"]["target"] == 55.0
    assert rows["builtup_green_cover"]["met"] is False
    assert rows["green_space_ratio"]["met"] is None
    assert rows["green_per_capita"]["met"] is True and rows["green_per_capita"]["unit"] == "m²"
    assert "central_city_green_cover" not in rows  # measured on 中心城区, not the whole district


def test_targets_are_judged_where_the_plan_sets_them():
    values = {"forest_cover": 30.0, "central_city_green_cover": 51.0}
    zone = {r["key"]: r for r in rmath.compare_targets(values, scope=None)}
    assert zone["forest_cover"]["value"] == 30.0 and zone["forest_cover"]["met"] is None  # context, no ✗
    assert not zone["forest_cover"]["judged"]
    central = rmath.compare_targets(values, scope="central_city")
    assert [(r["key"], r["met"], r["target"]) for r in central] == [("central_city_green_cover", True, 50.0)]


def test_zonal_statistics_read_from_a_geotiff(tmp_path):
    path = tmp_path / "lc.tif"
    with rasterio.open(path, "w", driver="GTiff", width=10, height=10, count=1, dtype="uint8", crs="EPSG:4547",
                       transform=TRANSFORM, nodata=0) as ds:
        ds.write(_landcover(), 1)
    raster = SimpleNamespace(kind="landcover", scheme="shifeng")
    zones = [{"id": 1, "geom": box(1000, 2000, 1050, 2100)},  # western half: 40 forest + 6 water... by hand below
             {"id": 2, "geom": box(5000, 5000, 5100, 5100)}]  # off the raster
    stats = zonal.raster_zone_stats(raster, path, zones)
    # western half (columns 0–4): forest 40 px, column 4: water 2, green 2, built 6
    assert stats[1] == {"forest": 4000.0, "green": 200.0, "water": 200.0, "built": 600.0, "other": 0.0}
    assert 2 not in stats


def test_colouring_keeps_nodata_transparent():
    rgba = rmath.classify_rgba(_landcover(), rmath.LANDCOVER_SCHEMES["shifeng"], 0)
    assert tuple(rgba[9, 9]) == (0, 0, 0, 0)
    assert tuple(rgba[0, 0][:3]) == (0x1B, 0x78, 0x37)
    ramp = rmath.ramp_rgba(np.array([[0.0, 50.0, 100.0]]), 0.0, 100.0, None)
    assert tuple(ramp[0, 0][:3]) == (26, 152, 80) and tuple(ramp[0, 2][:3]) == (245, 245, 245)
