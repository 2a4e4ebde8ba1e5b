"""The review in Chromium: the register (合规审查 → 审查台账), issuing asks for confirmation, an admin override."""
from __future__ import annotations

import pytest
from shapely.geometry import box
from sqlalchemy import func, select

from gis_tracker.db import db
from gis_tracker.models import ReviewReport
from tests.factories import add_project, add_protected, cell, retire
from tests.support.browser import log_in

pytestmark = pytest.mark.browser


@pytest.fixture()
def failing_project(app):
    """A planned tourism project half inside a test 禁止开发区 (so its review fails)."""
    with app.app_context():
        x, y = cell(42)
        zone = add_protected(db.session, box(x, y, x + 200, y + 200), category="green_heart", tier="prohibited")
        project = add_project(db.session, box(x + 100, y, x + 300, y + 200), project_type="tourism")
        pid, zone_id = project.id, zone.id
        db.session.close()
    yield pid
    with app.app_context():
        from gis_tracker.models import Project, ProtectedArea
        retire(db.session, db.session.get(ProtectedArea, zone_id), db.session.get(Project, pid))
        db.session.close()


def _context(browser):
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    errors = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    return context, page, errors


def test_the_register_lists_filters_and_exports(browser, live_server, tmp_path):
    context, page, errors = _context(browser)
    log_in(page, live_server, "viewer")
    page.click("nav.mainnav >> text=合规审查")
    page.click("#nav-register")
    page.wait_for_url(live_server + "/flags/register")
    rows = page.locator("#register-table tbody tr[data-project]")
    assert rows.count() >= 39
    page.select_option("select[name=conclusion]", "fail")
    page.click("#register-filters button[type=submit]")
    page.wait_for_url("**conclusion=fail**")
    conclusions = page.locator("#register-table tbody tr[data-project]").evaluate_all(
        "rows => rows.map(r => r.dataset.conclusion)")
    assert conclusions and set(conclusions) == {"fail"}
    assert "收回土地使用权" in page.text_content("#register-table")  # failing on land use alone
    page.screenshot(path=str(tmp_path / "register.png"), full_page=True)
    with page.expect_download() as download:
        page.click("#register-export")
    saved = tmp_path / "register.xlsx"
    download.value.save_as(saved)
    assert saved.read_bytes()[:2] == b"PK"
    assert errors == []
    context.close()


def test_issuing_a_report_needs_the_confirmation_and_the_preview_shows_labels(browser, live_server, app,
                                                                              failing_project, tmp_path):
    context, page, errors = _context(browser)
    log_in(page, live_server, "planner")
    page.goto(f"{live_server}/flags/projects/{failing_project}")

    def issued():
        with app.app_context():
            return db.session.scalar(select(func.count()).select_from(ReviewReport)
                                     .where(ReviewReport.project_id == failing_project))
    page.click("#issue-report")  # not confirmed: the browser keeps the form
    assert page.url.endswith(f"/flags/projects/{failing_project}") and issued() == 0
    assert page.evaluate("document.getElementById('issue-confirm').validity.valueMissing") is True
    page.check("#issue-confirm")
    page.click("#issue-report")
    page.wait_for_selector("#reports tbody tr[data-report]")
    assert issued() == 1

    preview = context.new_page()
    preview.goto(f"{live_server}/flags/projects/{failing_project}/preview")
    body = preview.text_content("body")
    assert "旅游" in body and "规划中" in body
    assert "tourism" not in body and "planned" not in body
    preview.screenshot(path=str(tmp_path / "preview.png"), full_page=True)
    assert errors == []
    context.close()


def test_an_admin_overrides_from_the_review_page_and_the_reason_is_shown(browser, live_server, failing_project,
                                                                        tmp_path):
    context, page, errors = _context(browser)
    log_in(page, live_server, "admin")
    page.goto(f"{live_server}/flags/projects/{failing_project}")
    assert page.text_content("#conclusion").strip() == "不通过"
    page.select_option("#override-form select[name=status]", "approved")
    page.fill("#override-form input[name=reason]", "区政府专题会议同意先行批复（测试）")
    page.click("#override-form button[type=submit]")
    page.wait_for_selector("#review-override")
    assert page.text_content("#override-reason") == "区政府专题会议同意先行批复（测试）"
    assert page.get_attribute("#project-status", "data-status") == "approved"
    page.screenshot(path=str(tmp_path / "override.png"), full_page=True)
    assert errors == []
    context.close()
