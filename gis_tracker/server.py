"""The production HTTP server: gunicorn with ``deploy/gunicorn.conf.py``, started from Python.

This is the one way the app is served over HTTP — ``script/server`` (through
``flask serve``), the benches (``bench/_harness.py``, ``bench/peers.py``) and
the test suite's live server (``tests/support/live_server.py``) all call
:func:`serve` or run ``python -m gis_tracker.server`` — so what is measured
and tested is what users get: the same worker class, worker and thread
counts, timeouts, hooks (warm database pool, the "Serving on" line) and
limits.  Settings come from ``deploy/gunicorn.conf.py`` and its ``GUNICORN_*``
environment variables; the arguments here override bind address, workers
and threads.

Each worker builds its own app from ``app_spec`` (``gis_tracker:create_app()``
by default, a factory call, so a worker never reuses an app — or a database
connection — made before the fork, even when the parent process already
imported one, as ``flask serve`` has).

    python -m gis_tracker.server [--bind 127.0.0.1:5000] [--workers N] [--threads N] [--app SPEC]

``--bind 127.0.0.1:0`` lets the system choose a free port; the line
``==> Serving on http://127.0.0.1:PORT`` on standard output tells which.
"""
from __future__ import annotations

import argparse
import os
import runpy
import sys
from pathlib import Path

from gunicorn.app.base import BaseApplication
from gunicorn.util import import_app

PROJECT_ROOT = Path(__file__).resolve().parent.parent
CONFIG_FILE = PROJECT_ROOT / "deploy" / "gunicorn.conf.py"
DEFAULT_APP = "gis_tracker:create_app()"
READY_PREFIX = "==> Serving on "


class _Gunicorn(BaseApplication):
    """gunicorn configured from ``deploy/gunicorn.conf.py`` plus explicit overrides."""

    def __init__(self, app_spec: str, overrides: dict) -> None:
        self.app_spec = app_spec
        self.overrides = overrides
        super().__init__()

    def load_config(self) -> None:
        settings = runpy.run_path(str(CONFIG_FILE))
        settings.update({k: v for k, v in self.overrides.items() if v is not None})
        for key, value in settings.items():
            if key in self.cfg.settings and value is not None:
                self.cfg.set(key, value)

    def load(self):
        return import_app(self.app_spec)


def serve(app_spec: str = DEFAULT_APP, bind: str | None = None, workers: int | None = None,
          threads: int | None = None) -> None:
    """Run gunicorn in this process until it is stopped (SIGINT/SIGTERM)."""
    os.chdir(PROJECT_ROOT)  # app specs like "app:app" and relative paths resolve from the checkout
    if str(PROJECT_ROOT) not in sys.path:
        sys.path.insert(0, str(PROJECT_ROOT))
    overrides = {"bind": [bind] if bind else None, "workers": workers, "threads": threads}
    _Gunicorn(app_spec, overrides).run()


def main(argv: list[str] | None = None) -> int:
    """Command line: ``python -m gis_tracker.server``."""
    parser = argparse.ArgumentParser(description="Serve the app with gunicorn and deploy/gunicorn.conf.py")
    parser.add_argument("--app", default=DEFAULT_APP, help=f"WSGI app or factory call (default {DEFAULT_APP})")
    parser.add_argument("--bind", default=None, help="host:port (default from deploy/gunicorn.conf.py)")
    parser.add_argument("--workers", type=int, default=None)
    parser.add_argument("--threads", type=int, default=None)
    args = parser.parse_args(argv)
    serve(args.app, args.bind, args.workers, args.threads)
    return 0


if __name__ == "__main__":
    sys.exit(main())
