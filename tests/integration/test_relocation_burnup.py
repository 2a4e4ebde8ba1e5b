"""The dashboard's burn-up: per stage, the enterprises at or past it over time, ending on the database's counts."""
from datetime import date

from sqlalchemy import func, select

from gis_tracker.models import Enterprise, User
from gis_tracker.rules import relocation as rules
from gis_tracker.rules.stages import STAGE_CODES
from gis_tracker.services.relocation import dashboard, transitions
from gis_tracker.services.relocation.transitions import TransitionInput
from tests.factories import borrowed_enterprise
from tests.integration.test_relocation_history import SAMPLE, _expected_stage


def _at_or_past_now(session) -> dict[str, int]:
    """Counted by the database from the enterprises' current stage column, not by the dashboard's code."""
    counts = dict(session.execute(select(Enterprise.stage, func.count()).where(Enterprise.deleted_at.is_(None))
                                  .group_by(Enterprise.stage)).all())
    return {code: sum(n for s, n in counts.items() if STAGE_CODES.index(s) >= STAGE_CODES.index(code))
            for code in STAGE_CODES[1:]}


def _last(data) -> dict[str, int]:
    return {s["stage"]: s["data"][-1] for s in data["burnup"]["series"]}


def test_last_value_of_each_stage_is_the_count_at_or_past_it_today(session):
    data = dashboard.dashboard(session)
    burn = data["burnup"]
    assert burn["dates"][-1] == date.today().isoformat()
    assert [s["stage"] for s in burn["series"]] == STAGE_CODES[1:]
    assert all(len(s["data"]) == len(burn["dates"]) for s in burn["series"])
    assert _last(data) == _at_or_past_now(session)
    assert burn["total"] == session.scalar(select(func.count()).select_from(Enterprise)
                                           .where(Enterprise.deleted_at.is_(None)))
    # The same numbers as the stage table above the chart.
    for code in STAGE_CODES[1:]:
        assert _last(data)[code] == sum(n for c, n in data["stage_counts"].items()
                                        if STAGE_CODES.index(c) >= STAGE_CODES.index(code))


def test_the_plan_milestones_are_on_the_chart(session):
    burn = dashboard.dashboard(session)["burnup"]
    assert [(m["key"], m["deadline"], m["stage"]) for m in burn["milestones"]] == [
        (m.key, m.deadline.isoformat(), m.stage) for m in rules.MILESTONES]
    five = next(m for m in burn["milestones"] if m["key"] == "five_years")
    i = burn["dates"].index("2018-12-31")  # month ends are points: the value at a deadline is on the chart
    halted = next(s for s in burn["series"] if s["stage"] == "production_halted")
    assert halted["data"][i] == five["reached_at_deadline"]


def test_a_past_date_follows_the_recorded_stage_dates(session):
    day = date(2019, 6, 30)
    burn = dashboard.dashboard(session, day)["burnup"]
    assert burn["dates"][-1] == "2019-06-30"
    sample_names = {f["properties"]["name"] for f in SAMPLE}
    assert len(sample_names) == burn["total"]  # the sample is all there is
    for when in ("2014-12-31", "2016-12-31", "2019-06-30"):
        i = burn["dates"].index(when)
        expected = {code: 0 for code in STAGE_CODES[1:]}
        for f in SAMPLE:
            st = _expected_stage(f["properties"]["stage_dates"], date.fromisoformat(when))
            for code in expected:
                expected[code] += STAGE_CODES.index(st) >= STAGE_CODES.index(code)
        assert {s["stage"]: s["data"][i] for s in burn["series"]} == expected, when
    # Cumulative: never more at a later stage than at an earlier one.
    for i in range(len(burn["dates"])):
        column = [s["data"][i] for s in burn["series"]]
        assert column == sorted(column, reverse=True)


def test_going_back_leaves_the_later_stages(app, session):
    officer = session.scalar(select(User).where(User.username == "relocation_officer"))
    before = _last(dashboard.dashboard(session))
    with borrowed_enterprise(app, "agreement_signed", "close") as eid:
        ent = session.get(Enterprise, eid)
        first = transitions.record_transition(session, eid, TransitionInput("production_halted", date(2021, 3, 1)),
                                             officer, transitions.enterprise_etag(ent))
        burn = dashboard.dashboard(session)["burnup"]
        halted = next(s for s in burn["series"] if s["stage"] == "production_halted")["data"]
        assert halted[-1] == before["production_halted"] + 1 == _at_or_past_now(session)["production_halted"]
        transitions.record_transition(session, eid, TransitionInput("agreement_signed", date(2021, 9, 1),
                                                                   reason="复查发现仍在生产"), officer, first.etag)
        burn = dashboard.dashboard(session)["burnup"]
        halted = next(s for s in burn["series"] if s["stage"] == "production_halted")["data"]
        march, september = burn["dates"].index("2021-03-31"), burn["dates"].index("2021-09-30")
        assert halted[march] - halted[march - 1] >= 1  # reached in March 2021 ...
        assert halted[-1] == before["production_halted"] == _at_or_past_now(session)["production_halted"]
        assert halted[september] <= halted[september - 1]  # ... and gone again in September
