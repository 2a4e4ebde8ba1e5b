"""Security headers, cookies, body limit (413 JSON), CSRF on every form."""
import re
from pathlib import Path

import pytest

from gis_tracker import create_app
from gis_tracker.config import TestConfig
from tests.support.clients import PASSWORD, csrf_token_of

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("url", ["/login", "/healthz", "/static/css/app.css", "/nope"])
def test_security_headers_on_every_answer(client, url):
    resp = client.get(url)
    csp = resp.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    assert resp.headers["X-Frame-Options"] == "DENY"
    assert resp.headers["Referrer-Policy"] == "same-origin"


def test_api_answers_carry_the_headers_too(client, api_token):
    resp = client.get("/ogc/collections", headers={"Authorization": f"Bearer {api_token}"})
    assert resp.status_code == 200 and resp.headers["X-Content-Type-Options"] == "nosniff"


def _session_cookie(resp) -> str:
    return next(h for h in resp.headers.getlist("Set-Cookie") if h.startswith("session="))


def test_session_cookie_is_httponly_lax_and_not_secure_over_http(client):
    cookie = _session_cookie(client.get("/login"))
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie


def test_session_cookie_is_secure_over_https(client):
    cookie = _session_cookie(client.get("/login", base_url="https://localhost"))
    assert "Secure" in cookie and "HttpOnly" in cookie


def test_behind_a_trusted_proxy_x_forwarded_proto_makes_the_cookie_secure(database_url):
    config = TestConfig(database_url)
    config.TRUSTED_PROXIES = 1
    app = create_app(config)
    try:
        resp = app.test_client().get("/login", headers={"X-Forwarded-Proto": "https",
                                                        "X-Forwarded-For": "10.1.2.3"})
        assert "Secure" in _session_cookie(resp)
    finally:
        app.extensions["db_engine"].dispose()


def test_without_trusted_proxies_forwarded_headers_are_ignored(client):
    resp = client.get("/login", headers={"X-Forwarded-Proto": "https"})
    assert "Secure" not in _session_cookie(resp)


def test_oversized_api_body_gets_413_json(database_url, api_token):
    config = TestConfig(database_url)
    config.MAX_CONTENT_LENGTH = 1024
    app = create_app(config)
    try:
        resp = app.test_client().post("/ogc/collections/projects/items", data=b"{" + b" " * 4096 + b"}",
                                      headers={"Authorization": f"Bearer {api_token}",
                                               "Content-Type": "application/geo+json"})
        assert resp.status_code == 413
        assert resp.get_json()["code"] == "payload_too_large"
        form = app.test_client().post("/login", data={"username": "x" * 4096, "password": "y"})
        assert form.status_code == 413 and "Traceback" not in form.get_data(as_text=True)
    finally:
        app.extensions["db_engine"].dispose()


def test_every_post_form_in_every_template_carries_the_csrf_token():
    """Static audit: each <form method="post"> has the hidden csrf_token field."""
    missing = []
    for path in (ROOT / "templates").rglob("*.html"):
        text = path.read_text(encoding="utf-8")
        for match in re.finditer(r"<form\b[^>]*>(.*?)</form>", text, re.S | re.I):
            opening = match.group(0)[:match.group(0).index(">") + 1]
            if re.search(r'method\s*=\s*["\']?post', opening, re.I) and "csrf_token" not in match.group(1):
                missing.append(f"{path.relative_to(ROOT)}: {opening}")
    assert missing == [], "add <input type=\"hidden\" name=\"csrf_token\" value=\"{{ csrf_token() }}\">: " + \
        "; ".join(missing)


def test_browser_write_without_csrf_token_is_refused(app):
    client = app.test_client()
    token = csrf_token_of(client)
    client.post("/login", data={"username": "planner", "password": PASSWORD, "csrf_token": token})
    resp = client.post("/ogc/collections/projects/items", json={"type": "Feature"})
    assert resp.status_code == 403 and resp.get_json()["code"] == "csrf_failed"
    page = client.post("/account/tokens", data={"name": "x"})
    assert page.status_code == 400
