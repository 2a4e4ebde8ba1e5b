"""PostgreSQL down → 503 (JSON with Retry-After, a page for the browser); back up → recovery within 10 s.

These tests stop and restart PostgreSQL, so they use a throwaway cluster of
their own (never the shared private cluster).  A backend killed in the middle
of a save leaves nothing half-written.
"""
from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

from gis_tracker import create_app
from gis_tracker.config import TestConfig
from gis_tracker.db import db
from gis_tracker.localdb import RUNTIME_ROLE
from gis_tracker.services.accounts import users
from gis_tracker.services.platform import migrations
from tests.support.clients import csrf_token_of
from tests.support.tempcluster import ThrowawayCluster, postgres_available

pytestmark = pytest.mark.skipif(not postgres_available(), reason="needs the PostgreSQL server binaries")

SQUARE = {"type": "Polygon", "coordinates": [[[113.10, 27.90], [113.101, 27.90], [113.101, 27.901],
                                              [113.10, 27.901], [113.10, 27.90]]]}


@pytest.fixture(scope="module")
def cluster():
    with ThrowawayCluster() as c:
        yield c


@pytest.fixture(scope="module")
def fault_app(cluster):
    owner_url = cluster.create_database("faults")
    config = TestConfig(owner_url)
    config.DATABASE_URL = cluster.url("faults", RUNTIME_ROLE)
    config.STATEMENT_TIMEOUT_MS = 5000
    app = create_app(config)
    with app.app_context():
        migrations.upgrade(db.migration_engine, app_role=db.app_role)
        users.create_user(db.session, "planner", "planner", "fault-password-1")
        token = users.issue_token(db.session, "planner", "faults")
        db.session.close()
    app.config["TEST_TOKEN"] = token
    yield app
    app.extensions["db_engine"].dispose()


def _auth(app) -> dict:
    return {"Authorization": f"Bearer {app.config['TEST_TOKEN']}"}


def _create_project(app) -> tuple[int, str]:
    resp = app.test_client().post("/ogc/collections/projects/items", headers=_auth(app), json={
        "type": "Feature", "geometry": SQUARE,
        "properties": {"name": f"故障测试 {time.monotonic_ns()}", "project_type": "industrial", "status": "planned",
                       "investment_wan": 1}})
    assert resp.status_code == 201, resp.get_json()
    return int(resp.headers["Location"].rsplit("/", 1)[1]), resp.headers["ETag"]


def test_database_down_gives_503_quickly_then_recovers_by_itself(cluster, fault_app):
    client = fault_app.test_client()
    assert client.get("/ogc/collections/projects/items", headers=_auth(fault_app)).status_code == 200
    browser = fault_app.test_client()
    assert browser.post("/login", data={"username": "planner", "password": "fault-password-1",
                                        "csrf_token": csrf_token_of(browser)}).status_code == 302

    cluster.stop("immediate")  # a crash, not a polite shutdown
    started = time.monotonic()
    api = client.get("/ogc/collections/projects/items", headers=_auth(fault_app))
    elapsed = time.monotonic() - started
    assert api.status_code == 503
    assert api.get_json()["code"] == "database_unavailable"
    assert int(api.headers["Retry-After"]) > 0
    assert elapsed < fault_app.config["STATEMENT_TIMEOUT_MS"] / 1000
    page = browser.get("/")
    html = page.get_data(as_text=True)
    assert page.status_code == 503 and "数据库暂时不可用" in html and "Traceback" not in html
    assert client.get("/readyz").status_code == 503
    assert client.get("/healthz").status_code == 200

    cluster.start()
    back = time.monotonic()
    while True:
        resp = client.get("/ogc/collections/projects/items", headers=_auth(fault_app))
        if resp.status_code == 200:
            break
        assert resp.status_code == 503, resp.status_code
        assert time.monotonic() - back < 10, "no recovery within 10 s of PostgreSQL coming back"
        time.sleep(0.2)
    assert browser.get("/").status_code == 200  # the session survived the outage


def test_a_backend_killed_mid_write_leaves_nothing_half_written(cluster, fault_app):
    fid, etag = _create_project(fault_app)
    owner = create_engine(fault_app.config["MIGRATION_DATABASE_URL"], poolclass=NullPool)
    counts_sql = text("SELECT (SELECT version FROM projects WHERE id = :f), "
                      "(SELECT count(*) FROM feature_versions WHERE collection = 'projects' AND feature_id = :f), "
                      "(SELECT count(*) FROM audit_log WHERE object_type = 'projects' AND object_id = :s)")
    with owner.connect() as conn:
        before = tuple(conn.execute(counts_sql, {"f": fid, "s": str(fid)}).one())
    result = {}

    def save():
        result["resp"] = fault_app.test_client().patch(
            f"/ogc/collections/projects/items/{fid}", headers={**_auth(fault_app), "If-Match": etag},
            json={"properties": {"investment_wan": 99}})

    with owner.connect() as blocker:
        blocker.execute(text("LOCK TABLE audit_log IN EXCLUSIVE MODE"))  # the save will wait on its audit row
        writer = threading.Thread(target=save)
        writer.start()
        pid = None
        for _ in range(100):
            pid = cluster.sql("faults", "SELECT pid FROM pg_stat_activity WHERE application_name = 'shifeng-gis' "
                                        "AND wait_event_type = 'Lock'")
            if pid:
                break
            time.sleep(0.05)
        assert pid, "the save never reached the audit insert"
        held = cluster.sql("faults", "SELECT c.relname FROM pg_locks l JOIN pg_class c ON c.oid = l.relation "
                                     f"WHERE l.pid = {pid[0][0]} AND l.mode = 'RowExclusiveLock' AND l.granted")
        assert {"projects", "feature_versions"} <= {r[0] for r in held}, held  # it had already written both
        cluster.sql("faults", f"SELECT pg_terminate_backend({pid[0][0]})")
        writer.join(20)
        blocker.rollback()
    assert result["resp"].status_code == 503
    with owner.connect() as conn:
        after = tuple(conn.execute(counts_sql, {"f": fid, "s": str(fid)}).one())
    owner.dispose()
    assert after == before  # no new version, no version row, no audit row
    retry = fault_app.test_client().patch(f"/ogc/collections/projects/items/{fid}",
                                          headers={**_auth(fault_app), "If-Match": etag},
                                          json={"properties": {"investment_wan": 99}})
    assert retry.status_code == 200  # the same If-Match still holds: nothing was committed


def test_a_connection_dying_after_the_view_does_not_turn_into_a_500(cluster, fault_app):
    """Closing the request's session on a dead connection must not raise (it used to answer 500)."""
    ctx = fault_app.app_context()
    ctx.push()
    try:
        pid = db.session.scalar(text("SELECT pg_backend_pid()"))  # a transaction is now open
        cluster.sql("faults", f"SELECT pg_terminate_backend({pid})")
    finally:
        ctx.pop()  # teardown: rollback/close on the dead connection
    client = fault_app.test_client()
    assert client.get("/ogc/collections/projects/items", headers=_auth(fault_app)).status_code == 200
