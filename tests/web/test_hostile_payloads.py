"""SQL injection, XSS and path-traversal payloads in every text field and query parameter are inert."""
from __future__ import annotations

import json
import re
import time

import pytest
from sqlalchemy import text

from tests.factories import unique
from tests.support.clients import PASSWORD, csrf_token_of, login

SQLI = ["' OR '1'='1", "1; DROP TABLE projects; --", "name) FROM users; --", "1' AND pg_sleep(3) IS NULL --",
        "\" OR 1=1 --", "1 UNION SELECT password_hash FROM users"]
XSS = ["<script>alert(1)</script>", "\"><img src=x onerror=alert(1)>", "javascript:alert(1)",
       "<svg/onload=alert(1)>", "{{7*7}}", "${7*7}"]
TRAVERSAL = ["../../../../etc/passwd", "..%2f..%2f..%2fetc%2fpasswd", "....//....//etc/passwd",
             "/etc/passwd", "..\\..\\windows\\win.ini", "%00../../etc/passwd"]
PAYLOADS = SQLI + XSS + TRAVERSAL
QUERY_NAMES = ["limit", "offset", "bbox", "sortby", "f", "properties", "q", "crs", "name"]
# One string carrying all three attacks, for the parameter-by-parameter sweep (keeps the suite fast).
COMBINED = "../../../../etc/passwd' AND pg_sleep(3) IS NULL -- <script>alert(1)</script>"


def _auth(token):
    return {"Authorization": f"Bearer {token}"}


def _get_routes(app):
    """Every GET route of the JSON API, with path variables filled in with a real collection/id."""
    urls = []
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or not rule.rule.startswith(("/api/", "/ogc", "/tiles/")):
            continue
        url = re.sub(r"<int:[a-z_]+>", "1", rule.rule)
        url = re.sub(r"<(?:[a-z]+:)?collection_id>", "projects", url)
        url = re.sub(r"<(?:[a-z]+:)?[a-z_]+>", "1", url)
        urls.append(url)
    return sorted(set(urls))


def _table_counts(session):
    return session.execute(text("SELECT (SELECT count(*) FROM users), (SELECT count(*) FROM projects), "
                                "(SELECT count(*) FROM enterprises)")).one()


def _sweep(app, api_token, session, payload, one_at_a_time: bool):
    client = app.test_client()
    before = _table_counts(session)
    slow = []
    for url in _get_routes(app):
        queries = ([{name: payload} for name in QUERY_NAMES] if one_at_a_time
                   else [{name: payload for name in QUERY_NAMES}])
        for query in queries:
            started = time.monotonic()
            resp = client.get(url, query_string=query, headers=_auth(api_token))
            if time.monotonic() - started > 2.5:
                slow.append(f"{url}?{','.join(query)}")
            assert resp.status_code < 500, (url, query, resp.status_code, resp.data[:300])
            if resp.status_code >= 400 and resp.mimetype == "application/json":
                assert resp.get_json()["code"]
            assert b"root:x:0:0" not in resp.data
    assert not (slow and "pg_sleep" in payload), slow  # the injected sleep never ran
    session.rollback()
    assert _table_counts(session) == before


def test_payloads_in_each_query_parameter_of_every_get_route(app, api_token, session):
    _sweep(app, api_token, session, COMBINED, one_at_a_time=True)


@pytest.mark.parametrize("payload", PAYLOADS)
def test_every_payload_in_all_query_parameters_at_once(app, api_token, session, payload):
    _sweep(app, api_token, session, payload, one_at_a_time=False)


@pytest.mark.parametrize("payload", PAYLOADS)
def test_payloads_as_path_segments(app, api_token, payload):
    client = app.test_client()
    for template in ("/ogc/collections/{}", "/ogc/collections/{}/items", "/ogc/collections/projects/items/{}",
                     "/api/collections/{}/items/1/versions", "/tiles/{}.json"):
        resp = client.get(template.format(payload), headers=_auth(api_token))
        assert resp.status_code in (400, 404), (template, resp.status_code)
        assert b"root:x:0:0" not in resp.data


@pytest.mark.parametrize("url", ["/static/../../../../etc/passwd", "/static/..%2f..%2f..%2f..%2fetc%2fpasswd",
                                 "/static/%2e%2e/%2e%2e/%2e%2e/etc/passwd", "/static//etc/passwd",
                                 "/static/vendor/../../app.py", "/static/../gis_tracker/config.py"])
def test_static_files_cannot_escape_their_folder(client, url):
    resp = client.get(url, follow_redirects=True)
    assert resp.status_code in (400, 404)
    body = resp.get_data(as_text=True)
    assert "root:x:0:0" not in body and "SECRET_KEY" not in body


def test_payloads_in_every_text_field_are_stored_verbatim_and_escaped_on_pages(app, api_token, session):
    """Each payload goes into every string field of a project; read back unchanged; HTML shows it escaped."""
    client = app.test_client()
    admin = login(app.test_client(), "admin")
    for payload in PAYLOADS:
        name = unique(payload)[:200]
        body = {"type": "Feature", "geometry": {"type": "Polygon", "coordinates": [[[113.10, 27.95], [113.101, 27.95],
                                                                                     [113.101, 27.951], [113.10, 27.951],
                                                                                     [113.10, 27.95]]]},
                "properties": {"name": name, "project_type": "public", "status": "planned", "description": payload}}
        resp = client.post("/ogc/collections/projects/items", data=json.dumps(body),
                           content_type="application/geo+json", headers=_auth(api_token))
        assert resp.status_code == 201, resp.get_json()
        url = resp.headers["Location"].replace("http://localhost", "")
        stored = client.get(url, headers=_auth(api_token)).get_json()["properties"]
        assert stored["name"] == name and stored["description"] == payload
        html = admin.get(url + "?f=html", headers={"Accept": "text/html"}).get_data(as_text=True)
        for raw in ("<script>alert(1)</script>", "<img src=x onerror", "<svg/onload"):
            assert raw not in html
        audit_html = admin.get("/admin/audit?object_type=projects&object_id=" + url.rsplit("/", 1)[1])
        assert audit_html.status_code == 200
        for raw in ("<script>alert(1)</script>", "<img src=x onerror", "<svg/onload"):
            assert raw not in audit_html.get_data(as_text=True)
    assert session.scalar(text("SELECT count(*) FROM users WHERE username = 'admin'")) == 1


@pytest.fixture(scope="module")
def login_target(app):
    """A user of its own, so failed logins here never throttle the shared test accounts."""
    from gis_tracker.db import db
    from gis_tracker.services.accounts import users
    name = unique("inject")
    with app.app_context():
        users.create_user(db.session, name, "viewer", PASSWORD)
        db.session.close()
    return name


@pytest.mark.parametrize("payload", SQLI + XSS)
def test_login_form_payloads_do_not_log_anyone_in(app, login_target, payload):
    index = PAYLOADS.index(payload)
    for n, (username, password) in enumerate(((payload, PASSWORD), (login_target, payload))):
        client = app.test_client()
        environ = {"REMOTE_ADDR": f"10.250.{n}.{index + 1}"}
        token = csrf_token_of(client)
        resp = client.post("/login", data={"username": username, "password": password, "csrf_token": token},
                           environ_base=environ)
        # 429 once the target account has had its 5 failures: still nobody logged in.
        assert resp.status_code in (400, 401, 429), resp.status_code
        assert "<script>alert(1)</script>" not in resp.get_data(as_text=True)


@pytest.mark.parametrize("payload", PAYLOADS)
def test_admin_forms_and_filters_treat_payloads_as_text(admin_client, payload):
    token = csrf_token_of(admin_client)
    resp = admin_client.post("/admin/users", data={"username": payload[:60], "role": "viewer",
                                                   "password": "payload-pass-1", "csrf_token": token})
    assert resp.status_code in (302, 400, 409)
    listing = admin_client.get("/admin/users").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in listing and "<svg/onload" not in listing
    audit = admin_client.get("/admin/audit", query_string={"user": payload, "object_type": payload,
                                                           "object_id": payload})
    assert audit.status_code == 200
    assert "<script>alert(1)</script>" not in audit.get_data(as_text=True)
