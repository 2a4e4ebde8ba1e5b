"""Stage transition rules per path: forward steps, skips with an admin override, going back, dates, destinations."""
from datetime import date

import pytest

from gis_tracker.rules import relocation as rules

TODAY = date(2026, 11, 29)


def proposal(path="relocate", current="assessment", to_stage="agreement_signed", on=date(2020, 5, 3), **kw):
    values = dict(path=path, current=current, to_stage=to_stage, on=on, today=TODAY,
                  last_date=date(2019, 1, 1), destination="醴陵经济开发区")
    values.update(kw)
    return rules.Proposal(**values)


def refused(p) -> rules.TransitionRefused:
    with pytest.raises(rules.TransitionRefused) as info:
        rules.check(p)
    return info.value


@pytest.mark.parametrize("path", ["relocate", "close", "transform"])
def test_one_step_forward_is_allowed_on_every_path(path):
    assert rules.check(proposal(path=path, destination=None)) == rules.FORWARD


def test_next_stages_per_path():
    assert rules.next_stages("relocate", "production_halted") == ["demolished"]
    assert rules.next_stages("close", "production_halted") == ["demolished"]
    # Transform in place may pass over equipment removal.
    assert rules.next_stages("transform", "production_halted") == ["demolished", "remediation"]
    assert rules.next_stages("relocate", "accepted") == []


def test_transform_may_skip_equipment_removal_but_relocate_may_not():
    assert rules.check(proposal(path="transform", current="production_halted", to_stage="remediation",
                                destination=None)) == rules.FORWARD
    err = refused(proposal(path="relocate", current="production_halted", to_stage="remediation"))
    assert err.code == "invalid_transition" and err.kind == "conflict"
    assert err.allowed == ["demolished"]
    assert "设备拆除" in err.message


def test_skipping_needs_an_admin_override_with_a_reason():
    skip = dict(current="assessment", to_stage="production_halted")
    err = refused(proposal(**skip))
    assert err.code == "invalid_transition" and err.allowed == ["agreement_signed"]
    assert "协议签订" in err.message  # the message names the allowed next stage
    # An officer asking for an override still gets the conflict (the service answers 403 first).
    assert refused(proposal(**skip, override=True, reason="市政府特批")).code == "invalid_transition"
    # An admin override without a reason is refused, naming the field.
    err = refused(proposal(**skip, override=True, may_override=True, reason="  "))
    assert err.code == "reason_required" and err.field == "reason"
    assert rules.check(proposal(**skip, override=True, may_override=True, reason="市政府特批")) == rules.SKIP


def test_going_back_needs_a_reason():
    back = dict(current="remediation", to_stage="demolished")
    err = refused(proposal(**back))
    assert err.code == "reason_required" and err.field == "reason"
    assert rules.check(proposal(**back, reason="修复未通过验收")) == rules.BACK


def test_same_stage_and_unknown_stage_are_refused():
    assert refused(proposal(to_stage="assessment")).code == "same_stage"
    err = refused(proposal(to_stage="moved_to_mars"))
    assert err.code == "unknown_stage" and err.field == "to_stage"


def test_dates_not_in_future_not_before_previous_stage():
    assert refused(proposal(on=date(2026, 11, 30))).code == "date_in_future"
    assert rules.check(proposal(on=TODAY)) == rules.FORWARD
    err = refused(proposal(on=date(2018, 12, 31), last_date=date(2019, 1, 1)))
    assert err.code == "date_before_previous" and err.field == "date"
    assert rules.check(proposal(on=date(2019, 1, 1), last_date=date(2019, 1, 1))) == rules.FORWARD
    assert refused(proposal(on=date(1016, 5, 3), last_date=None)).code == "date_too_early"


def test_relocate_needs_a_destination_before_production_halts():
    halt = dict(current="agreement_signed", to_stage="production_halted")
    err = refused(proposal(**halt, destination=None))
    assert err.code == "destination_required" and err.field == "destination"
    assert rules.check(proposal(**halt, destination="攸县工业集中区", destination_given=True)) == rules.FORWARD
    # Before production halts a relocating enterprise may still lack a destination.
    assert rules.check(proposal(destination=None)) == rules.FORWARD


def test_close_and_transform_have_no_destination():
    for path in ("close", "transform"):
        err = refused(proposal(path=path, destination="某园区", destination_given=True))
        assert err.code == "destination_not_allowed"
        assert rules.check(proposal(path=path, current="agreement_signed", to_stage="production_halted",
                                    destination=None)) == rules.FORWARD


def test_replay_records_dates_and_going_back_drops_later_ones():
    events = [("assessment", date(2014, 5, 1)), ("agreement_signed", date(2015, 1, 2)),
              ("production_halted", date(2016, 3, 4)), ("demolished", date(2017, 1, 1)),
              ("remediation", date(2018, 1, 1)), ("demolished", date(2019, 2, 2)),
              ("remediation", date(2019, 9, 9))]
    assert rules.replay(events[:5]) == ("remediation", {
        "assessment": "2014-05-01", "agreement_signed": "2015-01-02", "production_halted": "2016-03-04",
        "demolished": "2017-01-01", "remediation": "2018-01-01"})
    stage, dates = rules.replay(events[:6])
    assert stage == "demolished" and "remediation" not in dates and dates["demolished"] == "2017-01-01"
    stage, dates = rules.replay(events)
    assert stage == "remediation" and dates["remediation"] == "2019-09-09"
    assert rules.replay([]) == ("not_started", {})


def test_overdue_means_a_planned_date_passed_without_the_stage():
    planned = {"assessment": "2014-06-30", "agreement_signed": "2015-06-30", "accepted": "2022-12-31"}
    assert rules.overdue("assessment", planned, date(2015, 6, 30)) == []
    assert rules.overdue("assessment", planned, date(2015, 7, 1)) == [("agreement_signed", date(2015, 6, 30))]
    assert [c for c, _ in rules.overdue("not_started", planned, date(2023, 1, 1))] == [
        "assessment", "agreement_signed", "accepted"]
    assert rules.overdue("accepted", planned, date(2030, 1, 1)) == []


def test_events_from_stage_dates_follow_stage_order_up_to_the_stage():
    dates = {"remediation": "2019-03-19", "assessment": "2015-07-16", "production_halted": "2018-03-22",
             "agreement_signed": "2017-02-26"}
    events = rules.events_from_stage_dates("remediation", dates)
    assert [c for c, _ in events] == ["assessment", "agreement_signed", "production_halted", "remediation"]
    assert rules.events_from_stage_dates("agreement_signed", dates)[-1][0] == "agreement_signed"
