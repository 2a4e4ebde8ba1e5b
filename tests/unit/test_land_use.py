"""Land-use intensity thresholds and idle land, from the plan 二(四)1(1)–(2)."""
from datetime import date

import pytest

from gis_tracker.rules import land_use as lu


def indicators(park_level="national", area_mu=100.0, investment=20000.0, far=0.6, coverage=0.35, tax=500.0,
               project_type="industrial"):
    return {i.code: i for i in lu.intensity_indicators(project_type, park_level, area_mu, investment, far,
                                                        coverage, tax)}


@pytest.mark.parametrize("level,minimum", [("national", 200), ("provincial", 150), ("other", 100), (None, 100)])
def test_investment_intensity_threshold_by_park_level(level, minimum):
    at = indicators(level, investment=minimum * 100.0)["investment_intensity"]
    assert at.value == pytest.approx(minimum) and at.threshold == minimum and at.ok is True
    below = indicators(level, investment=minimum * 100.0 - 1)["investment_intensity"]
    assert below.ok is False and below.unit == "万元/亩"


def test_floor_area_ratio_coverage_and_tax_thresholds():
    ok = indicators()
    assert [ok[c].ok for c in ("floor_area_ratio", "building_coverage", "annual_tax")] == [True, True, True]
    bad = indicators(far=0.59, coverage=0.349, tax=499.0)
    assert [bad[c].ok for c in ("floor_area_ratio", "building_coverage", "annual_tax")] == [False, False, False]
    assert bad["annual_tax"].value == pytest.approx(4.99)


def test_missing_values_cannot_be_judged_and_non_industrial_projects_have_none():
    assert indicators(tax=None)["annual_tax"].ok is None
    assert lu.intensity_indicators("commercial", None, 10, 100, None, None, None) == []


@pytest.mark.parametrize("supplied,started,as_of,years,consequence", [
    (date(2025, 11, 2), None, date(2026, 11, 1), 0, "none"),
    (date(2025, 11, 1), None, date(2026, 11, 1), 1, "fee"),  # exactly one year: 满1年
    (date(2024, 11, 2), None, date(2026, 11, 1), 1, "fee"),
    (date(2024, 11, 1), None, date(2026, 11, 1), 2, "reclaim"),  # exactly two years: 满2年
    (date(2020, 2, 29), None, date(2026, 11, 1), 6, "reclaim"),
    (date(2020, 1, 1), date(2020, 6, 1), date(2026, 11, 1), None, "none"),  # built on
    (None, None, date(2026, 11, 1), None, "none"),
])
def test_idle_land(supplied, started, as_of, years, consequence):
    idle = lu.idle_land(supplied, started, as_of)
    assert (idle.idle_years, idle.consequence) == (years, consequence)


def test_outcome():
    good = list(indicators().values())
    assert lu.outcome(good, lu.IdleLand(None, "none")) == "pass"
    assert lu.outcome(list(indicators(far=0.5).values()), lu.IdleLand(None, "none")) == "needs_review"
    assert lu.outcome(good, lu.IdleLand(1, "fee")) == "needs_review"
    assert lu.outcome(good, lu.IdleLand(3, "reclaim")) == "fail"
