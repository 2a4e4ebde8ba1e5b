"""Login is required everywhere except the login page, static files, the favicon and health checks."""
import re

import pytest

from tests.support.clients import csrf_token_of

PUBLIC = {"auth.login", "static", "health.healthz", "health.readyz", "health.favicon"}


def _concrete(rule) -> str:
    """Fill a URL rule's variables with plausible values."""
    return re.sub(r"<(?:([^:>]+):)?([^>]+)>",
                  lambda m: "1" if m.group(1) == "int" or "id" in m.group(2) else "x", rule.rule)


def test_every_non_public_route_requires_login(app):
    client = app.test_client()
    checked = 0
    for rule in app.url_map.iter_rules():
        if rule.endpoint in PUBLIC:
            continue
        url = _concrete(rule)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            resp = client.open(url, method=method)
            checked += 1
            if url.startswith(("/api/", "/ogc", "/tiles/")):
                assert resp.status_code == 401, (method, url, resp.status_code)
                assert resp.get_json()["code"] == "unauthorized"
            else:
                assert resp.status_code in (302, 400, 401), (method, url, resp.status_code)
                if resp.status_code == 302:
                    assert "/login" in resp.headers["Location"]
    assert checked >= 8


@pytest.mark.parametrize("url", ["/healthz", "/readyz", "/login", "/static/css/app.css", "/favicon.ico"])
def test_public_routes_answer_anonymously(client, url):
    assert client.get(url).status_code == 200


def test_wrong_password_and_unknown_user_get_the_same_message(client):
    token = csrf_token_of(client)
    wrong = client.post("/login", data={"username": "admin", "password": "nope-nope", "csrf_token": token})
    unknown = client.post("/login", data={"username": "nobody", "password": "nope-nope", "csrf_token": token})
    assert wrong.status_code == unknown.status_code == 401
    assert "用户名或密码错误" in wrong.get_data(as_text=True)
    assert "用户名或密码错误" in unknown.get_data(as_text=True)


def test_login_then_map_page(admin_client):
    page = admin_client.get("/")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "石峰区" in html and 'lang="zh-CN"' in html


def test_english_is_switchable(admin_client):
    html = admin_client.get("/?lang=en").get_data(as_text=True)
    assert 'lang="en"' in html and "Shifeng" in html


def test_open_redirect_is_refused(client):
    token = csrf_token_of(client)
    resp = client.post("/login?next=//evil.example/x",
                       data={"username": "viewer", "password": "test-password-1", "csrf_token": token})
    assert resp.status_code == 302 and resp.headers["Location"] == "/"
