"""Land-use intensity thresholds and idle land, from the plan 二(四)1(1)–(2)."""
from datetime import date

import pytest

from gis_tracker.rules import land_use as lu


def indicators(park_level="national", area_mu=100.0, investment=20000.0, far=0.6, coverage=0.35, tax=500.0,
               project_type="industrial"):
    return {i.code: i for i in lu.intensity_indicators(project_type, park_level, area_mu, investment, far,
                                                        coverage, tax)}


@pytest.mark.parametrize("level,minimum", [("national", 200), ("provincial", 150), ("other", 100)])
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


def test_a_missing_park_level_is_a_finding_not_the_loosest_threshold():
    """Before: no park level was judged against 100 万元/亩 and passed silently."""
    weak = indicators(None, investment=120 * 100.0)["investment_intensity"]
    assert weak.threshold is None and weak.ok is None and "园区级别未填" in weak.label
    found = lu.findings("industrial", None, False)
    assert [f.code for f in found] == ["park_level_missing"] and "园区级别未填" in found[0].text
    assert lu.outcome([weak], lu.IdleLand(None, "none"), found) == "needs_review"
    assert lu.findings("industrial", "other", False) == []


def test_logistics_in_an_industrial_park_is_measured_like_industry():
    assert lu.intensity_indicators("logistics", None, 10, 100, 0.5, 0.3, None) == []  # outside a park
    inside = {i.code: i for i in lu.intensity_indicators("logistics", None, 10, 100, 0.5, 0.3, None,
                                                           in_industrial_park=True)}
    assert inside["floor_area_ratio"].ok is False and inside["building_coverage"].ok is False
    assert [f.code for f in lu.findings("logistics", None, True)] == ["park_level_missing"]
    with_level = {i.code: i for i in lu.intensity_indicators("logistics", "provincial", 10, 2000, 0.7, 0.4, None)}
    assert with_level["investment_intensity"].threshold == 150 and with_level["investment_intensity"].ok is True


def test_tax_below_five_wan_per_mu_states_the_plans_consequence():
    low = indicators(tax=499.0)["annual_tax"]
    assert low.ok is False and "转移生产意见" in low.consequence and "补缴" in low.consequence
    assert indicators(tax=500.0)["annual_tax"].consequence is None


def test_idle_fee_is_computed_from_the_land_price():
    idle = lu.idle_land(date(2025, 5, 20), None, date(2026, 6, 1), land_price_wan=1234.5)
    assert idle.consequence == "fee" and idle.fee_wan == pytest.approx(246.9)
    assert "1,234.50" in idle.text and "246.90" in idle.text
    unknown = lu.idle_land(date(2025, 5, 20), None, date(2026, 6, 1))
    assert unknown.fee_wan is None and "无法计算" in unknown.text


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
