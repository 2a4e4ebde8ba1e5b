"""Under the real Content-Security-Policy, Chromium blocks nothing on our pages (and would block injected script)."""
import pytest

from tests.support.browser import log_in

pytestmark = pytest.mark.browser
PAGES = ["/", "/account", "/admin/users", "/admin/roles", "/admin/tokens", "/admin/audit"]


def test_pages_load_without_csp_violations(browser, live_server):
    context = browser.new_context()
    page = context.new_page()
    violations = []
    page.on("console", lambda msg: violations.append(f"{page.url}: {msg.text}")
            if "Content Security Policy" in msg.text else None)
    try:
        log_in(page, live_server, "admin")
        for path in PAGES:
            resp = page.goto(live_server + path)
            assert resp.status == 200, path
            assert "script-src 'self'" in resp.headers["content-security-policy"]
            page.wait_for_load_state("networkidle")
        page.goto(live_server + "/")
        page.wait_for_function("document.querySelectorAll('.leaflet-interactive, canvas').length > 0")
    finally:
        context.close()
    assert violations == []


def test_an_injected_inline_script_would_be_blocked(browser, live_server):
    """The policy really bites: an inline script added to our page does not run."""
    context = browser.new_context()
    page = context.new_page()
    messages = []
    page.on("console", lambda msg: messages.append(msg.text))
    try:
        log_in(page, live_server, "admin")
        page.evaluate("""() => { const s = document.createElement('script');
                                 s.textContent = 'window.__pwned = true'; document.body.appendChild(s); }""")
        assert page.evaluate("() => window.__pwned === true") is False
    finally:
        context.close()
    assert any("Content Security Policy" in m for m in messages)
