"""Login throttling: after 5 failures in a minute for an account or an address → 429, across workers."""
import uuid

import pytest

from gis_tracker import create_app
from gis_tracker.config import TestConfig
from gis_tracker.db import db
from gis_tracker.services.accounts import users
from tests.factories import unique
from tests.support.clients import csrf_token_of

PASSWORD = "right-password-1"


@pytest.fixture()
def victim(app):
    name = unique("throttle")
    with app.app_context():
        users.create_user(db.session, name, "viewer", PASSWORD)
        db.session.close()
    return name


def _address() -> str:
    """A fresh client address, so these tests never throttle the rest of the suite."""
    n = uuid.uuid4().int
    return f"10.{n % 250}.{(n >> 8) % 250}.{(n >> 16) % 250 + 1}"


def _post_login(client, username, password, address):
    token = csrf_token_of(client)
    return client.post("/login", data={"username": username, "password": password, "csrf_token": token},
                       environ_base={"REMOTE_ADDR": address})


def test_five_failures_for_an_account_then_even_the_right_password_gets_429(app, victim):
    client = app.test_client()
    for i in range(5):
        resp = _post_login(client, victim, f"wrong-{i}-xxxx", _address())  # each from another address
        assert resp.status_code == 401
    blocked = _post_login(client, victim, PASSWORD, _address())
    assert blocked.status_code == 429
    assert blocked.headers["Retry-After"] == "60"
    assert "登录失败次数过多" in blocked.get_data(as_text=True)


def test_five_failures_from_an_address_block_that_address_for_every_account(app, victim):
    client = app.test_client()
    address = _address()
    for _ in range(5):
        assert _post_login(client, unique("nobody"), "wrong-password", address).status_code == 401
    assert _post_login(client, victim, PASSWORD, address).status_code == 429
    # Another address can still log the same user in.
    assert _post_login(app.test_client(), victim, PASSWORD, _address()).status_code == 302


def test_four_failures_do_not_lock_out(app, victim):
    client = app.test_client()
    address = _address()
    for _ in range(4):
        assert _post_login(client, victim, "wrong-password", address).status_code == 401
    assert _post_login(client, victim, PASSWORD, address).status_code == 302


def test_throttle_is_shared_between_workers(app, database_url, victim):
    """Two app instances (like two gunicorn workers) see the same failures: they live in PostgreSQL."""
    other = create_app(TestConfig(database_url))
    try:
        address = _address()
        for i in range(5):
            worker = app if i % 2 else other
            assert _post_login(worker.test_client(), victim, "wrong-password", address).status_code == 401
        assert _post_login(other.test_client(), victim, PASSWORD, _address()).status_code == 429
        assert _post_login(app.test_client(), victim, PASSWORD, _address()).status_code == 429
    finally:
        other.extensions["db_engine"].dispose()


def test_empty_credentials_are_a_form_error_not_an_attempt(app):
    client = app.test_client()
    address = _address()
    for _ in range(7):
        resp = _post_login(client, "", "", address)
        assert resp.status_code == 400
    assert _post_login(client, "viewer", "test-password-1", address).status_code == 302
