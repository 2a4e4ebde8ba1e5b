"""In Chromium (strict CSP, real clicks): the notification bell, the then-vs-now view and the indicator register."""
from __future__ import annotations

import pytest
from sqlalchemy import delete, func, select

from gis_tracker.db import db
from gis_tracker.models import PlanIndicatorValue, Project, User
from gis_tracker.services.accounts import notifications
from tests.factories import unique
from tests.support.browser import log_in, wait_until

pytestmark = pytest.mark.browser


def _context(browser):
    context = browser.new_context(viewport={"width": 1300, "height": 900}, accept_downloads=True)
    page = context.new_page()
    errors = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" and "status of 4" not in msg.text
            else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    return context, page, errors


def _unread(app, username: str) -> int:
    with app.app_context():
        user = db.session.scalar(select(User).where(User.username == username))
        return notifications.unread_count(db.session, user)


def test_the_bell_counts_unread_notices_opens_them_and_goes_to_the_object(app, browser, live_server):
    name = unique("铃铛项目")
    with app.app_context():
        project_id = db.session.scalar(select(func.min(Project.id)).where(Project.deleted_at.is_(None)))
        notifications.project_blocked(db.session, project_id=project_id, project_name=name, report_number=name)
        db.session.commit()
    context, page, errors = _context(browser)
    try:
        log_in(page, live_server, "planner")
        page.goto(live_server + "/notifications")
        before = _unread(app, "planner")
        badge = page.locator("#bell-count")
        assert badge.is_visible() and badge.inner_text() == (str(before) if before < 100 else "99+")
        page.click("#bell-button")
        page.locator("#notification-bell[data-list-ready='1']").wait_for()
        item = page.locator("#bell-list li.unread button", has_text=name)
        assert item.count() == 1
        item.click()
        page.wait_for_url(f"{live_server}/flags/projects/{project_id}")
        wait_until(page, lambda: _unread(app, "planner") == before - 1, what="the notice to be read")
        assert page.locator("#bell-count").get_attribute("data-count") == str(before - 1)
        # mark everything read from the panel: the badge goes away
        page.click("#bell-button")
        page.locator("#notification-bell[data-list-ready='1']").wait_for()
        page.click("#bell-readall")
        page.locator("#bell-count[hidden]").wait_for(state="attached")
        assert _unread(app, "planner") == 0
        assert errors == []
    finally:
        context.close()


def test_the_comparison_view_shows_both_dates_and_exports_a_pdf(app, browser, live_server, tmp_path):
    context, page, errors = _context(browser)
    try:
        log_in(page, live_server, "viewer")
        page.goto(live_server + "/planning/compare")
        page.locator("body[data-compare-ready='1']").wait_for()
        page.fill("#date-from", "2016-12-31")
        page.fill("#date-to", "2020-12-31")
        page.click("#compare-run")
        page.locator("body[data-compare-ready='1']").wait_for()
        wait_until(page, lambda: page.locator("#label-a").inner_text() == "2016-12-31", what="the new comparison")
        api = page.request.get(live_server + "/api/compare?from=2016-12-31&to=2020-12-31").json()
        shown = page.locator('#summary strong[data-count="enterprises_changed"]').inner_text()
        assert shown == str(api["counts"]["enterprises_changed"])
        drawn = page.evaluate("() => [window.compareLayers.a.getLayers().length, window.compareLayers.b.getLayers().length]")
        assert drawn == [api["relocation"]["counts"]["total"]] * 2
        assert page.locator("#changed-enterprises tbody tr").count() == max(1, len(api["relocation"]["changed"]))
        # the two maps move together
        page.evaluate("() => { window.compareMaps.a.setView([27.86, 113.08], 15, {animate: false}); }")
        centre = page.evaluate("() => [window.compareMaps.b.getZoom(), window.compareMaps.b.getCenter().lat]")
        assert centre[0] == 15 and abs(centre[1] - 27.86) < 1e-6
        page.click("#export-pdf")
        page.locator("#export-download").wait_for(timeout=60000)
        href = page.get_attribute("#export-download", "href")
        pdf = page.request.get(live_server + href)
        assert pdf.ok and pdf.body().startswith(b"%PDF-")
        assert errors == []
    finally:
        context.close()


def test_a_planner_enters_a_value_in_the_register_and_sees_its_status(app, browser, live_server):
    with app.app_context():
        mark = db.session.scalar(select(func.coalesce(func.max(PlanIndicatorValue.id), 0)))
    context, page, errors = _context(browser)
    try:
        log_in(page, live_server, "planner")
        page.goto(live_server + "/planning/indicators")
        page.locator("body[data-charts-ready='1']").wait_for()
        card = page.locator("#ind-waste_sorting")
        assert card.locator(".status").first.inner_text().startswith("无数据")
        card.locator("summary").click()
        card.locator("input[name=year]").fill("2016")
        card.locator("input[name=value]").fill("55")
        card.locator("input[name=source]").fill("区城管局《2016年生活垃圾分类工作总结》")
        card.locator("button[type=submit]", has_text="保存").click()
        page.locator("body[data-charts-ready='1']").wait_for()
        card = page.locator("#ind-waste_sorting")
        row = card.locator("tr[data-year='2016']")
        assert row.locator("td").nth(1).inner_text() == "55" and "未达标" in row.inner_text()
        assert "区城管局" in row.inner_text() and "planner" in row.inner_text()
        assert card.get_attribute("data-status") == "not_met"
        series = page.evaluate("() => window.indicatorCharts.waste_sorting.data.datasets.map(d => d.data)")
        assert series[0] == [55] and series[1] == [90]  # the value against the target line
        # a second save of the same year replaces it with the version the page was shown at
        card.locator("summary").click()
        card.locator("input[name=year]").fill("2016")
        card.locator("input[name=value]").fill("91")
        card.locator("input[name=source]").fill("更正")
        card.locator("button[type=submit]", has_text="保存").click()
        page.locator("body[data-charts-ready='1']").wait_for()
        assert page.locator("#ind-waste_sorting").get_attribute("data-status") == "met"
        assert errors == []
    finally:
        context.close()
        with app.app_context():
            db.session.execute(delete(PlanIndicatorValue).where(PlanIndicatorValue.id > mark))
            db.session.commit()
