"""Who is asking: session login for the browser, bearer tokens for the API.

Everything except the login page, static files, ``/healthz`` and ``/readyz``
requires a login.  Role checks use :func:`require_role`.
"""
from __future__ import annotations

import functools
import logging
import secrets

from flask import Flask, abort, g, redirect, request, session, url_for

from .db import db
from .errors import Forbidden, Unauthorized
from .models import User
from .services import accounts

LOGGER = logging.getLogger(__name__)

PUBLIC_ENDPOINTS = {"auth.login", "static", "health.healthz", "health.readyz"}
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


def _load_user() -> None:
    g.user = None
    header = request.headers.get("Authorization", "")
    if header.lower().startswith("bearer "):
        g.user = accounts.user_for_token(db.session, header[7:].strip())
        g.auth_method = "token"
        return
    user_id = session.get("user_id")
    if user_id is not None:
        user = db.session.get(User, user_id)
        if user is not None and user.is_active and session.get("pw") == user.password_hash[-16:]:
            g.user = user
            g.auth_method = "session"


def _require_login():
    if request.endpoint in PUBLIC_ENDPOINTS or request.endpoint is None:
        return None
    _load_user()
    if g.user is not None:
        return None
    if is_api_request():
        raise Unauthorized("需要登录或有效的 API 令牌 / login or a valid API token required")
    return redirect(url_for("auth.login", next=request.full_path if request.query_string else request.path))


def login_session(user: User) -> None:
    """Start a fresh browser session for ``user``."""
    lang = session.get("lang")
    session.clear()
    session["user_id"] = user.id
    # Changing the password ends other sessions: they carry the old hash's tail.
    session["pw"] = user.password_hash[-16:]
    session["csrf"] = secrets.token_urlsafe(24)
    if lang:
        session["lang"] = lang
    session.permanent = False


def require_role(*roles: str):
    """Allow the decorated view only to users whose role is in ``roles``."""
    def decorator(view):
        @functools.wraps(view)
        def wrapped(*args, **kwargs):
            user = current_user()
            if user is None:
                raise Unauthorized("需要登录 / login required")
            if user.role not in roles:
                raise Forbidden("您的角色无权执行此操作 / your role may not do this")
            return view(*args, **kwargs)
        wrapped.allowed_roles = roles
        return wrapped
    return decorator


def csrf_token() -> str:
    """Return the session's CSRF token (created on first use)."""
    if "csrf" not in session:
        session["csrf"] = secrets.token_urlsafe(24)
    return session["csrf"]


def _check_csrf():
    """Refuse browser writes without the session's CSRF token (form field or header)."""
    if request.method in ("GET", "HEAD", "OPTIONS") or request.endpoint is None:
        return None
    if g.get("auth_method") == "token":
        return None  # bearer tokens are not sent automatically by browsers
    sent = request.headers.get("X-CSRFToken") or request.form.get("csrf_token")
    if not sent or not secrets.compare_digest(sent, session.get("csrf", "")):
        if is_api_request():
            raise Forbidden("CSRF 校验失败，请刷新页面 / CSRF check failed, reload the page",
                            code="csrf_failed")
        abort(400, description="CSRF")
    return None


def init_app(app: Flask) -> None:
    """Install the login guard, the CSRF check and template helpers."""
    app.before_request(_require_login)
    app.before_request(_check_csrf)
    app.jinja_env.globals.update(csrf_token=csrf_token, current_user=current_user,
                                 ROLE_LABELS=ROLE_LABELS)
