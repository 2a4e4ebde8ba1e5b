"""Encroachment rules on plain values: firing, boundaries, flag reconciliation, status changes, conclusions."""
import pytest

from gis_tracker.rules import encroachment as r


def m(overlap=0.0, pct=0.0, dist=None, within=False):
    return r.Measurement(overlap, pct, dist, within)


def test_intersects_fires_on_any_real_overlap_but_not_on_touching():
    rule = r.RuleSpec("intersects")
    assert r.fires(rule, m(0.5, 0.01))
    assert not r.fires(rule, m(0.0, 0.0, 0.0, True))  # touching: distance 0, no area
    assert not r.fires(rule, m(r.OVERLAP_EPSILON_M2, 0.0))  # numerical noise


def test_thresholds_in_square_metres_and_percent():
    rule = r.RuleSpec("intersects", min_overlap_m2=500, min_overlap_pct=10)
    assert not r.fires(rule, m(499.99, 50))
    assert not r.fires(rule, m(800, 9.99))
    assert r.fires(rule, m(500, 10))


def test_within_distance_uses_the_database_dwithin_answer():
    rule = r.RuleSpec("within_distance", distance_m=50)
    assert rule.reach_m == 50
    assert r.fires(rule, m(0, 0, 50.0, True))  # exactly 50 m: ST_DWithin includes the boundary
    assert not r.fires(rule, m(0, 0, None, False))
    assert r.RuleSpec("intersects", distance_m=50).reach_m == 0


def test_contained_in_needs_the_whole_project():
    rule = r.RuleSpec("contained_in")
    assert r.fires(rule, m(1000, 100.0))
    assert not r.fires(rule, m(999, 99.9))


def test_rule_applies_to_listed_project_types_only():
    rule = r.RuleSpec("intersects", project_types=("livestock",))
    assert r.applies_to(rule, "livestock") and not r.applies_to(rule, "public")
    assert r.applies_to(r.RuleSpec("intersects"), "public")


def state(status="open", active=True, severity="violation", overlap=100.0, dist=0.0):
    return r.FlagState(status, active, severity, overlap, dist)


def test_reconcile_raises_new_and_reappearing_flags_open():
    assert r.reconcile(None, m(100, 10, 0, True), "violation") == r.FlagChange("raised", "open", True)
    assert r.reconcile(state("waived", active=False), m(100, 10, 0, True), "violation").kind == "raised"


def test_waived_flag_stays_waived_while_the_overlap_is_unchanged():
    change = r.reconcile(state("waived", overlap=100.0), m(100.004, 10, 0.0, True), "violation")
    assert change == r.FlagChange("unchanged", "waived")


def test_a_changed_overlap_reopens_waived_resolved_and_acknowledged_flags():
    for status in ("waived", "resolved", "acknowledged"):
        change = r.reconcile(state(status, overlap=100.0), m(150.0, 15, 0.0, True), "violation")
        assert change == r.FlagChange("changed", "open", True)
    moved = r.reconcile(state("waived", overlap=0.0, dist=40.0), m(0.0, 0, 30.0, True), "warning")
    assert moved.kind == "changed"  # a distance flag whose distance changed


def test_severity_change_is_reported_but_keeps_the_status():
    change = r.reconcile(state("waived", severity="review"), m(100.0, 10, 0.0, True), "violation")
    assert change == r.FlagChange("changed", "waived", False)


def test_a_flag_that_no_longer_fires_is_cleared_not_deleted():
    assert r.reconcile(state("acknowledged"), None, "violation") == r.FlagChange("cleared", "acknowledged")
    assert r.reconcile(state(active=False), None, "violation").kind == "unchanged"


@pytest.mark.parametrize("current,target,reason,ok", [
    ("open", "acknowledged", None, True),
    ("open", "waived", "规划调整", True),
    ("open", "waived", "  ", False),
    ("acknowledged", "resolved", None, False),
    ("acknowledged", "resolved", "已退地还水", True),
    ("resolved", "waived", "x", False),
    ("waived", "open", None, True),
    ("open", "deleted", None, False),
])
def test_status_transitions(current, target, reason, ok):
    assert (r.check_transition(current, target, reason) is None) == ok


def test_conclusion_from_flags_and_land_use():
    assert r.conclude([]) == "pass"
    assert r.conclude([("warning", "open")]) == "pass"
    assert r.conclude([("review", "open"), ("warning", "open")]) == "needs_review"
    assert r.conclude([("violation", "acknowledged")]) == "fail"
    assert r.conclude([("violation", "waived"), ("review", "resolved")]) == "pass"
    assert r.conclude([], "needs_review") == "needs_review"
    assert r.conclude([("review", "open")], "fail") == "fail"


def test_severity_ordering():
    assert r.worst_severity(["warning", "violation", "review"]) == "violation"
    assert r.worst_severity([]) is None
    assert r.SEVERITY_RANK["violation"] > r.SEVERITY_RANK["review"] > r.SEVERITY_RANK["warning"]


def test_rule_validation_names_the_field():
    good = {"layer": "water_bodies", "relation": "within_distance", "distance_m": 50, "severity": "warning",
            "feature_filter": {"kind": ["harbour"]}, "name": "n", "message": "m", "basis": "b"}
    assert r.validate_rule(good) == []
    assert [p[0] for p in r.validate_rule({**good, "distance_m": 0})] == ["distance_m"]
    assert [p[0] for p in r.validate_rule({**good, "distance_m": float("nan")})] == ["distance_m", "distance_m"]
    assert [p[0] for p in r.validate_rule({**good, "feature_filter": {"tier": ["x"]}})] == ["feature_filter"]
    assert [p[0] for p in r.validate_rule({**good, "min_overlap_pct": 120})] == ["min_overlap_pct"]
    assert "severity" in [p[0] for p in r.validate_rule({**good, "severity": "fatal"})]
