"""The server users run, for the load and fault benches: ``script/server`` itself, on a throwaway cluster.

The bench prepares a PostgreSQL cluster of its own (so faults can crash it),
migrates it and loads the sample data and the bench's accounts, then starts
``script/server`` exactly as a user does — the only difference is the
environment (``PORT``, ``DATABASE_URL`` as the restricted role,
``MIGRATION_DATABASE_URL`` as the owner, a fixed ``SECRET_KEY``).  Whatever
``script/server`` serves with (the development server, gunicorn), that is
what is measured.  The server runs in a process group of its own, so
:meth:`ServerStack.kill_server` can SIGKILL all of it (master and workers) at
once, as a crash or the OOM killer would, and :meth:`ServerStack.start_server`
starts it again.

Clients log in like browsers (``POST /login`` with the CSRF token read from the
page) and keep their session cookie, so server-side sessions are exercised too:
they must survive both a database crash and a killed server.
"""
from __future__ import annotations

import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import requests  # noqa: E402

from gis_tracker import create_app  # noqa: E402
from gis_tracker.config import TestConfig  # noqa: E402
from gis_tracker.db import db  # noqa: E402
from gis_tracker.localdb import RUNTIME_ROLE  # noqa: E402
from gis_tracker.services.accounts import users  # noqa: E402
from gis_tracker.services.platform import migrations, sample_data  # noqa: E402
from tests.support.tempcluster import ThrowawayCluster, free_port  # noqa: E402

PASSWORD = "bench-password-1"
ROLES = ("admin", "planner", "relocation_officer", "viewer")
CSRF = re.compile(r'name="csrf-token" content="([^"]+)"')


@dataclass
class ServerStack:
    """A throwaway cluster with the sample data, and ``script/server`` serving it."""

    cluster: ThrowawayCluster
    owner_url: str
    app_url: str
    port: int
    env: dict
    log: Path
    process: subprocess.Popen | None = None
    starts: list[float] = field(default_factory=list)

    @property
    def base(self) -> str:
        """Return the server's base URL."""
        return f"http://127.0.0.1:{self.port}"

    def start_server(self, timeout: float = 240) -> float:
        """Run ``script/server`` and wait until /readyz answers 200; return the seconds it took."""
        started = time.monotonic()
        with open(self.log, "ab") as out:
            self.process = subprocess.Popen([str(ROOT / "script/server")], cwd=ROOT, env=self.env, stdout=out,
                                            stderr=subprocess.STDOUT, start_new_session=True)
        self.starts.append(started)
        while True:
            try:
                if requests.get(self.base + "/readyz", timeout=2).status_code == 200:
                    return time.monotonic() - started
            except requests.RequestException:
                pass
            if self.process.poll() is not None or time.monotonic() - started > timeout:
                tail = self.log.read_text(errors="replace")[-3000:]
                raise RuntimeError(f"script/server did not become ready (exit {self.process.poll()}):\n{tail}")
            time.sleep(0.2)

    def kill_server(self) -> None:
        """SIGKILL the whole server (its process group: master and workers), as a crash would."""
        if self.process is None:
            return
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.process.wait(30)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:  # until nothing of it holds the port any more
            try:
                requests.get(self.base + "/healthz", timeout=0.5)
            except requests.RequestException:
                return
            time.sleep(0.1)

    def stop(self) -> None:
        """Stop the server (SIGTERM, then SIGKILL) and delete the cluster."""
        if self.process is not None and self.process.poll() is None:
            try:
                os.killpg(self.process.pid, signal.SIGTERM)
                self.process.wait(20)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                self.kill_server()
        self.cluster.destroy()

    def browser(self, role: str) -> requests.Session:
        """Return a client logged in as ``role`` the way a browser is: a session cookie and the CSRF token."""
        http = requests.Session()
        page = http.get(self.base + "/login", timeout=30)
        token = CSRF.search(page.text).group(1)
        resp = http.post(self.base + "/login", data={"username": role, "password": PASSWORD, "csrf_token": token},
                         allow_redirects=False, timeout=30)
        if resp.status_code != 302:
            raise RuntimeError(f"login as {role} failed: {resp.status_code}")
        page = http.get(self.base + "/account", timeout=30)
        http.headers["X-CSRFToken"] = CSRF.search(page.text).group(1)  # the token of the logged-in session
        return http


def _server_port() -> int:
    """Return a free port: from BENCH_PORTS (e.g. ``56160-56199``, when machines share ports) or any."""
    wanted = os.environ.get("BENCH_PORTS", "")
    if not wanted:
        return free_port()
    low, _, high = wanted.partition("-")
    for port in range(int(low), int(high or low) + 1):
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError(f"no free port in BENCH_PORTS={wanted}")


def start_server_stack(workers: int = 3, threads: int = 8) -> ServerStack:
    """Prepare a throwaway cluster (migrated, sample data, bench accounts) and start ``script/server`` on it."""
    print("preparing a throwaway PostGIS cluster …", flush=True)
    cluster = ThrowawayCluster(prefix="shifeng-bench-").init()
    owner_url = cluster.create_database("bench")
    app_url = cluster.url("bench", RUNTIME_ROLE)
    config = TestConfig(owner_url)
    config.DATABASE_URL = app_url
    app = create_app(config)
    with app.app_context():
        migrations.upgrade(db.migration_engine, app_role=db.app_role)
        sample_data.load(db.session)
        for role in ROLES:
            users.create_user(db.session, role, role, PASSWORD)
        db.session.close()
    app.extensions["db_engine"].dispose()
    port = _server_port()
    env = dict(os.environ, PORT=str(port), DATABASE_URL=app_url, MIGRATION_DATABASE_URL=owner_url,
               SECRET_KEY=secrets.token_hex(32), STATEMENT_TIMEOUT_MS="5000",
               # Read only if script/server serves with gunicorn (deploy/gunicorn.conf.py):
               GUNICORN_WORKERS=str(workers), GUNICORN_THREADS=str(threads), GUNICORN_ACCESSLOG="",
               GUNICORN_LOGLEVEL="warning")
    env.pop("TEST_DATABASE_URL", None)
    log = Path(tempfile.mkstemp(prefix="shifeng-bench-server-", suffix=".log")[1])
    stack = ServerStack(cluster, owner_url, app_url, port, env, log)
    try:
        took = stack.start_server()
    except BaseException:
        stack.stop()
        raise
    print(f"script/server ready at {stack.base} after {took:.1f} s (its output: {stack.log})", flush=True)
    return stack
