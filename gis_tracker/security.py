"""Who is asking: server-side sessions for the browser, API tokens (Bearer or Basic) for the API.

Everything except the login page, static files, ``/healthz`` and ``/readyz``
requires a login; then the declared access table (:mod:`gis_tracker.access`)
decides per role, route and method.  Browser writes need the CSRF token.
API tokens come as ``Authorization: Bearer <token>`` or, for clients that
can only send HTTP Basic (QGIS 3.22, GDAL 3.6), as the Basic password with
the token owner's name as username (:func:`api_token_user`); 401 answers
challenge both (:func:`www_authenticate`).  Cross-origin API use is allowed
for ``CORS_ORIGINS`` only (:func:`cors_preflight`, :func:`cors_headers`).
Every response carries the security headers (CSP, nosniff, frame denial,
referrer policy); see :func:`security_headers`.
"""
from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import logging
from urllib.parse import urlparse

from flask import Flask, abort, current_app, g, has_request_context, make_response, redirect, request, session, url_for
from flask.sessions import SecureCookieSessionInterface
from werkzeug.middleware.proxy_fix import ProxyFix

from . import access
from .db import db
from .errors import Forbidden, Unauthorized
from .models import User
from .services.accounts import browser_sessions, users

LOGGER = logging.getLogger(__name__)

PUBLIC_ENDPOINTS = {e for e, methods in access.ACCESS.items()
                    if access.ANONYMOUS in methods.get("GET", ())}
API_PREFIXES = ("/api/", "/ogc", "/tiles/")

ROLE_LABELS = {
    "admin": ("管理员", "Administrator"),
    "planner": ("规划人员", "Planner"),
    "relocation_officer": ("搬迁办人员", "Relocation officer"),
    "viewer": ("只读用户", "Viewer"),
}


def is_api_request() -> bool:
    """Tell whether the request is for the JSON API (answered with JSON errors)."""
    return request.path.startswith(API_PREFIXES) or request.path == "/ogc"


def current_user() -> User | None:
    """Return the logged-in user of this request, or None."""
    return g.get("user")


def current_username() -> str | None:
    """Return the username to attribute writes to."""
    user = current_user()
    return user.username if user else None


REALM = "Shifeng planning GIS"
CORS_PREFIXES = ("/ogc", "/tiles/", "/api/")
CORS_METHODS = "GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS"
CORS_REQUEST_HEADERS = ("Authorization, Accept, Accept-Language, Content-Type, Content-Crs, If-Match, "
                        "If-None-Match, X-CSRFToken")
CORS_EXPOSED_HEADERS = "ETag, Location, Content-Crs, Content-Disposition, Link, Retry-After, WWW-Authenticate"


def api_token_user(header: str) -> tuple[str, User | None] | None:
    """Return ``(method, user)`` for an ``Authorization`` header with an API token, or None for other schemes.

    ``Bearer <token>`` (method "token") and ``Basic base64(username:token)``
    (method "basic"), where the password must be an API token of that user —
    never the account password, which only the throttled login form checks.
    A malformed, unknown, revoked or expired credential gives ``user`` None (401).
    """
    scheme, _, value = header.strip().partition(" ")
    scheme = scheme.lower()
    if scheme == "bearer":
        token = value.strip()
        return "token", users.user_for_token(db.session, token) if token else None
    if scheme != "basic":
        return None
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return "basic", None
    username, sep, token = decoded.partition(":")
    if not sep:
        return "basic", None
    return "basic", users.user_for_basic(db.session, username, token)


def _load_user() -> None:
    g.user = None
    found = api_token_user(request.headers.get("Authorization", ""))
    if found is not None:
        g.auth_method, g.user = found
        return
    user = _session_user()
    if user is not None:
        g.user = user
        g.auth_method = "session"


def _require_login():
    if access.is_public(request.endpoint, request.method):
        return None  # no database needed: the login page works while PostgreSQL is down
    _load_user()
    if g.user is not None:
        if not access.permits(request.endpoint, request.method, g.user.role):
            raise Forbidden("您的角色无权访问此功能", code="role_forbidden")
        return None
    if is_api_request():
        raise Unauthorized("需要登录或有效的 API 令牌")
    return redirect(url_for("auth.login", next=request.full_path if request.query_string else request.path))


# ---- Browser sessions and CSRF ---------------------------------------------------------------
# The cookie (Flask's signed cookie) holds the random session id ``sid`` and the chosen language,
# nothing secret besides the id itself: who is logged in lives in ``browser_sessions`` on the server
# (services/accounts/browser_sessions.py), and the CSRF token is derived from the id with the
# server's key, never stored in the cookie.


def _session_timeouts() -> browser_sessions.Timeouts:
    return browser_sessions.Timeouts.from_config(current_app.config)


def _session_user() -> User | None:
    """Return the user of this browser's server-side session, or None (no session, ended or timed out)."""
    sid = session.get("sid")
    if not isinstance(sid, str):
        return None
    return browser_sessions.resolve(db.session, sid, _session_timeouts())


def _fresh_cookie(sid: str | None) -> None:
    """Empty the cookie except the language, and give it ``sid`` (a new id: no fixation across a login)."""
    lang = session.get("lang")
    session.clear()
    if lang:
        session["lang"] = lang
    if sid:
        session["sid"] = sid


def login_session(user: User) -> None:
    """Start a fresh server-side session for ``user`` and put only its id in the cookie."""
    sid = browser_sessions.start(db.session, user, _session_timeouts(), address=request.remote_addr,
                                 user_agent=request.headers.get("User-Agent"))
    _fresh_cookie(sid)


def logout_session() -> None:
    """End this browser's session on the server: a copy of the cookie opens nothing afterwards."""
    sid = session.get("sid")
    browser_sessions.end(db.session, sid if isinstance(sid, str) else None)
    _fresh_cookie(None)


def csrf_token() -> str:
    """Return this browser's CSRF token: an HMAC of its session id under the server's key.

    OWASP's signed double-submit pattern: the token is tied to the session id
    (a new one at login and logout) and can only be made by the server.  A
    browser without a session id (the login page) gets one, not logged in.
    """
    sid = session.get("sid")
    if not isinstance(sid, str):
        sid = session["sid"] = browser_sessions.new_id()
    key = str(current_app.config["SECRET_KEY"]).encode()
    digest = hmac.new(key, b"csrf\0" + sid.encode("utf-8", "surrogatepass"), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def _check_csrf():
    """Refuse browser writes without the session's CSRF token (form field or header)."""
    if request.method in ("GET", "HEAD", "OPTIONS") or request.endpoint is None:
        return None
    if g.get("auth_method") == "token":
        return None  # bearer tokens are not sent automatically by browsers
    if g.get("auth_method") == "basic" and not _cross_site_browser_request():
        return None  # QGIS, GDAL: no browser, no cookies; a browser caches Basic credentials, so not from other sites
    sent = request.headers.get("X-CSRFToken") or request.form.get("csrf_token")
    expected = csrf_token() if isinstance(session.get("sid"), str) else ""
    if not sent or not expected or not hmac.compare_digest(sent.encode("utf-8", "surrogatepass"),
                                                           expected.encode("ascii")):
        if is_api_request():
            raise Forbidden("CSRF 校验失败，请刷新页面",
                            code="csrf_failed")
        abort(400, description="CSRF")
    return None


def _own_origin() -> str:
    root = urlparse(url_for("ogc.landing", _external=True))
    return f"{root.scheme}://{root.netloc}"


def _cross_site_browser_request() -> bool:
    """Tell whether a browser sent this request from another site (which may reuse cached Basic credentials)."""
    if request.headers.get("Sec-Fetch-Site") in ("cross-site", "same-site"):
        return True
    origin = request.headers.get("Origin")
    return bool(origin) and origin != _own_origin() and _cors_origin(origin) is None


def _cors_origins() -> list[str]:
    raw = current_app.config.get("CORS_ORIGINS", "") or ""
    return [o.strip().rstrip("/") for o in raw.split(",") if o.strip()]


def _cors_origin(origin: str | None) -> str | None:
    """Return the ``Access-Control-Allow-Origin`` value for ``origin`` (None: not allowed)."""
    if not origin:
        return None
    allowed = _cors_origins()
    if origin.rstrip("/") in allowed:
        return origin
    if "*" in allowed:
        return "*"
    return None


def _is_cors_path() -> bool:
    return request.path.startswith(CORS_PREFIXES)


def cors_preflight():
    """Answer CORS preflights on the API (204) before any login check: they never carry credentials."""
    if (request.method != "OPTIONS" or not _is_cors_path()
            or "Access-Control-Request-Method" not in request.headers):
        return None
    resp = make_response("", 204)
    allowed = _cors_origin(request.headers.get("Origin"))
    if allowed is not None:
        resp.headers["Access-Control-Allow-Methods"] = CORS_METHODS
        resp.headers["Access-Control-Allow-Headers"] = CORS_REQUEST_HEADERS
        resp.headers["Access-Control-Max-Age"] = "600"
    return resp


def cors_headers(response):
    """Let browsers on ``CORS_ORIGINS`` read API answers; credentials only for origins listed by name."""
    if not _is_cors_path():
        return response
    response.vary.add("Origin")
    allowed = _cors_origin(request.headers.get("Origin"))
    if allowed is None:
        return response
    response.headers["Access-Control-Allow-Origin"] = allowed
    if allowed != "*":
        response.headers["Access-Control-Allow-Credentials"] = "true"
    response.headers["Access-Control-Expose-Headers"] = CORS_EXPOSED_HEADERS
    return response


def www_authenticate(response):
    """Challenge with both schemes clients may answer: Bearer (a token) and Basic (username + token).

    The app's own page scripts (same-origin fetches) get only the Bearer
    challenge, so the browser never opens its password dialog over the map
    when a session has ended; the page sends the user to the login form.
    """
    if response.status_code != 401 or not is_api_request():
        return response
    challenge = f'Bearer realm="{REALM}"'
    own_script = (request.headers.get("Sec-Fetch-Site") == "same-origin"
                  and request.headers.get("Sec-Fetch-Mode") not in (None, "navigate"))
    if not own_script:
        challenge += f', Basic realm="{REALM}", charset="UTF-8"'
    response.headers["WWW-Authenticate"] = challenge
    return response


class _SessionInterface(SecureCookieSessionInterface):
    """Signed-cookie sessions whose cookie is Secure whenever the request came over HTTPS."""

    def get_cookie_secure(self, app: Flask) -> bool:
        """Mark the cookie Secure when configured, or when this request is HTTPS (also behind nginx)."""
        return bool(app.config["SESSION_COOKIE_SECURE"]) or (has_request_context() and request.is_secure)


def content_security_policy(basemap_url: str) -> str:
    """Return the CSP: only our own scripts, styles, fonts and XHR; images also from the basemap host.

    ``style-src`` allows ``'unsafe-inline'``: Leaflet, Leaflet-Geoman and
    Chart.js position and size elements with inline styles, and templates set
    legend swatch colours with ``style=""``.  Inline styles cannot run script;
    every user string is escaped, so no attacker-controlled CSS reaches a page.
    Scripts stay strict: no inline scripts, no eval, nothing remote (the map's
    configuration is a ``<script type="application/json">`` data block, which
    the browser never executes).
    """
    img = ["'self'", "data:", "blob:"]
    parsed = urlparse(basemap_url or "")
    if parsed.scheme in ("http", "https") and parsed.hostname:
        host = parsed.netloc.split("@")[-1]
        # Tile templates like {s}.tiles.local become a wildcard of the subdomains.
        if "{" in host:
            host = "*." + host.split("}.", 1)[-1] if "}." in host else host.replace("{s}", "*")
        img.append(f"{parsed.scheme}://{host}")
    return "; ".join([
        "default-src 'self'", "script-src 'self'", "style-src 'self' 'unsafe-inline'",
        f"img-src {' '.join(img)}", "font-src 'self'", "connect-src 'self'", "worker-src 'self' blob:",
        "object-src 'none'", "base-uri 'self'", "form-action 'self'", "frame-ancestors 'none'",
    ])


def security_headers(response):
    """Add CSP, nosniff, frame denial and referrer policy to every response."""
    headers = response.headers
    headers.setdefault("Content-Security-Policy", g.get("csp") or "default-src 'self'")
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Referrer-Policy", "same-origin")
    headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    if request.is_secure:
        headers.setdefault("Strict-Transport-Security", "max-age=31536000")
    if g.get("user") is not None and "Cache-Control" not in headers and request.endpoint != "static":
        headers["Cache-Control"] = "private, no-cache"  # never kept by shared caches; ETags still work
    return response


def init_app(app: Flask) -> None:
    """Install the proxy fix, the login guard, the CSRF check, security headers and template helpers."""
    proxies = int(app.config.get("TRUSTED_PROXIES", 0))
    if proxies > 0:
        # Behind nginx: trust its X-Forwarded-For/-Proto/-Host/-Port (and no one else's).
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies,
                                x_port=proxies)
    app.session_interface = _SessionInterface()
    csp = content_security_policy(app.config.get("BASEMAP_URL", ""))
    app.before_request(lambda: setattr(g, "csp", csp))
    app.before_request(cors_preflight)
    app.before_request(_require_login)
    app.before_request(_check_csrf)
    app.after_request(security_headers)
    app.after_request(www_authenticate)
    app.after_request(cors_headers)
    app.jinja_env.globals.update(csrf_token=csrf_token, current_user=current_user,
                                 ROLE_LABELS=ROLE_LABELS)
