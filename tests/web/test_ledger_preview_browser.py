"""The ledger preview in Chromium: the exported ledger previews as no changes; rows can be narrowed to problems."""
from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook

from tests.support.browser import log_in
from tests.support.clients import login

pytestmark = pytest.mark.browser


def test_exported_ledger_previews_unchanged_and_the_preview_filters_to_problems(browser, live_server, app, tmp_path):
    client = login(app.test_client(), "relocation_officer")
    book = load_workbook(io.BytesIO(client.get("/api/relocation/ledger/export?format=xlsx").data))
    sheet = book.active
    sheet.append([999, "示例·台账里才有的企业", None, "化工", "关停", None, "停产", "2019-01-01", "2020-01-01"])
    path = tmp_path / "台账.xlsx"
    book.save(path)

    context = browser.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    log_in(page, live_server, "relocation_officer")
    page.goto(live_server + "/relocation/ledger")
    page.set_input_files("#ledger-form input[type=file]", str(path))
    page.click("#ledger-form button[type=submit]")
    page.wait_for_selector("#preview-table")
    statuses = page.locator("#preview-table tbody tr[data-status]").evaluate_all("rs => rs.map(r => r.dataset.status)")
    assert len(statuses) == 173 and statuses.count("error") == 1 and statuses.count("change") == 0
    page.check("#preview-filter input[value=problems]")
    visible = page.locator("#preview-table tbody tr[data-status]:visible")
    assert visible.count() == 1 and "台账里才有的企业" in visible.inner_text()
    assert page.text_content("#preview-shown").strip() == "显示 1 / 173 行"
    page.screenshot(path=str(tmp_path / "ledger-problems.png"), full_page=True)
    page.check("#preview-filter input[value=all]")
    assert page.locator("#preview-table tbody tr[data-status]:visible").count() == 173
    assert errors == []
    context.close()
