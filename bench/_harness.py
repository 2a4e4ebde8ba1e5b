"""Shared plumbing for the load and fault runs: a throwaway cluster, the production server, timed workers.

Every bench gets a PostgreSQL cluster of its own in a temp dir (so fault runs
can kill and restart it), migrated and loaded with the sample data, and the
app served by the production server — :class:`AppServer`, which runs
``python -m gis_tracker.server`` (gunicorn with ``deploy/gunicorn.conf.py``,
what ``script/server`` starts) — running as the restricted database role.
"""
from __future__ import annotations

import os
import signal
import statistics
import subprocess
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import requests  # noqa: E402

from gis_tracker import create_app  # noqa: E402
from gis_tracker.config import TestConfig  # noqa: E402
from gis_tracker.db import db  # noqa: E402
from gis_tracker.localdb import RUNTIME_ROLE  # noqa: E402
from gis_tracker.services.accounts import users
from gis_tracker.services.platform import migrations, sample_data  # noqa: E402
from tests.support.tempcluster import ThrowawayCluster  # noqa: E402

PASSWORD = "bench-password-1"


@dataclass
class Stack:
    """A running bench stack: cluster, database URLs, gunicorn, API tokens."""

    cluster: ThrowawayCluster
    owner_url: str
    app_url: str
    base: str
    tokens: dict[str, str]
    server: subprocess.Popen | None = None

    def stop(self) -> None:
        """Stop gunicorn and delete the cluster."""
        if self.server and self.server.poll() is None:
            self.server.send_signal(signal.SIGTERM)
            try:
                self.server.wait(20)
            except subprocess.TimeoutExpired:
                self.server.kill()
        self.cluster.destroy()


class AppServer:
    """The production server, as users get it: ``python -m gis_tracker.server`` (gunicorn, deploy config).

    ``env`` adds to this process's environment (``DATABASE_URL``, ``GUNICORN_*``, app settings);
    ``workers``/``threads`` None keep the deploy defaults (workers by cores).  The system picks
    the port; the server's "Serving on" line tells it.
    """

    def __init__(self, env: dict, workers: int | None = None, threads: int | None = None,
                 app_spec: str | None = None, timeout: float = 90) -> None:
        import tempfile

        self.log = Path(tempfile.mkstemp(prefix="shifeng-bench-server-", suffix=".log")[1])
        cmd = [sys.executable, "-m", "gis_tracker.server", "--bind", "127.0.0.1:0"]
        if workers:
            cmd += ["--workers", str(workers)]
        if threads:
            cmd += ["--threads", str(threads)]
        if app_spec:
            cmd += ["--app", app_spec]
        full_env = dict(os.environ, GUNICORN_ACCESSLOG="", GUNICORN_LOGLEVEL="warning", **env)
        with open(self.log, "wb") as out:
            self.process = subprocess.Popen(cmd, cwd=ROOT, env=full_env, stdout=out, stderr=subprocess.STDOUT,
                                            start_new_session=True)
        self.base = self._wait(timeout)

    def _wait(self, timeout: float) -> str:
        deadline, base, ok = time.monotonic() + timeout, None, 0
        while time.monotonic() < deadline and ok < 5:
            if self.process.poll() is not None:
                raise RuntimeError("the server exited:\n" + self.log.read_text(errors="replace")[-3000:])
            if base is None:
                base = next((ln.split()[3] for ln in self.log.read_text(errors="replace").splitlines()
                             if ln.startswith("==> Serving on ")), None)
            try:
                ok = ok + 1 if base and requests.get(base + "/readyz", timeout=5).status_code == 200 else 0
            except requests.RequestException:
                ok = 0
            time.sleep(0.2)
        if ok < 5:
            self.stop()
            raise RuntimeError("the server did not become ready:\n" + self.log.read_text(errors="replace")[-3000:])
        return base

    def worker_pids(self) -> list[int]:
        """Return the pids of the gunicorn workers (children of the arbiter)."""
        out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(self.process.pid)], capture_output=True, text=True)
        return [int(p) for p in out.stdout.split()]

    def stop(self) -> None:
        """Stop the server (SIGTERM, then SIGKILL of its process group after 20 s)."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        self.log.unlink(missing_ok=True)


def start_stack(workers: int = 3, threads: int = 8) -> Stack:
    """Create the cluster and database, load the samples, start gunicorn; return the stack."""
    print("preparing a throwaway PostGIS cluster …", flush=True)
    cluster = ThrowawayCluster(prefix="shifeng-bench-").init()
    owner_url = cluster.create_database("bench")
    app_url = cluster.url("bench", RUNTIME_ROLE)
    config = TestConfig(owner_url)
    config.DATABASE_URL = app_url
    app = create_app(config)
    tokens = {}
    with app.app_context():
        migrations.upgrade(db.migration_engine, app_role=db.app_role)
        sample_data.load(db.session)
        for role in ("admin", "planner", "relocation_officer", "viewer"):
            users.create_user(db.session, role, role, PASSWORD)
            tokens[role] = users.issue_token(db.session, role, "bench")
        db.session.close()
    app.extensions["db_engine"].dispose()
    env = {"DATABASE_URL": app_url, "MIGRATION_DATABASE_URL": owner_url, "STATEMENT_TIMEOUT_MS": "5000"}
    try:
        server = AppServer(env, workers, threads)
    except RuntimeError:
        cluster.destroy()
        raise
    stack = Stack(cluster, owner_url, app_url, server.base, tokens, server.process)
    print(f"gunicorn ({workers} workers × {threads} threads) ready at {stack.base}", flush=True)
    return stack


@dataclass
class Tally:
    """Thread-safe counts of statuses and latencies, by kind of request."""

    statuses: Counter = field(default_factory=Counter)
    latencies: dict[str, list[float]] = field(default_factory=dict)
    events: list[tuple[float, str, int]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, kind: str, status: int, seconds: float) -> None:
        """Record one answer."""
        with self.lock:
            self.statuses[(kind, status)] += 1
            self.latencies.setdefault(kind, []).append(seconds)
            self.events.append((time.monotonic(), kind, status))

    def count(self, kind: str | None = None, status: int | None = None, predicate=None) -> int:
        """Count answers matching kind/status (or a predicate on the status)."""
        return sum(n for (k, s), n in self.statuses.items()
                   if (kind is None or k == kind) and (status is None or s == status)
                   and (predicate is None or predicate(s)))


def percentile(values: list[float], q: float) -> float:
    """Return the q-th percentile (0–100) of ``values`` in milliseconds."""
    if not values:
        return float("nan")
    if len(values) == 1:
        return values[0] * 1000
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1] * 1000


def run_for(seconds: float, n_workers: int, work) -> None:
    """Run ``work(worker_index, stop_event)`` in ``n_workers`` threads for ``seconds``."""
    stop = threading.Event()
    threads = [threading.Thread(target=work, args=(i, stop), daemon=True) for i in range(n_workers)]
    for t in threads:
        t.start()
    time.sleep(seconds)
    stop.set()
    for t in threads:
        t.join(30)


def report_latencies(tally: Tally) -> None:
    """Print count, p50 and p95 per kind of request."""
    for kind, values in sorted(tally.latencies.items()):
        print(f"  {kind:<10} n={len(values):>6}  p50={percentile(values, 50):7.1f} ms  "
              f"p95={percentile(values, 95):7.1f} ms")
