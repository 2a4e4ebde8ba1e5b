"""Area and CRS maths used for every m² and 亩 the app reports."""
from shapely.geometry import Point, box

from gis_tracker.spatial.measure import SQUARE_METRES_PER_MU, area_m2, m2_to_mu, reproject


def test_one_square_kilometre_in_4547_is_1500_mu():
    square = box(500000, 3090000, 501000, 3091000)  # 1 km × 1 km in CGCS2000 GK CM 114E
    m2 = area_m2(square, 4547)
    assert abs(m2 - 1_000_000) / 1_000_000 < 0.001
    assert abs(m2_to_mu(m2) - 1500) / 1500 < 0.001


def test_mu_definition():
    assert abs(SQUARE_METRES_PER_MU - 666.6667) < 1e-3


def test_square_in_lonlat_measures_the_same_as_in_gk():
    square = box(413000, 3085000, 414000, 3086000)  # by the district government
    lonlat = reproject(square, 4547, 4490)
    assert 112.9 < lonlat.centroid.x < 113.4 and 27.7 < lonlat.centroid.y < 28.1
    assert abs(area_m2(lonlat, 4490) - 1_000_000) < 1_000


def test_reproject_round_trip_within_a_millimetre():
    gov = Point(113.1180, 27.8748)  # district government
    back = reproject(reproject(gov, 4326, 4547), 4547, 4326)
    assert gov.distance(back) < 1e-8
