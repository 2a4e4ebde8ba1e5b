"""Splitting a polygon by a line and repairing invalid geometry (pure shapely)."""
import pytest
from shapely.geometry import LineString, MultiPolygon, Point, Polygon, box

from gis_tracker.spatial.split import split_polygon
from gis_tracker.spatial.validate import GeometryProblem, check_valid, repair

BOWTIE = Polygon([(0, 0), (2, 2), (2, 0), (0, 2), (0, 0)])


def test_line_across_a_square_gives_two_halves_largest_first():
    parts = split_polygon(box(0, 0, 4, 2), LineString([(1, -1), (1, 3)]))
    assert [round(p.area, 6) for p in parts] == [6.0, 2.0]
    assert round(sum(p.area for p in parts), 9) == 8.0  # nothing gained or lost


def test_zigzag_line_gives_three_parts():
    parts = split_polygon(box(0, 0, 6, 2), LineString([(1, -1), (1, 3), (3, 3), (3, -1)]))
    assert len(parts) == 3
    assert round(sum(p.area for p in parts), 9) == 12.0


def test_a_hole_survives_the_split():
    ring = Polygon(box(0, 0, 10, 10).exterior.coords, [box(6, 4, 8, 6).exterior.coords])
    parts = split_polygon(ring, LineString([(3, -1), (3, 11)]))
    assert len(parts) == 2
    assert len(parts[0].interiors) == 1 and round(parts[0].area, 6) == 70 - 4


def test_each_polygon_of_a_multipolygon_is_split_on_its_own():
    multi = MultiPolygon([box(0, 0, 2, 2), box(5, 0, 7, 2)])
    parts = split_polygon(multi, LineString([(1, -1), (1, 3)]))
    assert len(parts) == 3 and round(sum(p.area for p in parts), 9) == 8.0


@pytest.mark.parametrize("line", [
    LineString([(1, -1), (1, 1)]),      # ends inside the polygon
    LineString([(10, 10), (11, 11)]),   # misses it
])
def test_a_line_that_does_not_cross_is_refused(line):
    with pytest.raises(GeometryProblem) as err:
        split_polygon(box(0, 0, 4, 2), line)
    assert err.value.code == "line_does_not_split"


def test_only_polygons_are_split_and_only_by_lines():
    with pytest.raises(GeometryProblem):
        split_polygon(Point(0, 0), LineString([(0, 0), (1, 1)]))
    with pytest.raises(GeometryProblem):
        split_polygon(box(0, 0, 1, 1), Point(0, 0))
    with pytest.raises(GeometryProblem) as err:
        split_polygon(BOWTIE, LineString([(1, -1), (1, 3)]))
    assert err.value.code == "invalid_geometry"


def test_bowtie_is_explained_then_repaired_into_two_triangles():
    with pytest.raises(GeometryProblem) as err:
        check_valid(BOWTIE)
    assert "自相交" in err.value.message and err.value.location == (1.0, 1.0)
    fixed = repair(BOWTIE)
    assert fixed.is_valid and fixed.geom_type == "MultiPolygon"
    assert len(fixed.geoms) == 2 and round(fixed.area, 9) == 2.0


def test_repair_keeps_only_polygonal_parts_of_a_polygon():
    # A spike collapses to a line; the polygon keeps its area and stays polygonal.
    spiky = Polygon([(0, 0), (2, 0), (2, 2), (0, 2), (0, 0), (-1, -1), (0, 0)])
    fixed = repair(spiky)
    assert fixed.is_valid and fixed.geom_type in ("Polygon", "MultiPolygon")
    assert round(fixed.area, 9) == 4.0
