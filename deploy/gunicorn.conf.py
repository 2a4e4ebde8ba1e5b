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
"""
from __future__ import annotations

import multiprocessing
import os


def _env(name: str, default):
    value = os.environ.get(f"GUNICORN_{name.upper()}")
    return type(default)(value) if value is not None else default


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
