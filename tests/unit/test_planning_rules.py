"""Restoration deadlines, indicator status and scores, and the 两型 index formula, on plain values."""
from datetime import date

import numpy as np
import pytest
from affine import Affine
from shapely.geometry import box

from gis_tracker.rules import planning as rules
from gis_tracker.spatial import terrain


def test_restoration_is_due_one_year_after_completion():
    assert rules.restoration_due(date(2019, 6, 30)) == date(2020, 6, 30)
    assert rules.restoration_due(date(2020, 2, 29)) == date(2021, 2, 28)  # PostgreSQL's date + 1 year agrees
    assert rules.restoration_due(None) is None


def test_site_term_counts_months_from_the_basis_stage():
    dates = {"production_halted": "2019-01-31", "demolished": "2019-08-15"}
    assert rules.remediation_due(dates, "demolished", 12) == date(2020, 8, 15)
    assert rules.remediation_due(dates, "production_halted", 1) == date(2019, 2, 28)
    assert rules.remediation_due(dates, "demolished", None) is None
    assert rules.remediation_due({}, "demolished", 12) is None  # the stage has not been reached: no clock yet
    assert rules.remediation_due(dates, "accepted", 12) is None


@pytest.mark.parametrize("required, completion, restored, as_of, expected", [
    (False, date(2020, 1, 1), None, date(2022, 1, 1), "not_required"),
    (True, None, None, date(2022, 1, 1), "no_completion"),
    (True, date(2023, 1, 1), None, date(2022, 1, 1), "no_completion"),  # completion still ahead on that day
    (True, date(2021, 6, 1), None, date(2022, 1, 1), "pending"),
    (True, date(2021, 3, 1), None, date(2022, 1, 30), "due_soon"),  # due 2022-03-01, 30 days left
    (True, date(2020, 1, 1), None, date(2021, 1, 2), "overdue"),
    (True, date(2020, 1, 1), None, date(2021, 1, 1), "due_soon"),  # the due day itself is not late
    (True, date(2020, 1, 1), date(2020, 12, 31), date(2022, 1, 1), "restored"),
    (True, date(2020, 1, 1), date(2021, 3, 1), date(2022, 1, 1), "restored_late"),
    (True, date(2020, 1, 1), date(2021, 3, 1), date(2021, 2, 1), "overdue"),  # restored only later
])
def test_restoration_status_on_a_day(required, completion, restored, as_of, expected):
    assert rules.project_restoration_status(required, completion, restored, as_of) == expected


def test_a_restoration_cannot_be_recorded_in_the_future():
    assert rules.check_restored_date(date(2030, 1, 1), None, date(2026, 1, 1))
    assert rules.check_restored_date(date(2025, 1, 1), None, date(2026, 1, 1)) is None


def test_level_targets_meet_and_score():
    at_least = rules.Target(55.0, ">=")
    assert rules.status(at_least, 56.0) == "met" and rules.score(at_least, 56.0) == 1.0
    assert rules.status(at_least, 44.0) == "not_met" and rules.score(at_least, 44.0) == pytest.approx(0.8)
    assert rules.status(at_least, None) == "no_data" and rules.score(at_least, None) is None
    at_most = rules.Target(0.75, "<=")
    assert rules.status(at_most, 0.75) == "met"
    assert rules.score(at_most, 1.0) == pytest.approx(0.75)


def test_reduction_from_a_baseline_year():
    t = rules.Target(10.0, ">=", "reduction_vs_baseline", 2012)
    values = {2012: 2000.0, 2016: 1900.0, 2017: 1780.0}
    assert rules.measure(t, 2016, values) == pytest.approx(5.0)
    assert rules.status(t, rules.measure(t, 2016, values)) == "not_met"
    assert rules.measure(t, 2017, values) == pytest.approx(11.0) and rules.status(t, 11.0) == "met"
    assert rules.measure(t, 2012, values) is None  # the baseline itself is not a result
    assert rules.measure(t, 2017, {2017: 1780.0}) is None  # without the baseline there is nothing to compare
    assert rules.score(t, -3.0) == 0.0  # emissions went up


def test_rise_in_percentage_points_from_a_baseline():
    t = rules.Target(10.0, ">=", "increase_vs_baseline", 2012)
    assert rules.measure(t, 2017, {2012: 40.0, 2017: 52.5}) == pytest.approx(12.5)


def test_index_is_the_weighted_mean_of_the_scores_with_data():
    result = rules.composite([(2.0, 1.0), (1.0, 0.5), (1.0, None)])
    assert result.value == pytest.approx(100 * (2 * 1.0 + 1 * 0.5) / 3, abs=0.01)
    assert result.coverage == pytest.approx(0.75)
    assert rules.composite([(1.0, None)]).value is None
    assert rules.composite([(0.0, 0.2), (1.0, 1.0)]).value == 100.0  # a zero weight does not count


def test_steepness_under_a_footprint_touches_every_pixel():
    dem = np.tile(np.arange(10, dtype="float64") * 30.0, (10, 1))  # rises 30 m per 60 m pixel: 26.6°
    transform = Affine(60, 0, 0, 0, -60, 600)
    tiny = box(130, 130, 140, 140)  # far smaller than a pixel, no pixel centre inside
    inside = terrain.touched_mask(tiny, transform, dem.shape)
    assert inside.sum() == 1
    found = terrain.steepness(dem, inside, None, 60.0, 60.0, 25.0)
    assert found.max_slope_deg == pytest.approx(26.57, abs=0.01) and found.steep_share_pct == 100.0
    flat = terrain.steepness(np.zeros((10, 10)), inside, None, 60.0, 60.0, 25.0)
    assert flat.max_slope_deg == 0.0 and flat.steep_share_pct == 0.0
