"""A save PostgreSQL committed is answered as saved, even if the database dies right after the commit;
a connection lost *during* the commit answers 503 saying the save may have been kept and how to check.

The database is really killed (``pg_ctl stop -m immediate`` on a throwaway cluster, or the session's
backend terminated); a session event only times the kill to the exact moment (after / during COMMIT).
"""
from __future__ import annotations

import contextlib
import datetime as dt

import pytest
from sqlalchemy import create_engine, event, text
from sqlalchemy.pool import NullPool

from gis_tracker import create_app
from gis_tracker.config import TestConfig
from gis_tracker.db import db
from gis_tracker.localdb import RUNTIME_ROLE
from gis_tracker.models import FeatureVersion, StageTransition
from gis_tracker.services.accounts import users
from gis_tracker.services.platform import migrations, sample_data
from tests.support.tempcluster import ThrowawayCluster, postgres_available

pytestmark = pytest.mark.skipif(not postgres_available(), reason="needs the PostgreSQL server binaries")

SQUARE = {"type": "Polygon", "coordinates": [[[113.10, 27.90], [113.1006, 27.90], [113.1006, 27.9006],
                                              [113.10, 27.9006], [113.10, 27.90]]]}


@pytest.fixture(scope="module")
def cluster():
    with ThrowawayCluster() as c:
        yield c


@pytest.fixture(scope="module")
def kill_app(cluster):
    owner_url = cluster.create_database("outcome")
    config = TestConfig(owner_url)
    config.DATABASE_URL = cluster.url("outcome", RUNTIME_ROLE)
    config.STATEMENT_TIMEOUT_MS = 5000
    app = create_app(config)
    with app.app_context():
        migrations.upgrade(db.migration_engine, app_role=db.app_role)
        sample_data.load(db.session)
        tokens = {}
        for role in ("planner", "relocation_officer"):
            users.create_user(db.session, role, role, "outcome-password-1")
            tokens[role] = users.issue_token(db.session, role, "outcome")
        db.session.close()
    app.config["TEST_TOKENS"] = tokens
    yield app
    app.extensions["db_engine"].dispose()


def _auth(app, role: str) -> dict:
    return {"Authorization": f"Bearer {app.config['TEST_TOKENS'][role]}"}


@contextlib.contextmanager
def kill_database(app, cluster, when: str):
    """Kill PostgreSQL once, right after (``after_commit``) or during (``before_commit``) the next save's COMMIT.

    A save is recognised by the feature version or stage transition it flushed (token checks commit too).
    """
    factory = app.extensions["db_sessionmaker"]
    fired = []

    def note(session, flush_context):
        if any(isinstance(o, (FeatureVersion, StageTransition)) for o in session.new):
            session.info["is_save"] = True

    def kill(session):
        if fired or not session.info.pop("is_save", False):
            return
        fired.append(when)
        if when == "after_commit":
            cluster.stop("immediate")  # a crash, right after PostgreSQL has committed
        else:
            pid = session.connection().connection.dbapi_connection.info.backend_pid
            cluster.sql("outcome", f"SELECT pg_terminate_backend({pid})")  # the COMMIT finds its backend gone

    event.listen(factory, "after_flush", note)
    event.listen(factory, when, kill)
    try:
        yield fired
    finally:
        event.remove(factory, when, kill)
        event.remove(factory, "after_flush", note)
        if not cluster.is_running():
            cluster.start()
            cluster.wait_until_up()
        app.extensions["db_engine"].dispose()  # drop the dead pooled connections


def _create_project(app) -> tuple[int, str]:
    resp = app.test_client().post("/ogc/collections/projects/items", headers=_auth(app, "planner"), json={
        "type": "Feature", "geometry": SQUARE,
        "properties": {"name": f"提交测试 {dt.datetime.now().timestamp()}", "project_type": "public",
                       "status": "planned", "investment_wan": 1}})
    assert resp.status_code == 201, resp.get_json()
    return int(resp.headers["Location"].rsplit("/", 1)[1]), resp.headers["ETag"]


def _owner_scalar(app, sql: str, **params):
    engine = create_engine(app.config["MIGRATION_DATABASE_URL"], poolclass=NullPool)
    try:
        with engine.connect() as conn:
            return conn.execute(text(sql), params).scalar()
    finally:
        engine.dispose()


def test_a_committed_save_is_answered_as_saved_although_the_database_died_right_after(kill_app, cluster):
    fid, etag = _create_project(kill_app)
    client = kill_app.test_client()
    with kill_database(kill_app, cluster, "after_commit") as fired:
        resp = client.patch(f"/ogc/collections/projects/items/{fid}", headers={**_auth(kill_app, "planner"),
                            "If-Match": etag}, json={"properties": {"investment_wan": 42}})
        assert fired == ["after_commit"] and not cluster.is_running()
    assert resp.status_code == 200, resp.get_json()
    new_etag = resp.headers["ETag"]
    assert new_etag != etag and resp.get_json()["properties"]["investment_wan"] == 42
    # PostgreSQL is back: the save is there, under the ETag the client was given.
    again = kill_app.test_client().get(f"/ogc/collections/projects/items/{fid}", headers=_auth(kill_app, "planner"))
    assert again.status_code == 200 and again.headers["ETag"] == new_etag
    assert again.get_json()["properties"]["investment_wan"] == 42


def test_a_committed_stage_transition_is_answered_as_saved_although_the_database_died(kill_app, cluster):
    officer = _auth(kill_app, "relocation_officer")
    client = kill_app.test_client()
    eid = _owner_scalar(kill_app, "SELECT id FROM enterprises WHERE stage = 'not_started' "
                                  "AND deleted_at IS NULL ORDER BY id LIMIT 1")
    etag = client.get(f"/ogc/collections/enterprises/items/{eid}", headers=officer).headers["ETag"]
    before = _owner_scalar(kill_app, "SELECT count(*) FROM stage_transitions WHERE enterprise_id = :e", e=eid)
    with kill_database(kill_app, cluster, "after_commit") as fired:
        resp = client.post(f"/api/enterprises/{eid}/transitions", headers={**officer, "If-Match": etag},
                           json={"to_stage": "assessment", "date": dt.date.today().isoformat(), "note": "断电前"})
        assert fired == ["after_commit"], resp.get_json()
    assert resp.status_code == 201, resp.get_json()
    body = resp.get_json()
    assert body["feature"]["properties"]["stage"] == "assessment"
    assert _owner_scalar(kill_app, "SELECT count(*) FROM stage_transitions WHERE enterprise_id = :e",
                         e=eid) == before + 1
    now = client.get(f"/ogc/collections/enterprises/items/{eid}", headers=officer)
    assert now.headers["ETag"] == resp.headers.get("ETag", body["etag"]) == body["etag"]


def test_a_connection_lost_during_the_commit_says_the_save_may_have_been_kept(kill_app, cluster):
    fid, etag = _create_project(kill_app)
    client = kill_app.test_client()
    with kill_database(kill_app, cluster, "before_commit") as fired:
        resp = client.patch(f"/ogc/collections/projects/items/{fid}", headers={**_auth(kill_app, "planner"),
                            "If-Match": etag}, json={"properties": {"investment_wan": 7}})
        assert fired == ["before_commit"]
    assert resp.status_code == 503 and int(resp.headers["Retry-After"]) > 0
    body = resp.get_json()
    assert body["code"] == "save_outcome_unknown"
    assert body["check"] == f"/ogc/collections/projects/items/{fid}" and body["feature_id"] == fid
    assert body["etag_if_saved"] == f'"projects-{fid}-v2"' and "ETag" in body["message"]
    # Following the advice: read the feature; here the COMMIT never reached PostgreSQL, so it is the old version.
    now = client.get(body["check"], headers=_auth(kill_app, "planner"))
    assert now.status_code == 200 and now.headers["ETag"] in (etag, body["etag_if_saved"])
    assert now.headers["ETag"] == etag
    retry = client.patch(body["check"], headers={**_auth(kill_app, "planner"), "If-Match": now.headers["ETag"]},
                         json={"properties": {"investment_wan": 7}})
    assert retry.status_code == 200 and retry.headers["ETag"] == body["etag_if_saved"]
