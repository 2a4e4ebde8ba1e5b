"""The daily deadline scan (flask notify scan): overdue stages, passed milestones, due restorations, once each."""
from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import func, select

from gis_tracker.models import Notification, NotificationMark, User
from gis_tracker.services.planning import deadlines, restoration
from tests.factories import add_project, add_water, borrowed_enterprise, cell, rect, retire


def _mark(session) -> int:
    return session.scalar(select(func.coalesce(func.max(Notification.id), 0)))


def _since(session, mark: int, username: str, event: str) -> list[Notification]:
    session.expire_all()
    return list(session.scalars(select(Notification).join(User, User.id == Notification.user_id).where(
        Notification.id > mark, User.username == username, Notification.event == event)))


def test_overdue_stages_and_missed_milestones_are_told_once(app, session):
    deadlines.scan(session)  # whatever the sample data has overdue is announced now (grouped)
    milestones = session.scalars(select(NotificationMark.key).where(NotificationMark.event == "milestone_missed")).all()
    assert any(k.startswith("milestone:full_2022:") for k in milestones)  # the sample is short of 2022
    planned = (date.today() - timedelta(days=3)).isoformat()
    with borrowed_enterprise(app, "assessment", "close", planned_dates={"agreement_signed": planned}) as eid:
        mark = _mark(session)
        sent = deadlines.scan(session)
        assert sent["stage_overdue"] >= 1
        for username in ("relocation_officer", "admin"):
            found = _since(session, mark, username, "stage_overdue")
            assert len(found) == 1 and f"计划 {planned}" in found[0].title and "协议签订" in found[0].title
            assert found[0].link == f"/relocation/enterprises/{eid}"
        assert _since(session, mark, "planner", "stage_overdue") == []
        mark = _mark(session)
        assert deadlines.scan(session)["stage_overdue"] == 0  # told once
        assert _since(session, mark, "admin", "stage_overdue") == []


def test_restorations_due_soon_and_overdue_are_told_to_planners(app, session):
    deadlines.scan(session)
    x, y = cell(67)
    water = add_water(session, rect(x + 10, y + 10, x + 60, y + 60))
    soon = add_project(session, rect(x, y, x + 100, y + 100),
                       completion_date=date.today() - timedelta(days=365 - 20))
    late = add_project(session, rect(x + 5, y + 5, x + 95, y + 95), completion_date=date.today() - timedelta(days=500))
    restoration.refresh(session, [soon.id, late.id])
    session.commit()
    try:
        mark = _mark(session)
        result = app.test_cli_runner().invoke(args=["notify", "scan"])
        assert result.exit_code == 0, result.output
        titles = [n.title for n in _since(session, mark, "planner", "restoration_deadline")]
        assert any(soon.name in t and "即将到期" in t for t in titles)
        assert any(late.name in t and "已逾期" in t for t in titles)
        assert _since(session, mark, "viewer", "restoration_deadline") == []
        mark = _mark(session)
        deadlines.scan(session)
        assert _since(session, mark, "planner", "restoration_deadline") == []
    finally:
        retire(session, soon, late, water)
