"""The test suite's live server: the production server (gunicorn via ``gis_tracker.server``), in its own process.

Browser and client tests talk to the same server users get: ``python -m gis_tracker.server``
with ``deploy/gunicorn.conf.py`` (gthread workers, warmed connection pools), two workers.

Tests change the app's configuration in the test process (``app.config["MAP_TILE_THRESHOLD"] = 100``,
``monkeypatch.setitem(app.config, ...)``, ``clients.sandbox``) and expect the live server to see it.
So the ``app`` fixture's config is a :class:`MirroredConfig`: every change is written, as the set of
keys that differ from the config the app was created with, to a JSON file; the live server's app
(:func:`serving_app`, what its workers run) checks that file before every request and applies it
on top of its own start-up config.  Values must be JSON or ``pathlib.Path``; anything else fails
loudly at the assignment.  Settings read only when the app is created (database URL, pool size)
cannot change this way.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import requests
from flask import Config

ROOT = Path(__file__).resolve().parents[2]
MIRROR_ENV = "LIVE_SERVER_CONFIG_FILE"
DATABASE_ENV = "LIVE_SERVER_DATABASE_URL"
_DELETED = {"__deleted__": True}


def _encode(key: str, value):
    if isinstance(value, Path):
        return {"__path__": str(value)}
    try:
        json.dumps(value)
    except TypeError:
        raise TypeError(f"app.config[{key!r}] = {value!r}: the live server can only follow JSON values "
                        f"and paths (tests/support/live_server.py)") from None
    return value


def _decode(value):
    if isinstance(value, dict) and "__path__" in value:
        return Path(value["__path__"])
    return value


class MirroredConfig(Config):
    """A Flask config that writes its changes since :meth:`start_mirroring` to a JSON file."""

    def start_mirroring(self, path: Path) -> None:
        """Take the current values as the baseline and mirror every later change to ``path``."""
        self._mirror_path = path
        self._baseline = dict(self)
        self._write()

    def _write(self) -> None:
        path = getattr(self, "_mirror_path", None)
        if path is None:
            return
        changes = {k: _encode(k, v) for k, v in self.items()
                   if k not in self._baseline or self._baseline[k] is not v and self._baseline[k] != v}
        changes.update({k: _DELETED for k in self._baseline if k not in self})
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(changes), encoding="utf-8")
        os.replace(tmp, path)  # atomic: the server reads the old or the new set, never half of one

    def __setitem__(self, key, value):
        super().__setitem__(key, value)
        self._write()

    def __delitem__(self, key):
        super().__delitem__(key)
        self._write()

    def pop(self, key, *default):
        value = super().pop(key, *default)
        self._write()
        return value

    def popitem(self):
        item = super().popitem()
        self._write()
        return item

    def setdefault(self, key, default=None):
        value = super().setdefault(key, default)
        self._write()
        return value

    def update(self, *args, **kwargs):
        super().update(*args, **kwargs)
        self._write()

    def clear(self):
        super().clear()
        self._write()

    def __ior__(self, other):
        self.update(other)
        return self


def mirror(app, path: Path) -> None:
    """Make ``app.config`` a :class:`MirroredConfig` writing to ``path`` (the ``app`` fixture calls this).

    The object stays the same (its class changes), so whatever already holds ``app.config`` (the
    templates' ``config``) sees the same values.
    """
    app.config.__class__ = MirroredConfig
    app.config.start_mirroring(path)


def follow(app, path: Path) -> None:
    """Apply the mirrored changes in ``path`` to ``app.config`` before every request (server side)."""
    baseline = dict(app.config)
    seen = {"stamp": None}
    lock = threading.Lock()

    def follow_test_config():
        try:
            stat = path.stat()
        except FileNotFoundError:
            return
        stamp = (stat.st_ino, stat.st_mtime_ns, stat.st_size)
        if stamp == seen["stamp"]:
            return
        with lock:
            changes = json.loads(path.read_text(encoding="utf-8"))
            target = {**baseline, **{k: _decode(v) for k, v in changes.items() if v != _DELETED}}
            for key in [k for k in app.config if k not in target]:
                app.config.pop(key, None)
            app.config.update(target)  # one step: other threads see the old or the new value of a key
            seen["stamp"] = stamp

    # First of all request hooks: the others (login throttling, proxies) read the config too.
    app.before_request_funcs.setdefault(None, []).insert(0, follow_test_config)


def serving_app():
    """The app the live server's workers run (``tests.support.live_server:serving_app()``)."""
    from gis_tracker import create_app
    from gis_tracker.config import TestConfig

    app = create_app(TestConfig(os.environ[DATABASE_ENV]))
    follow(app, Path(os.environ[MIRROR_ENV]))
    return app


class LiveServer:
    """``python -m gis_tracker.server`` serving :func:`serving_app` on a port the system picks."""

    def __init__(self, database_url: str, config_file: Path, workers: int = 2, threads: int = 4) -> None:
        self.log = Path(tempfile.mkstemp(prefix="shifeng-live-server-", suffix=".log")[1])
        env = dict(os.environ, **{DATABASE_ENV: database_url, MIRROR_ENV: str(config_file),
                                  "GUNICORN_ACCESSLOG": "", "GUNICORN_LOGLEVEL": "warning",
                                  "GUNICORN_MAX_REQUESTS": "0"})  # no recycling mid-test (background jobs)
        with open(self.log, "wb") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "gis_tracker.server", "--app", "tests.support.live_server:serving_app()",
                 "--bind", "127.0.0.1:0", "--workers", str(workers), "--threads", str(threads)],
                cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
        self.url = self._wait_ready()

    def _wait_ready(self, timeout: float = 90) -> str:
        deadline = time.monotonic() + timeout
        url = None
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the live server exited:\n{self.log.read_text(errors='replace')[-3000:]}")
            if url is None:
                for line in self.log.read_text(errors="replace").splitlines():
                    if line.startswith("==> Serving on "):
                        url = line.split()[3]
            if url:
                try:
                    if requests.get(url + "/readyz", timeout=5).status_code == 200:
                        return url
                except requests.RequestException:
                    pass
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"the live server did not answer in {timeout:.0f} s:\n"
                           f"{self.log.read_text(errors='replace')[-3000:]}")

    def stop(self) -> None:
        """Stop gunicorn (SIGTERM: workers finish what they are doing) and remove the log."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.unlink(missing_ok=True)
