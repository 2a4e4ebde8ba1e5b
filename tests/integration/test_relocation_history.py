"""History and as-of views: the sample's initial transitions, past dates reconstructed, overdue, dashboard numbers."""
import json
from datetime import date, timedelta
from pathlib import Path

from sqlalchemy import create_engine, func, select, text

from gis_tracker.models import Enterprise, StageTransition, User
from gis_tracker.rules.stages import STAGE_CODES, STAGE_COLOURS
from gis_tracker.services.platform import migrations
from gis_tracker.services.relocation import dashboard, status, transitions
from gis_tracker.services.relocation.transitions import TransitionInput
from tests.factories import borrowed_enterprise

SAMPLE = json.loads(Path("layers/enterprises.geojson").read_text(encoding="utf-8"))["features"]


def _expected_stage(stage_dates: dict, day: date) -> str:
    """The furthest stage whose recorded date is on or before ``day`` (computed from the sample file)."""
    reached = [c for c, d in stage_dates.items() if date.fromisoformat(d) <= day]
    return max(reached, key=STAGE_CODES.index, default="not_started")


def test_sample_enterprises_start_with_one_transition_per_reached_stage(session):
    expected = sum(len(f["properties"]["stage_dates"]) for f in SAMPLE)
    sample_ids = select(Enterprise.id).where(Enterprise.created_by == "sample-loader")
    found = session.scalar(select(func.count()).select_from(StageTransition).where(
        StageTransition.enterprise_id.in_(sample_ids), StageTransition.source == "sample"))
    assert found == expected
    zhuye = session.scalar(select(Enterprise).where(Enterprise.name == "株洲冶炼集团股份有限公司"))
    history = transitions.history(session, zhuye.id)
    assert [t["to_stage"] for t in history] == ["assessment", "agreement_signed", "production_halted",
                                                "demolished", "remediation"]
    assert history[0]["from_stage"] == "not_started" and history[0]["date"] == "2014-05-20"


def test_as_of_a_past_date_matches_the_recorded_stage_dates(session):
    for day in (date(2014, 12, 31), date(2016, 12, 31), date(2019, 6, 30)):
        by_name = {s.name: s.stage for s in status.statuses(session, day)}
        for feat in SAMPLE:
            p = feat["properties"]
            assert by_name[p["name"]] == _expected_stage(p["stage_dates"], day), (p["name"], day)


def test_new_transitions_and_going_back_show_in_the_as_of_views(app, session):
    officer = session.scalar(select(User).where(User.username == "relocation_officer"))
    with borrowed_enterprise(app, "agreement_signed", "close") as eid:
        ent = session.get(Enterprise, eid)
        etag = transitions.enterprise_etag(ent)
        first = transitions.record_transition(session, eid, TransitionInput("production_halted", date(2021, 3, 1)),
                                             officer, etag)
        transitions.record_transition(session, eid, TransitionInput("agreement_signed", date(2021, 9, 1),
                                                                   reason="复查发现仍在生产"), officer, first.etag)

        def stage_on(day):
            return next(s.stage for s in status.statuses(session, day) if s.id == eid)
        assert stage_on(date(2021, 2, 28)) == "agreement_signed"
        assert stage_on(date(2021, 3, 1)) == "production_halted"
        assert stage_on(date(2021, 9, 1)) == "agreement_signed"
        assert stage_on(None) == "agreement_signed"
        feats = dashboard.map_features(session, date(2021, 6, 1))["features"]
        mine = next(f for f in feats if f["id"] == eid)
        assert mine["properties"]["stage"] == "production_halted"
        assert mine["properties"]["colour"] == STAGE_COLOURS["production_halted"]
        assert transitions.stages_as_of(session, date(2021, 6, 1))[eid] == "production_halted"
        # The enterprise's stage date of 停产 is gone after going back; the history keeps it.
        session.expire_all()
        assert "production_halted" not in session.get(Enterprise, eid).stage_dates
        assert [t["direction"] for t in transitions.history(session, eid)][-2:] == ["forward", "back"]


def test_overdue_as_of_a_date(app, session):
    with borrowed_enterprise(app, "assessment", "close",
                             planned_dates={"agreement_signed": "2018-06-30", "accepted": "2022-12-31"}) as eid:
        def late_on(day):
            return next(s.overdue for s in status.statuses(session, day) if s.id == eid)
        assert late_on(date(2018, 6, 30)) == []
        assert late_on(date(2018, 7, 1)) == [("agreement_signed", date(2018, 6, 30))]
        assert [c for c, _ in late_on(date(2023, 1, 1))] == ["agreement_signed", "accepted"]
        overdue = status.table(session, status.EnterpriseFilter(
            as_of=date(2018, 7, 1), overdue=True, per_page=500))
        assert eid in [s.id for s in overdue.rows]


def test_dashboard_numbers_agree_with_the_sample(session):
    day = date(2020, 12, 31)
    data = dashboard.dashboard(session, day)
    assert data["total"] == 172 and data["matrix"]["total"] == 172
    assert sum(data["matrix"]["zone_totals"]) == 172
    expected = {c: 0 for c in STAGE_CODES}
    for feat in SAMPLE:
        expected[_expected_stage(feat["properties"]["stage_dates"], day)] += 1
    assert data["stage_counts"] == expected
    assert {r["stage"]: r["total"] for r in data["matrix"]["rows"]} == expected
    full = next(m for m in data["milestones"] if m["key"] == "full_2022")
    assert full["due"] is False and full["reached_at_deadline"] is None
    five = next(m for m in data["milestones"] if m["key"] == "five_years")
    halted_by_2018 = sum(1 for f in SAMPLE
                         if _expected_stage(f["properties"]["stage_dates"], date(2018, 12, 31)) in STAGE_CODES[3:])
    assert five["due"] and five["reached_at_deadline"] == halted_by_2018
    monthly = data["monthly"]
    reached = sum(sum(d["data"]) for d in monthly["datasets"])
    assert reached == sum(1 for f in SAMPLE for d in f["properties"]["stage_dates"].values()
                          if date.fromisoformat(d) <= day)
    assert monthly["labels"][-1] == "2020-12"
    assert all(e["late"] for e in data["overdue"])


def test_future_as_of_is_refused(session):
    import pytest

    from gis_tracker.errors import BadParameter
    with pytest.raises(BadParameter):
        status.statuses(session, date.today() + timedelta(days=1))


def test_migration_backfills_one_transition_per_reached_stage(empty_database_url):
    engine = create_engine(empty_database_url)
    try:
        migrations.downgrade(engine, "base")
        migrations.upgrade(engine, "0002_versions_layers")
        with engine.begin() as conn:
            conn.execute(text(
                "INSERT INTO enterprises (name, path, stage, stage_dates, geom) VALUES "
                "('转型企业', 'transform', 'remediation', :d1, ST_SetSRID(ST_MakePoint(500000, 3090000), 4547)),"
                "('未启动企业', 'relocate', 'not_started', '{}', ST_SetSRID(ST_MakePoint(500100, 3090000), 4547))"),
                {"d1": json.dumps({"assessment": "2015-07-16", "agreement_signed": "2017-02-26",
                                   "production_halted": "2018-03-22", "remediation": "2019-03-19"})})
        migrations.upgrade(engine, "0003_relocation")
        with engine.connect() as conn:
            rows = conn.execute(text(
                "SELECT e.name, t.from_stage, t.to_stage, t.on_date, t.direction FROM stage_transitions t "
                "JOIN enterprises e ON e.id = t.enterprise_id ORDER BY t.id")).all()
        assert [(r.from_stage, r.to_stage, r.on_date.isoformat(), r.direction) for r in rows] == [
            ("not_started", "assessment", "2015-07-16", "forward"),
            ("assessment", "agreement_signed", "2017-02-26", "forward"),
            ("agreement_signed", "production_halted", "2018-03-22", "forward"),
            ("production_halted", "remediation", "2019-03-19", "forward"),  # transform may skip 设备拆除
        ]
        migrations.downgrade(engine, "0002_versions_layers")
        with engine.connect() as conn:
            assert conn.scalar(text("SELECT to_regclass('stage_transitions')")) is None
            assert conn.scalar(text("SELECT to_regclass('transition_attachments')")) is None
    finally:
        migrations.downgrade(engine, "base")
        engine.dispose()
