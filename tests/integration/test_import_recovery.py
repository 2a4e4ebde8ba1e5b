"""Imports recover at once from a dead worker: the job is linked before the work starts, a free lock means
interrupted (no waiting for a heartbeat to age), a retry works immediately, orphaned files go."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

from gis_tracker.db import db
from gis_tracker.services.accounts import users
from tests.factories import sample_frame, unique
from tests.support.clients import commit, sandbox, upload

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def admin_headers(app):
    with app.app_context():
        token = users.issue_token(db.session, "admin", name="import recovery")
        db.session.close()
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture()
def imports_dir(app, tmp_path_factory):
    with sandbox(app, tmp_path_factory):
        yield Path(app.config["IMPORT_DIR"])


def _owner(app):
    return create_engine(app.config["MIGRATION_DATABASE_URL"], poolclass=NullPool)


def _cli_import(app, imports_dir: Path, source: Path, layer: str) -> subprocess.Popen:
    env = dict(os.environ, DATABASE_URL=app.config["DATABASE_URL"],
               MIGRATION_DATABASE_URL=app.config["MIGRATION_DATABASE_URL"], IMPORT_DIR=str(imports_dir),
               PYTHONUNBUFFERED="1")
    return subprocess.Popen([str(ROOT / ".venv/bin/flask"), "--app", "app", "layers", "import", str(source),
                             "--layer", layer, "--title", "命令行导入"], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def _wait_for(predicate, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = predicate()
        if found:
            return found
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def test_a_cli_import_killed_during_its_commit_recovers_at_once(app, client, admin_headers, imports_dir, tmp_path):
    source = tmp_path / "killed.geojson"
    sample_frame("EPSG:4326").to_file(source, driver="GeoJSON", engine="pyogrio")
    layer = unique("killed").replace("-", "_")
    owner = _owner(app)
    blocker = owner.connect()
    watcher = owner.connect().execution_options(isolation_level="AUTOCOMMIT")  # fresh pg_stat_activity each time
    proc = None
    try:
        # The commit will wait on this lock when it creates the layer: the moment to kill the command.
        blocker.execute(text("LOCK TABLE user_layers IN EXCLUSIVE MODE"))
        proc = _cli_import(app, imports_dir, source, layer)
        stuck = _wait_for(lambda: proc.poll() is None and watcher.execute(text(
            "SELECT pid FROM pg_locks WHERE NOT granted AND relation = 'user_layers'::regclass")).scalar(),
            90, "the command's commit to reach the layer insert")
        record = watcher.execute(text("SELECT id, status, job_id, token FROM data_imports "
                                      "WHERE username = 'cli' ORDER BY id DESC LIMIT 1")).one()
        assert record.status == "committing"
        assert record.job_id is not None  # linked before the work started
        assert (imports_dir / record.token).is_dir()
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
        blocker.rollback()  # the orphaned backend gets its lock, finds its client gone and rolls back
        _wait_for(lambda: not watcher.execute(text("SELECT 1 FROM pg_stat_activity WHERE pid = :p"),
                                              {"p": stuck}).first(), 30, "the killed command's backend to end")
    finally:
        if proc is not None and proc.poll() is None:
            proc.kill()
        if proc is not None and proc.stdout:
            print(proc.stdout.read())
        blocker.close()
        watcher.close()

    started = time.monotonic()
    seen = client.get(f"/api/imports/{record.id}", headers=admin_headers).get_json()
    assert seen["status"] == "failed" and seen["error_code"] == "interrupted", seen  # at once, not after 5 min
    assert time.monotonic() - started < 5
    job = client.get(f"/api/jobs/{record.job_id}", headers=admin_headers).get_json()
    assert job["status"] == "failed" and job["error_code"] == "interrupted"
    assert not (imports_dir / record.token).exists()  # its files are gone
    with owner.connect() as conn:
        assert conn.scalar(text("SELECT count(*) FROM user_layers WHERE name = :n"), {"n": layer}) == 0

    again = _cli_import(app, imports_dir, source, layer)  # the same command again simply works
    output, _ = again.communicate(timeout=120)
    assert again.returncode == 0, output
    assert "imported 3 features" in output
    with owner.connect() as conn:
        assert conn.scalar(text("SELECT count(*) FROM layer_features f JOIN user_layers l ON l.id = f.layer_id "
                                "WHERE l.name = :n"), {"n": layer}) == 3
    owner.dispose()


def test_a_web_import_whose_worker_died_is_reopened_at_once_and_a_retry_works(app, client, headers, session,
                                                                               imports_dir, tmp_path):
    source = tmp_path / "worker.geojson"
    sample_frame("EPSG:4326").to_file(source, driver="GeoJSON", engine="pyogrio")
    record = upload(client, headers, source).get_json()
    # A worker that died a second ago: its job was stamped just now, but nothing holds its lock any more.
    job_id = session.scalar(text("INSERT INTO jobs (kind, status, progress, params, username, heartbeat_at) "
                                 "VALUES ('import', 'running', 58, '{}', 'planner', now()) RETURNING id"))
    session.execute(text("UPDATE data_imports SET status = 'committing', job_id = :j WHERE id = :i"),
                    {"j": job_id, "i": record["id"]})
    session.commit()
    seen = client.get(f"/api/imports/{record['id']}", headers=headers).get_json()
    assert seen["status"] == "previewed" and seen["error_code"] == "interrupted"
    name = unique("retry").replace("-", "_")
    done = commit(client, headers, record["id"], {"target": "new", "name": name, "title": "重试"})
    assert done.status_code == 200, done.get_json()
    assert done.get_json()["job"]["status"] == "done" and done.get_json()["import"]["status"] == "committed"


def test_folders_nobody_needs_are_removed(app, client, headers, imports_dir, tmp_path):
    source = tmp_path / "keep.geojson"
    sample_frame("EPSG:4326").to_file(source, driver="GeoJSON", engine="pyogrio")
    open_import = upload(client, headers, source).get_json()
    cancelled = upload(client, headers, source).get_json()
    assert client.delete(f"/api/imports/{cancelled['id']}", headers=headers).status_code == 200
    with app.app_context():
        tokens = dict(db.session.execute(text("SELECT id, token FROM data_imports WHERE id IN (:a, :b)"),
                                         {"a": open_import["id"], "b": cancelled["id"]}).all())
        db.session.close()
    closed_left = imports_dir / tokens[cancelled["id"]]
    closed_left.mkdir()  # a cancelled import whose folder a crash left behind
    (closed_left / "features.json").write_text("{}")
    old_orphan = imports_dir / "0123456789abcdef0123456789abcdef"  # an upload killed before its row existed
    old_orphan.mkdir()
    (old_orphan / "source.zip").write_bytes(b"x" * 100)
    hour_ago = time.time() - 3600
    for path in (old_orphan / "source.zip", old_orphan):
        os.utime(path, (hour_ago, hour_ago))
    fresh = imports_dir / "upload-in-progress"  # an upload still being written: not yet recorded
    fresh.mkdir()
    (fresh / "source.tif").write_bytes(b"x")

    assert upload(client, headers, source).status_code == 201  # every upload sweeps
    assert not old_orphan.exists() and not closed_left.exists()
    assert fresh.exists() and (imports_dir / tokens[open_import["id"]]).exists()


if sys.platform != "linux":  # pragma: no cover - SIGKILL and /proc semantics
    pytestmark = pytest.mark.skip("needs Linux")
