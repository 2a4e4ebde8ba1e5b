"""Shared plumbing for the load and fault runs: a throwaway cluster, gunicorn, timed workers.

Every bench gets a PostgreSQL cluster of its own in a temp dir (so fault runs
can kill and restart it), migrated and loaded with the sample data, and the
app served by gunicorn with ``deploy/gunicorn.conf.py`` — the production
server — running as the restricted database role.
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
from tests.support.tempcluster import ThrowawayCluster, free_port  # noqa: E402

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
    port = free_port()
    env = dict(os.environ, DATABASE_URL=app_url, MIGRATION_DATABASE_URL=owner_url, PORT=str(port),
               GUNICORN_WORKERS=str(workers), GUNICORN_THREADS=str(threads), GUNICORN_ACCESSLOG="",
               GUNICORN_LOGLEVEL="warning", STATEMENT_TIMEOUT_MS="5000")
    server = subprocess.Popen([str(ROOT / ".venv/bin/gunicorn"), "-c", str(ROOT / "deploy/gunicorn.conf.py"),
                               "app:app"], cwd=ROOT, env=env)
    stack = Stack(cluster, owner_url, app_url, f"http://127.0.0.1:{port}", tokens, server)
    deadline = time.monotonic() + 60
    while True:
        try:
            if requests.get(stack.base + "/readyz", timeout=2).status_code == 200:
                break
        except requests.RequestException:
            pass
        if time.monotonic() > deadline or server.poll() is not None:
            stack.stop()
            raise RuntimeError("gunicorn did not become ready")
        time.sleep(0.3)
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
