"""CRS presets, GCJ-02 conversion (published vectors), encodings and archive checks."""
from __future__ import annotations

import zipfile

import numpy as np
import pytest
from pyproj import Geod

from gis_tracker.importers.archives import check_archive
from gis_tracker.importers.base import ParseProblem
from gis_tracker.spatial import crs as crsmod
from gis_tracker.spatial import encoding as enc

GEOD = Geod(ellps="WGS84")
# Public test vectors of the standard algorithm (eviltransform): (wgs lat, lng), (gcj lat, lng).
VECTORS = [((31.1774276, 121.5272106), (31.17530398364597, 121.531541859215)),
           ((22.543847, 113.912316), (22.540796131694766, 113.9171764808363)),
           ((39.911954, 116.377817), (39.91334545536069, 116.38404722455657))]


@pytest.mark.parametrize("wgs,gcj", VECTORS)
def test_gcj02_forward_matches_published_vectors(wgs, gcj):
    lng, lat = crsmod.wgs84_to_gcj02(wgs[1], wgs[0])
    assert float(lat) == pytest.approx(gcj[0], abs=1e-9) and float(lng) == pytest.approx(gcj[1], abs=1e-9)


@pytest.mark.parametrize("wgs,gcj", VECTORS)
def test_gcj02_inverse_lands_within_two_metres(wgs, gcj):
    lng, lat = crsmod.gcj02_to_wgs84(gcj[1], gcj[0])
    _, _, metres = GEOD.inv(float(lng), float(lat), wgs[1], wgs[0])
    assert metres < 2.0
    _, _, offset = GEOD.inv(gcj[1], gcj[0], wgs[1], wgs[0])
    assert offset > 100  # the offset is real, so the check above means something


def test_gcj02_offset_in_shifeng_is_about_680_metres():
    lng, lat = crsmod.wgs84_to_gcj02(113.118, 27.8748)
    _, _, metres = GEOD.inv(113.118, 27.8748, float(lng), float(lat))
    assert 550 < metres < 800


def test_no_offset_outside_china():
    lng, lat = crsmod.wgs84_to_gcj02(-104.9903, 39.7392)
    assert (float(lng), float(lat)) == (-104.9903, 39.7392)


@pytest.mark.parametrize("raw,expected", [("epsg:4547", "EPSG:4547"), ("4490", "EPSG:4490"), ("GCJ-02", "GCJ02"),
                                          ("http://www.opengis.net/def/crs/EPSG/0/4326", "EPSG:4326"), ("", None)])
def test_crs_names_are_normalised(raw, expected):
    assert crsmod.normalise(raw) == expected


def test_unknown_crs_is_refused():
    with pytest.raises(crsmod.CrsProblem):
        crsmod.normalise("EPSG:999999")
    with pytest.raises(crsmod.CrsProblem):
        crsmod.normalise("mars")


def test_swapped_axes_get_the_outside_district_warning():
    district = (113.0, 27.8, 113.3, 28.1)
    assert crsmod.outside_district_warning((113.1, 27.9, 113.2, 28.0), district) is None
    assert "颠倒" in crsmod.outside_district_warning((27.9, 113.1, 28.0, 113.2), district)


def test_presets_hint_the_zone_of_projected_coordinates():
    found = crsmod.candidates((413000, 3089000, 414000, 3090000), (113.0, 27.8, 113.3, 28.1))
    assert "EPSG:4547" in found and "EPSG:4326" not in found


def test_gbk_bytes_are_detected_and_utf8_preferred():
    gbk = ["清水塘".encode("gbk"), "九郎山".encode("gbk")]
    assert enc.detect(gbk) == "gb18030"
    assert enc.detect(["清水塘".encode()]) == "utf-8"
    assert enc.detect([b"\xff\xfe\xfd"]) is None


def test_cpg_labels_and_mojibake():
    assert enc.codec_name("936") == "gb18030" and enc.codec_name("UTF-8") == "utf-8"
    assert enc.is_mojibake("清水塘".encode("gbk").decode("latin-1"))
    assert enc.is_mojibake("\ufffd坏")
    assert not enc.is_mojibake("清水塘 Qingshuitang")


def _zip(path, members):
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return path


def test_archive_checks(tmp_path):
    assert len(check_archive(_zip(tmp_path / "ok.zip", {"a.shp": b"1", "sub/b.dbf": b"2"}))) == 2
    for members, code in [({"../x": b"1"}, "archive_unsafe_path"), ({"/abs": b"1"}, "archive_unsafe_path"),
                          ({"C:/x": b"1"}, "archive_unsafe_path")]:
        with pytest.raises(ParseProblem) as err:
            check_archive(_zip(tmp_path / "bad.zip", members))
        assert err.value.code == code
    link = tmp_path / "link.zip"
    with zipfile.ZipFile(link, "w") as archive:
        info = zipfile.ZipInfo("evil")
        info.external_attr = (0o120777 << 16)
        archive.writestr(info, "/etc/passwd")
    with pytest.raises(ParseProblem) as err:
        check_archive(link)
    assert err.value.code == "archive_link"
    bomb = tmp_path / "bomb.zip"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("zeros", np.zeros(5_000_000, dtype="uint8").tobytes())
    with pytest.raises(ParseProblem) as err:
        check_archive(bomb)
    assert err.value.code == "archive_bomb"
