"""Every route of the app is declared in the access table and behaves as declared for every role.

The table is ``gis_tracker/access.py``.  This test enumerates ``app.url_map``
(so a route added anywhere is checked), fails listing the lines to add for
routes missing from the table, then calls every route with every method as
anonymous and as each role: anonymous requests reach only the public routes;
a role outside a route's row gets 403 ``role_forbidden``; a role inside it is
let through (never 401/403 from the table, never a 5xx).
"""
from __future__ import annotations

import re

from gis_tracker import access
from tests.support.clients import csrf_token_of, login

PLACEHOLDER_INT = 2147483000  # no such object: views answer 404 once the gate lets the request through
API_PREFIXES = ("/api/", "/ogc", "/tiles/")


def _methods(rule) -> list[str]:
    return sorted(rule.methods - {"HEAD", "OPTIONS"})


def _url(rule) -> str:
    def fill(match):
        converter, name = match.group(1) or "default", match.group(2)
        if converter == "int":
            return str(PLACEHOLDER_INT)
        if converter == "path":
            return "no/such/file.txt"
        return "no-such-" + name
    return re.sub(r"<(?:([a-z]+)(?:\([^)]*\))?:)?([a-zA-Z_]+)>", fill, rule.rule)


def test_every_route_is_declared_in_the_access_table(app):
    missing = []
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.endpoint):
        for method in _methods(rule):
            if access.allowed_roles(rule.endpoint, method) is None:
                missing.append(f'    "{rule.endpoint}": {{"{method}": ANY_USER}},  # {method} {rule.rule}')
    assert not missing, (
        "These routes are not in the access table. Add each to ACCESS in gis_tracker/access.py "
        "(roles: PUBLIC, ANY_USER, EDITORS, ADMIN or a tuple of role names; merge methods of the "
        "same endpoint into one dict), or call access.declare(...) from your blueprint module:\n"
        + "\n".join(missing))


def test_access_table_names_no_unknown_routes_or_roles(app):
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    for endpoint, methods in access.ACCESS.items():
        for method, roles in methods.items():
            assert set(roles) <= set(access.PUBLIC), (endpoint, method, roles)
    # Rows for routes that were removed are harmless but confusing: list them.
    stale = sorted(set(access.ACCESS) - endpoints)
    assert len(stale) <= 5, f"stale rows in gis_tracker/access.py: {stale}"


class _RoleClients:
    """One logged-in test client per role (logged in again if a call logged it out)."""

    def __init__(self, app) -> None:
        self.app = app
        self.clients = {}

    def get(self, role: str):
        if role == access.ANONYMOUS:
            return self.app.test_client()
        client = self.clients.get(role)
        if client is None or client.get("/account").status_code != 200:  # logged out by a call: again
            client = login(self.app.test_client(), role)
            client.csrf_token = csrf_token_of(client)
            self.clients[role] = client
        return client


def _call(client, method: str, url: str):
    token = getattr(client, "csrf_token", None)
    headers = {"X-CSRFToken": token} if token else {}
    kwargs = {"json": {}} if method in ("POST", "PUT", "PATCH") else {}
    return client.open(url, method=method, headers=headers, **kwargs)


def test_every_route_answers_each_role_as_declared(app):
    clients = _RoleClients(app)
    problems, checked = [], 0
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.endpoint):
        url = _url(rule)
        is_api = url.startswith(API_PREFIXES) or url == "/ogc"
        for method in _methods(rule):
            allowed = access.allowed_roles(rule.endpoint, method)
            if allowed is None:
                continue  # reported by test_every_route_is_declared_in_the_access_table
            for role in access.PUBLIC:
                resp = _call(clients.get(role), method, url)
                checked += 1
                status = resp.status_code
                where = f"{method} {url} ({rule.endpoint}) as {role}: {status}"
                if status >= 500:
                    problems.append(f"{where} — server error")
                elif role == access.ANONYMOUS and role not in allowed:
                    login_redirect = status == 302 and "/login" in resp.headers.get("Location", "")
                    if is_api and status != 401:
                        problems.append(f"{where} — anonymous API call must get 401")
                    elif not is_api and not (login_redirect or status in (400, 401)):
                        problems.append(f"{where} — anonymous page must redirect to /login")
                elif role == access.ANONYMOUS:
                    if status == 401 or (status == 302 and "/login" in resp.headers.get("Location", "")):
                        problems.append(f"{where} — public route asked for a login")
                elif role not in allowed:
                    body = resp.get_json(silent=True) or {}
                    if status != 403 or (is_api and body.get("code") != "role_forbidden"):
                        problems.append(f"{where} — role not in the table, expected 403 role_forbidden")
                elif status == 401 or (status == 403 and rule.endpoint not in access.OBJECT_LEVEL):
                    problems.append(f"{where} — role is in the table but was refused")
    assert not problems, "\n".join(problems)
    assert checked >= 5 * 30


def test_only_login_static_favicon_and_health_checks_are_public():
    public = sorted(e for e, methods in access.ACCESS.items()
                    if any(access.ANONYMOUS in roles for roles in methods.values()))
    assert public == ["auth.login", "health.favicon", "health.healthz", "health.readyz", "static"]
