"""Which host names the server answers to, and the one base every absolute link is built from.

A request's ``Host`` header (behind nginx with ``TRUSTED_PROXIES``, its
``X-Forwarded-Host``) is chosen by the client; links built from it would send
QGIS, a downloaded map or a colleague to whatever host an attacker named
(OWASP: Host header injection).  So:

* ``EXTERNAL_URL`` (e.g. ``https://gis.shifeng.gov.cn`` or
  ``http://10.20.1.5:5000``): when set, every absolute link —
  ``url_for(..., _external=True)`` anywhere: OGC links, ``Location`` headers,
  redirects — is built from it, whatever the request said, and also outside a
  request (commands, background jobs).  A path (``https://host/gis``) becomes
  the prefix of every link; the reverse proxy then strips it.
* ``TRUSTED_HOSTS`` (comma-separated names or IPv4 addresses; ``.example.org``
  admits its subdomains): the hosts a request may name.  Any other gets 400
  ``untrusted_host`` before anything else runs.  Unset, the list is the host
  of ``EXTERNAL_URL`` (if set), ``localhost``, ``127.0.0.1`` and this
  machine's own names and IPv4 addresses.  (IPv6 literals like ``[::1]``
  cannot be listed: Werkzeug's check compares the part before the first
  colon; use a name.)

The checks are Flask's own (``TRUSTED_HOSTS``); the links come from
:class:`App`, the application class, so links other modules add get the same
treatment without knowing about it.
"""
from __future__ import annotations

import fcntl
import logging
import socket
import struct
from urllib.parse import urlsplit

from flask import Flask, jsonify, request
from werkzeug.exceptions import SecurityError

from .i18n import translate

LOGGER = logging.getLogger(__name__)
LOOPBACK = ("localhost", "127.0.0.1")
SIOCGIFADDR = 0x8915  # Linux ioctl: the IPv4 address of an interface
_refused: set[str] = set()


class ExternalUrlProblem(ValueError):
    """EXTERNAL_URL is not an http(s) URL with a host (refused at start-up, never guessed)."""


def parse_external_url(value: str | None) -> tuple[str, str, str] | None:
    """Return (scheme, host[:port], path prefix) of EXTERNAL_URL, or None when unset."""
    value = (value or "").strip()
    if not value:
        return None
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment \
            or parts.username or parts.password:
        raise ExternalUrlProblem(f"EXTERNAL_URL must look like https://gis.example.org[/prefix], not {value!r}")
    return parts.scheme, parts.netloc.lower(), parts.path.rstrip("/")


def _machine_addresses() -> set[str]:
    """Return this machine's host names and IPv4 addresses (best effort; Linux interfaces included)."""
    found: set[str] = set()
    try:
        name = socket.gethostname()
        found |= {name.lower(), socket.getfqdn(name).lower()}
        found |= {info[4][0] for info in socket.getaddrinfo(name, None, socket.AF_INET)}
    except OSError:
        pass
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            for _, interface in socket.if_nameindex():
                try:
                    packed = fcntl.ioctl(probe.fileno(), SIOCGIFADDR, struct.pack("256s", interface[:15].encode()))
                except OSError:
                    continue  # an interface without an IPv4 address
                found.add(socket.inet_ntoa(packed[20:24]))
    except OSError:
        pass
    return {h for h in found if h and ":" not in h}


def trusted_hosts(configured: list[str] | None, external: tuple[str, str, str] | None) -> list[str]:
    """Return the host names a request may carry (see the module docstring for the defaults)."""
    hosts = [h.strip().lower() for h in (configured or []) if h.strip()]
    if external is not None:
        hosts.append(urlsplit(f"//{external[1]}").hostname)
    if not configured:
        hosts += list(LOOPBACK)
        if external is None:
            hosts += sorted(_machine_addresses())
    return list(dict.fromkeys(hosts))


class App(Flask):
    """The Flask application, with absolute links built from ``EXTERNAL_URL`` when it is set."""

    def create_url_adapter(self, request):  # noqa: D102 - Flask's hook, documented there
        adapter = super().create_url_adapter(request)
        external = self.config.get("EXTERNAL_URL_PARTS")
        if adapter is None and external is not None and request is None:
            scheme, netloc, prefix = external
            return self.url_map.bind(netloc, script_name=prefix or "/", url_scheme=scheme)
        if adapter is not None and external is not None:
            scheme, netloc, prefix = external
            adapter.server_name, adapter.url_scheme = netloc, scheme
            if prefix:
                adapter.script_name = prefix + "/"
        return adapter


def _untrusted_host(exc: SecurityError):
    """Answer a request naming a host we do not serve (no links, no templates: nothing to build them from)."""
    host = (request.environ.get("HTTP_X_FORWARDED_HOST") or request.environ.get("HTTP_HOST") or "")[:100]
    if host not in _refused and len(_refused) < 100:
        _refused.add(host)
        LOGGER.warning("refused a request for host %r: not in TRUSTED_HOSTS (set EXTERNAL_URL or TRUSTED_HOSTS)",
                       host)
    message = translate("请求的主机名不受信任")
    if request.path.startswith(("/api/", "/ogc", "/tiles/")):
        return jsonify({"code": "untrusted_host", "message": message}), 400
    return (f"<!doctype html><meta charset=utf-8><title>400</title><p>{message}</p>", 400,
            {"Content-Type": "text/html; charset=utf-8"})


def init_app(app: Flask) -> None:
    """Check EXTERNAL_URL, work out the trusted hosts and answer other hosts with 400."""
    external = parse_external_url(app.config.get("EXTERNAL_URL"))
    app.config["EXTERNAL_URL_PARTS"] = external
    configured = app.config.get("TRUSTED_HOSTS")
    if isinstance(configured, str):
        configured = [h for h in configured.split(",") if h.strip()]
    app.config["TRUSTED_HOSTS"] = trusted_hosts(configured, external)
    if external is not None:
        app.config["PREFERRED_URL_SCHEME"] = external[0]
    app.register_error_handler(SecurityError, _untrusted_host)
