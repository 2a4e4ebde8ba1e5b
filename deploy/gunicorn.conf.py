"""Production server configuration: ``gunicorn -c deploy/gunicorn.conf.py app:app``.

Every setting can be overridden by an environment variable of the same name
in upper case with a ``GUNICORN_`` prefix (e.g. ``GUNICORN_WORKERS=8``).

* Workers: processes (``2 × cores + 1`` by default) each with a few threads
  (``gthread``): requests mostly wait on PostgreSQL, so threads overlap them,
  and processes use every core for shapely/pyproj work.
* Database connections: each worker process has its own SQLAlchemy pool
  (``DB_POOL_SIZE`` 10 + 20 overflow), so workers × 30 must stay below the
  server's ``max_connections`` (200 in the private cluster).
* ``preload_app`` is off: each worker builds the app (and its engine) after
  the fork, so no database connection is ever shared between processes.
* Behind nginx set ``TRUSTED_PROXIES=1`` (the app then honours
  X-Forwarded-For/-Proto, so the session cookie is Secure over HTTPS) and
  ``GUNICORN_FORWARDED_ALLOW_IPS`` to nginx's address.
* ``timeout`` is above the statement timeout (15 s), so a slow query ends as a
  clean 503 from the app, not as a killed worker.
* Each worker opens ``threads`` database connections before it accepts
  requests and warms them (PostGIS loaded, the PROJ transformations of tiles
  and GeoJSON built): a new PostgreSQL backend spends 100–150 ms on that, which
  would otherwise land on the first tiles a user asks for.
* When it is ready the server prints ``==> Serving on http://HOST:PORT`` (the
  real port, also when bound to port 0).

``python -m gis_tracker.server`` (what ``script/server``, the benches and the
test suite's live server run) reads this file too.
"""
from __future__ import annotations

import multiprocessing
import os


def _env(name: str, default):
    value = os.environ.get(f"GUNICORN_{name.upper()}")
    if value is None:
        return default
    if isinstance(default, bool):
        return value.lower() in ("1", "true", "yes", "on")
    return type(default)(value)


bind = _env("bind", f"127.0.0.1:{os.environ.get('PORT', '5000')}")
workers = _env("workers", multiprocessing.cpu_count() * 2 + 1)
worker_class = "gthread"
threads = _env("threads", 4)
timeout = _env("timeout", 60)
graceful_timeout = _env("graceful_timeout", 30)
keepalive = _env("keepalive", 5)
max_requests = _env("max_requests", 2000)  # recycle workers now and then (memory of GDAL/shapely)
max_requests_jitter = _env("max_requests_jitter", 200)
preload_app = False
forwarded_allow_ips = _env("forwarded_allow_ips", "127.0.0.1")
limit_request_line = 8190
limit_request_fields = 100
accesslog = _env("accesslog", "-") or None  # GUNICORN_ACCESSLOG="" turns it off
errorlog = "-"
loglevel = _env("loglevel", "info")
access_log_format = '%(h)s "%(r)s" %(s)s %(b)s %(M)sms'
proc_name = "shifeng-gis"
# gunicorn's control socket (gunicornc) defaults to one path per user: two servers on one machine
# would fight over it.  Off unless GUNICORN_CONTROL_SOCKET names a path of this server's own.
control_socket = _env("control_socket", "") or None
control_socket_disable = control_socket is None


def when_ready(server) -> None:
    """Say where the server listens (the real address, also for port 0) and how it is sized."""
    for listener in server.LISTENERS:
        print(f"==> Serving on {listener}  (gunicorn, {server.cfg.workers} workers x "
              f"{server.cfg.threads} threads; Ctrl+C to stop)", flush=True)


def post_worker_init(worker) -> None:
    """Open and warm the worker's database connections before it takes requests."""
    from gis_tracker.db import warm_pool

    warm_pool(worker.wsgi, worker.cfg.threads)
