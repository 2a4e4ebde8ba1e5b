"""Hand-computed encroachment cases: exact m², 亩 and %, distance boundaries, touching, multipart, two zones."""
import pytest
from shapely.geometry import MultiPolygon

from tests.factories import add_project, add_protected, add_rule, cell, flags_for, rect, retire


def test_square_half_inside_a_zone_is_50_percent_with_exact_area(session):
    x, y = cell(0)
    zone = add_protected(session, rect(x, y, x + 200, y + 200))
    rule = add_rule(session, [zone.name])
    # 200 m × 200 m project, its western half (100 m × 200 m = 20,000 m² = 30 亩) inside the zone.
    project = add_project(session, rect(x + 100, y, x + 300, y + 200))
    try:
        [flag] = flags_for(session, project.id, rule)
        assert flag["overlap_m2"] == pytest.approx(20000.0, abs=0.01)
        assert flag["overlap_mu"] == pytest.approx(30.0, abs=1e-4)
        assert flag["overlap_pct"] == pytest.approx(50.0, abs=1e-3)
        assert flag["min_distance_m"] == 0
        assert flag["severity"] == "review" and flag["status"] == "open"
        assert flag["features"] == [{"layer": "protected_areas", "id": zone.id, "name": zone.name}]
    finally:
        retire(session, project, zone, rule)


def test_exactly_50_m_away_is_within_50_m_but_50_01_m_is_not(session):
    """ST_DWithin includes the boundary: a gap of exactly the rule's distance fires."""
    x, y = cell(1)
    zone = add_protected(session, rect(x, y, x + 100, y + 100))
    rule = add_rule(session, [zone.name], relation="within_distance", distance_m=50, severity="warning")
    at_50 = add_project(session, rect(x + 150, y, x + 200, y + 50))
    beyond = add_project(session, rect(x, y + 150.01, x + 50, y + 200))
    try:
        [flag] = flags_for(session, at_50.id, rule)
        assert flag["min_distance_m"] == 50.0
        assert flag["overlap_m2"] == 0
        assert flags_for(session, beyond.id, rule) == []
    finally:
        retire(session, at_50, beyond, zone, rule)


def test_touching_is_not_an_overlap_but_is_within_distance(session):
    x, y = cell(2)
    zone = add_protected(session, rect(x, y, x + 100, y + 100))
    overlap_rule = add_rule(session, [zone.name], severity="violation")
    distance_rule = add_rule(session, [zone.name], relation="within_distance", distance_m=50, severity="warning")
    touching = add_project(session, rect(x + 100, y, x + 200, y + 100))  # shares the east edge
    try:
        assert flags_for(session, touching.id, overlap_rule) == []
        [near] = flags_for(session, touching.id, distance_rule)
        assert near["min_distance_m"] == 0 and near["overlap_m2"] == 0
    finally:
        retire(session, touching, zone, overlap_rule, distance_rule)


def test_multipolygon_project_counts_only_the_parts_inside(session):
    x, y = cell(3)
    zone = add_protected(session, rect(x, y, x + 150, y + 150))
    rule = add_rule(session, [zone.name])
    # Two 100 m squares: one wholly inside the zone, one 100 m away outside it.
    project = add_project(session, MultiPolygon([rect(x + 25, y + 25, x + 125, y + 125),
                                                 rect(x + 250, y + 25, x + 350, y + 125)]))
    try:
        [flag] = flags_for(session, project.id, rule)
        assert flag["overlap_m2"] == pytest.approx(10000.0, abs=0.01)
        assert flag["overlap_pct"] == pytest.approx(50.0, abs=1e-3)
    finally:
        retire(session, project, zone, rule)


def test_project_crossing_two_zones(session):
    x, y = cell(4)
    west = add_protected(session, rect(x, y, x + 100, y + 200))
    east = add_protected(session, rect(x + 100, y, x + 200, y + 200))
    per_zone = [add_rule(session, [west.name], severity="violation"), add_rule(session, [east.name])]
    both = add_rule(session, [west.name, east.name], severity="warning")
    # 160 m × 100 m project straddling the shared edge: 60 m in the west zone, 100 m in the east zone.
    project = add_project(session, rect(x + 40, y + 50, x + 200, y + 150))
    try:
        [w] = flags_for(session, project.id, per_zone[0])
        [e] = flags_for(session, project.id, per_zone[1])
        assert (w["overlap_m2"], w["severity"]) == (pytest.approx(6000.0, abs=0.01), "violation")
        assert (e["overlap_m2"], e["severity"]) == (pytest.approx(10000.0, abs=0.01), "review")
        [joint] = flags_for(session, project.id, both)
        assert joint["overlap_m2"] == pytest.approx(16000.0, abs=0.01)
        assert joint["overlap_pct"] == pytest.approx(100.0, abs=1e-3)
        assert {f["name"] for f in joint["features"]} == {west.name, east.name}
        # The most severe flag comes first.
        assert flags_for(session, project.id)[0]["severity"] == "violation"
    finally:
        retire(session, project, west, east, *per_zone, both)


def test_minimum_overlap_thresholds_suppress_small_overlaps(session):
    x, y = cell(5)
    zone = add_protected(session, rect(x, y, x + 100, y + 100))
    rule = add_rule(session, [zone.name], min_overlap_m2=500.0)
    small = add_project(session, rect(x + 90, y, x + 190, y + 40))  # 10 m × 40 m = 400 m² inside
    large = add_project(session, rect(x + 80, y + 50, x + 180, y + 90))  # 20 m × 40 m = 800 m² inside
    try:
        assert flags_for(session, small.id, rule) == []
        [flag] = flags_for(session, large.id, rule)
        assert flag["overlap_m2"] == pytest.approx(800.0, abs=0.01)
    finally:
        retire(session, small, large, zone, rule)


def test_contained_in_fires_only_when_the_whole_project_is_inside(session):
    x, y = cell(6)
    zone = add_protected(session, rect(x, y, x + 200, y + 200))
    rule = add_rule(session, [zone.name], relation="contained_in")
    inside = add_project(session, rect(x + 50, y + 50, x + 150, y + 150))
    partly = add_project(session, rect(x + 150, y + 50, x + 250, y + 150))
    try:
        assert [f["overlap_pct"] for f in flags_for(session, inside.id, rule)] == [pytest.approx(100.0)]
        assert flags_for(session, partly.id, rule) == []
    finally:
        retire(session, inside, partly, zone, rule)


def test_livestock_rule_applies_only_to_livestock_projects(session):
    x, y = cell(7)
    ban = add_protected(session, rect(x, y, x + 200, y + 200), category="livestock_ban")
    farm = add_project(session, rect(x + 50, y + 50, x + 100, y + 100), project_type="livestock")
    school = add_project(session, rect(x + 120, y + 50, x + 170, y + 100), project_type="public")
    try:
        assert [f["rule"] for f in flags_for(session, farm.id)] == ["livestock_no_farming"]
        assert flags_for(session, school.id) == []
    finally:
        retire(session, farm, school, ban)
