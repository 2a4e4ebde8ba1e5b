"""Pages read well (issue 18, item 11): the export zone menu grouped by 片区, zone names (not codes) in the
flags list, the enterprise list readable at 1366 px without wrapping short columns."""
import pytest

from tests.support.browser import log_in

pytestmark = pytest.mark.browser
ZONE_CODES = ("TX", "QST", "JLS")


def _page(browser, live_server, role, width=1366, height=768):
    context = browser.new_context(viewport={"width": width, "height": height})
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    log_in(page, live_server, role)
    return context, page, errors


def test_export_zone_menu_is_grouped_by_zone(browser, live_server):
    context, page, errors = _page(browser, live_server, "planner")
    page.goto(live_server + "/exports/")
    groups = page.evaluate("""() => [...document.querySelectorAll('#snapshot-form select[name=zone] optgroup')]
        .map(g => ({label: g.label, options: [...g.querySelectorAll('option')].map(o => [o.value, o.textContent])}))""")
    labels = [g["label"] for g in groups]
    assert {"田心片区", "清水塘片区", "九郎山片区"} <= set(labels), labels
    # every option is inside a group; the group's first option is the whole zone, then its sub-areas
    assert page.locator("#snapshot-form select[name=zone] > option").count() == 0
    qst = next(g for g in groups if g["label"] == "清水塘片区")
    assert qst["options"][0][0] == "清水塘片区" and "整个片区" in qst["options"][0][1]
    assert len(qst["options"]) > 5 and "综合产业片" in [v for v, _ in qst["options"]]
    tx = next(g for g in groups if g["label"] == "田心片区")
    assert "综合产业片" not in [v for v, _ in tx["options"]]

    # choosing a sub-area in its group and exporting still works (the value is the zone's name)
    page.check('#snapshot-form input[name=extent_mode][value=zone]')
    page.select_option('#snapshot-form select[name=zone]', "综合产业片")
    assert page.eval_on_selector('#snapshot-form select[name=zone]',
                                 "s => s.selectedOptions[0].parentElement.label") == "清水塘片区"

    page.goto(live_server + "/exports/?lang=en")
    labels_en = page.evaluate("""() => [...document.querySelectorAll('#snapshot-form select[name=zone] optgroup')]
        .map(g => g.label)""")
    assert "Qingshuitang Area" in labels_en, labels_en
    first = page.locator('#snapshot-form select[name=zone] optgroup[label="Qingshuitang Area"] option').first
    assert first.get_attribute("value") == "清水塘片区" and "whole zone" in first.inner_text()
    assert errors == []
    context.close()


@pytest.mark.parametrize(("lang", "expected"), [("zh", "清水塘片区"), ("en", "Qingshuitang Area")])
def test_flags_list_shows_zone_names_not_codes(browser, live_server, lang, expected):
    context, page, errors = _page(browser, live_server, "planner")
    page.goto(live_server + f"/flags/?lang={lang}")
    cells = page.locator("#flags-table td[data-zone]").all_inner_texts()
    assert cells and any(expected in c for c in cells), cells
    assert not any(c.strip().split("\n")[0] in ZONE_CODES for c in cells), cells
    menu = page.locator("select[name=zone] option").all_inner_texts()
    assert expected in menu and not set(menu) & set(ZONE_CODES), menu
    assert errors == []
    context.close()


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_enterprise_list_short_columns_do_not_wrap_at_1366(browser, live_server, lang):
    context, page, errors = _page(browser, live_server, "relocation_officer")
    page.goto(live_server + f"/relocation/?lang={lang}")
    page.locator("#enterprise-table tbody tr[data-id]").first.wait_for()
    # A cell wrapped if the line boxes of its text (Range client rects of its text nodes) start at different heights.
    wrapped = page.evaluate("""() => {
        const out = [];
        document.querySelectorAll('#enterprise-table tbody tr[data-id]').forEach(tr => {
            [3, 4, 5, 6].forEach(i => {          // industry, path, stage, date
                const td = tr.children[i];
                const walker = document.createTreeWalker(td, NodeFilter.SHOW_TEXT);
                const tops = [];
                for (let n = walker.nextNode(); n; n = walker.nextNode()) {
                    const range = document.createRange();
                    range.selectNodeContents(n);
                    [...range.getClientRects()].filter(r => r.width > 0).forEach(r => tops.push(r.top));
                }
                if (tops.length && Math.max(...tops) - Math.min(...tops) > 4) { out.push(td.textContent.trim()); }
            });
        });
        return out;
    }""")
    assert wrapped == [], wrapped[:10]
    # the page itself never scrolls sideways: a table too wide scrolls inside its own box
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert page.evaluate("getComputedStyle(document.querySelector('.table-scroll')).overflowX") == "auto"
    page.screenshot(path=f"/tmp/enterprise-list-1366-{lang}.png")
    assert errors == []
    context.close()
