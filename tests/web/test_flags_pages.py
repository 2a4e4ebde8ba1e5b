"""合规审查 pages in headless Chromium: the list filters, a project's page draws its overlaps, status change."""
import pytest
from sqlalchemy import select

from gis_tracker.db import db
from gis_tracker.models import Project
from tests.support.browser import log_in

pytestmark = pytest.mark.browser


def _pid(app, name):
    with app.app_context():
        return db.session.scalar(select(Project.id).where(Project.name == name))


def test_flags_list_filters_and_project_page_map(browser, live_server, app):
    context = browser.new_context()
    page = context.new_page()
    errors = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    log_in(page, live_server, "viewer")
    page.click("nav.mainnav >> text=合规审查")
    page.wait_for_url(live_server + "/flags/")
    rows = page.locator("#flags-table tbody tr[data-flag]")
    assert rows.count() >= 10
    page.select_option("select[name=severity]", "violation")
    page.click(".filters button[type=submit]")
    page.wait_for_url("**severity=violation**")
    severities = page.locator("#flags-table tbody tr[data-flag]").evaluate_all(
        "rows => rows.map(r => r.dataset.severity)")
    assert severities and set(severities) == {"violation"}
    page.click("#flags-table >> text=白马欧洲小镇")
    page.wait_for_selector("#flag-map[data-ready='1']")
    assert page.text_content("#conclusion").strip() == "不通过"
    assert int(page.get_attribute("#flag-map", "data-features")) >= 4  # project, 2 zones, 2 overlaps
    assert page.locator(".flag-card[data-rule='green_heart_prohibited']").count() == 1
    assert page.locator(".status-form").count() == 0  # viewers only look
    assert errors == []
    context.close()


def test_planner_acknowledges_a_flag_from_the_project_page(browser, live_server, app):
    pid = _pid(app, "示例·清水湖片区安置小区")
    context = browser.new_context()
    page = context.new_page()
    log_in(page, live_server, "planner")
    page.goto(f"{live_server}/flags/projects/{pid}")
    card = page.locator(".flag-card[data-rule='water_body_overlap']")
    before = card.get_attribute("data-status")
    target = "acknowledged" if before == "open" else "open"
    card.locator("select[name=status]").select_option(target)
    card.locator("button[type=submit]").click()
    page.wait_for_selector(f".flag-card[data-rule='water_body_overlap'][data-status='{target}']")
    if target == "acknowledged":  # put it back for other tests
        card = page.locator(".flag-card[data-rule='water_body_overlap']")
        card.locator("select[name=status]").select_option("open")
        card.locator("button[type=submit]").click()
        page.wait_for_selector(".flag-card[data-rule='water_body_overlap'][data-status='open']")
    context.close()
