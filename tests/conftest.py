"""Shared fixtures: a throwaway PostGIS database, the app, logged-in clients, a live server.

The database comes from ``TEST_DATABASE_URL`` or is created fresh in the
project's private cluster (``script/test`` does the bootstrap).  Sample data
is loaded once per session; tests that write create their own features.
"""
from __future__ import annotations

import os

import pytest

from gis_tracker import create_app, localdb
from gis_tracker.access import ROLES
from gis_tracker.config import TestConfig
from gis_tracker.db import db
from gis_tracker.services.accounts import users
from gis_tracker.services.platform import migrations, sample_data
from tests.support import live_server as live
from tests.support.clients import PASSWORD, login

TIERS = ("unit", "integration", "web")


def pytest_collection_modifyitems(config, items):
    """Mark every test with its tier, from the folder it lives in (``-m unit`` selects the fast tier)."""
    for item in items:
        parts = item.path.relative_to(config.rootpath).parts
        tier = next((p for p in parts if p in TIERS), None)
        if tier:
            item.add_marker(getattr(pytest.mark, tier))


def _make_database(suffix: str) -> tuple[str, str | None]:
    """Return (url, name-to-drop) for a fresh test database."""
    if os.environ.get("TEST_DATABASE_URL") and suffix == "main":
        return os.environ["TEST_DATABASE_URL"], None
    name = f"shifeng_test_{suffix}_{os.getpid()}"
    return localdb.create_database(name), name


@pytest.fixture(scope="session")
def database_url():
    url, name = _make_database("main")
    yield url
    if name:
        localdb.drop_database(name)


@pytest.fixture(scope="session")
def live_config_file(tmp_path_factory):
    """Where the app's config changes are mirrored for the live server (tests/support/live_server.py)."""
    return tmp_path_factory.mktemp("live-server") / "config.json"


@pytest.fixture(scope="session")
def app(database_url, live_config_file):
    app = create_app(TestConfig(database_url))
    with app.app_context():
        migrations.upgrade(db.migration_engine, app_role=db.app_role)  # owner migrates; app is restricted
        if not sample_data.has_data(db.session):
            sample_data.load(db.session)
        for role in ROLES:
            if users.find_user(db.session, role) is None:
                users.create_user(db.session, role, role, PASSWORD)
        db.session.close()
    live.mirror(app, live_config_file)  # the live server follows app.config changes made by tests
    yield app
    app.extensions["db_engine"].dispose()


@pytest.fixture(scope="session")
def empty_database_url():
    """A second, empty database for migration tests."""
    if os.environ.get("TEST_DATABASE_URL"):
        pytest.skip("migration round trip needs the private cluster (TEST_DATABASE_URL given)")
    url, name = _make_database("empty")
    yield url
    localdb.drop_database(name)


@pytest.fixture()
def client(app):
    return app.test_client()


@pytest.fixture()
def admin_client(client):
    return login(client, "admin")


@pytest.fixture()
def viewer_client(client):
    return login(client, "viewer")


@pytest.fixture(scope="session")
def api_token(app):
    """A bearer token for the planner account."""
    with app.app_context():
        token = users.issue_token(db.session, "planner", name="tests")
        db.session.close()
    return token


@pytest.fixture()
def headers(api_token):
    """Request headers authenticating as the planner with the API token."""
    return {"Authorization": f"Bearer {api_token}"}


@pytest.fixture()
def session(app):
    """A database session inside an app context (for service-level tests)."""
    with app.app_context():
        yield db.session


@pytest.fixture(scope="session")
def live_server(app, database_url, live_config_file):
    """The base URL of the production server (gunicorn, deploy/gunicorn.conf.py) serving the test database.

    It runs in its own processes and follows the changes tests make to ``app.config``
    (see tests/support/live_server.py).
    """
    server = live.LiveServer(database_url, live_config_file)
    yield server.url
    server.stop()


CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]


@pytest.fixture(scope="session")
def browser():
    """Debian's Chromium driven by Playwright (never a downloaded browser)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        yield browser
        browser.close()


