"""Browser sessions live on the server: logout, password changes and admins end them, timeouts apply,
and the cookie carries nothing secret (only a random session id and the language)."""
from __future__ import annotations

import base64
import json
import zlib

import pytest
from sqlalchemy import select, text

from gis_tracker import create_app
from gis_tracker.config import TestConfig
from gis_tracker.db import db
from gis_tracker.models import AuditEntry, User
from gis_tracker.services.accounts import users
from tests.factories import unique
from tests.support.clients import csrf_token_of, login

PASSWORD = "session-pass-1"


@pytest.fixture()
def person(app):
    """A fresh viewer account (so ending its sessions never logs out another test's client)."""
    name = unique("s")
    with app.app_context():
        user = users.create_user(db.session, name, "viewer", PASSWORD)
        user_id = user.id
        db.session.close()
    return name, user_id


def _cookie(client) -> str:
    cookie = client.get_cookie("session")
    assert cookie is not None, "no session cookie"
    return cookie.value


def _decoded(cookie: str) -> dict:
    """Read a Flask session cookie the way anyone holding it can: it is signed, not encrypted."""
    payload = cookie[1:] if cookie.startswith(".") else cookie
    data = base64.urlsafe_b64decode(payload.split(".")[0] + "==")
    if cookie.startswith("."):
        data = zlib.decompress(data)
    return json.loads(data)


def _replay(app, cookie: str):
    """A second browser presenting a copy of ``cookie``."""
    other = app.test_client()
    other.set_cookie("session", cookie)
    return other


def _logged_in(client) -> bool:
    resp = client.get("/account")
    if resp.status_code == 302:
        assert "/login" in resp.headers["Location"]
        return False
    assert resp.status_code == 200
    return True


def _session_rows(app, user_id: int) -> int:
    with app.app_context():
        count = db.session.scalar(text("SELECT count(*) FROM browser_sessions WHERE user_id = :u"), {"u": user_id})
        db.session.close()
    return count


def test_the_cookie_holds_a_session_id_and_nothing_secret(app, person):
    name, user_id = person
    client = login(app.test_client(), name, PASSWORD)
    page_token = csrf_token_of(client, "/account")
    cookie = _cookie(client)
    content = _decoded(cookie)
    assert set(content) <= {"sid", "lang", "_flashes"}, content
    assert len(content["sid"]) >= 43  # 256 random bits
    assert page_token not in cookie and page_token not in json.dumps(content)  # no CSRF token in clear
    with app.app_context():
        password_hash = db.session.get(User, user_id).password_hash
        db.session.close()
    fragments = {password_hash[i:i + 8] for i in range(len(password_hash) - 8)}
    assert not any(f in json.dumps(content) for f in fragments)  # no piece of the Argon2id hash
    assert str(user_id) not in {str(v) for v in content.values()}


def test_a_cookie_replayed_after_logout_opens_nothing(app, person):
    name, _ = person
    client = login(app.test_client(), name, PASSWORD)
    cookie = _cookie(client)
    copy = _replay(app, cookie)
    assert _logged_in(copy)  # the copy works while the session lives …
    assert copy.get("/api/layers").status_code == 200
    token = csrf_token_of(client, "/account")
    assert client.post("/logout", data={"csrf_token": token}).status_code == 302
    assert not _logged_in(copy)  # … and not after the logout
    api = copy.get("/api/layers")
    assert api.status_code == 401 and api.get_json()["code"] == "unauthorized"
    assert not _logged_in(_replay(app, cookie))
    # The old CSRF token went with the session: a form posted from a stale page is refused.
    assert copy.post("/account/tokens", data={"name": "x", "csrf_token": token}).status_code in (302, 400)
    assert copy.post("/api/layers", json={}, headers={"X-CSRFToken": token}).status_code == 401


def test_login_gives_a_new_session_id(app, person):
    name, _ = person
    client = app.test_client()
    before_token = csrf_token_of(client)
    planted = _cookie(client)  # what an attacker could have set in the victim's browser before the login
    before = _decoded(planted)["sid"]
    resp = client.post("/login", data={"username": name, "password": PASSWORD, "csrf_token": before_token})
    assert resp.status_code == 302
    after = _decoded(_cookie(client))["sid"]
    assert after != before
    assert not _logged_in(_replay(app, planted))  # the pre-login id never becomes a logged-in session
    assert csrf_token_of(client, "/account") != before_token


def test_changing_the_password_ends_the_other_sessions_and_keeps_this_one(app, person):
    name, user_id = person
    mine = login(app.test_client(), name, PASSWORD)
    old_cookie = _cookie(mine)
    elsewhere = login(app.test_client(), name, PASSWORD)
    resp = mine.post("/account/password", data={"csrf_token": csrf_token_of(mine, "/account"),
                                                 "current_password": PASSWORD, "new_password": "another-pass-2",
                                                 "confirm_password": "another-pass-2"})
    assert resp.status_code == 302
    assert _logged_in(mine)
    assert not _logged_in(elsewhere)
    assert not _logged_in(_replay(app, old_cookie))  # this browser's own pre-change id is gone too
    assert _session_rows(app, user_id) == 1


def test_an_admin_reset_or_deactivation_ends_every_session(app, admin_client, person):
    name, user_id = person
    first = login(app.test_client(), name, PASSWORD)
    token = csrf_token_of(admin_client, "/admin/users")
    assert admin_client.post(f"/admin/users/{user_id}/password",
                             data={"csrf_token": token, "password": "reset-pass-22"}).status_code == 302
    assert not _logged_in(first)
    assert _session_rows(app, user_id) == 0
    second = login(app.test_client(), name, "reset-pass-22")
    assert admin_client.post(f"/admin/users/{user_id}/active",
                             data={"csrf_token": token, "active": "0"}).status_code == 302
    assert not _logged_in(second)
    assert _session_rows(app, user_id) == 0


def test_an_admin_signs_a_user_out_everywhere(app, admin_client, person):
    name, user_id = person
    browsers = [login(app.test_client(), name, PASSWORD) for _ in range(2)]
    page = admin_client.get(f"/admin/users/{user_id}").get_data(as_text=True)
    assert 'id="session-count">2<' in page
    resp = admin_client.post(f"/admin/users/{user_id}/sessions/end",
                             data={"csrf_token": csrf_token_of(admin_client, "/admin/users")})
    assert resp.status_code == 302
    assert not any(_logged_in(b) for b in browsers)
    assert _logged_in(admin_client)  # the admin's own session is untouched
    assert 'id="session-count">0<' in admin_client.get(f"/admin/users/{user_id}").get_data(as_text=True)
    with app.app_context():
        entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "sign_out_everywhere",
                                                           AuditEntry.object_id == str(user_id)))
        assert entry is not None and entry.after == {"sessions_ended": 2} and entry.username == "admin"
        db.session.close()


def test_a_user_signs_out_everywhere_from_the_account_page(app, person):
    name, user_id = person
    here, there = (login(app.test_client(), name, PASSWORD) for _ in range(2))
    resp = here.post("/account/sessions/end", data={"csrf_token": csrf_token_of(here, "/account")})
    assert resp.status_code == 302 and "/login" in resp.headers["Location"]
    assert not _logged_in(here) and not _logged_in(there)
    assert _session_rows(app, user_id) == 0


@pytest.mark.parametrize("column, age", [("last_seen_at", "31 minutes"), ("created_at", "8 hours 1 minute")])
def test_idle_and_absolute_timeouts_end_a_session(app, person, column, age):
    name, user_id = person
    client = login(app.test_client(), name, PASSWORD)
    assert _logged_in(client)
    with app.app_context():
        db.session.execute(text(f"UPDATE browser_sessions SET {column} = now() - interval '{age}' "
                                "WHERE user_id = :u"), {"u": user_id})
        db.session.commit()
        db.session.close()
    assert client.get("/api/layers").status_code == 401
    assert not _logged_in(client)
    assert _session_rows(app, user_id) == 0  # the expired row is removed, not only ignored


def test_use_keeps_a_session_alive_within_the_idle_timeout(app, person):
    name, user_id = person
    client = login(app.test_client(), name, PASSWORD)
    with app.app_context():  # last used 29 minutes ago: still valid, and this request renews it
        db.session.execute(text("UPDATE browser_sessions SET last_seen_at = now() - interval '29 minutes' "
                                "WHERE user_id = :u"), {"u": user_id})
        db.session.commit()
        db.session.close()
    assert _logged_in(client)
    with app.app_context():
        idle = db.session.scalar(text("SELECT extract(epoch FROM now() - last_seen_at) FROM browser_sessions "
                                      "WHERE user_id = :u"), {"u": user_id})
        db.session.close()
    assert idle < 60


def test_every_worker_sees_the_same_sessions(app, database_url, person):
    """Two app instances on one database stand for two gunicorn workers."""
    name, _ = person
    other = create_app(TestConfig(database_url))
    try:
        client = login(app.test_client(), name, PASSWORD)
        cookie = _cookie(client)
        on_other = other.test_client()
        on_other.set_cookie("session", cookie)
        assert _logged_in(on_other)
        assert on_other.post("/logout", data={"csrf_token": csrf_token_of(on_other, "/account")}).status_code == 302
        assert not _logged_in(_replay(app, cookie))  # logged out on one worker, refused by the other
    finally:
        other.extensions["db_engine"].dispose()
