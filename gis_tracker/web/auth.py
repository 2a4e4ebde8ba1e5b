"""Login and logout pages."""
from __future__ import annotations

from urllib.parse import urlparse

from flask import Blueprint, current_app, redirect, render_template, request, url_for

from ..db import db
from ..errors import BadParameter
from ..i18n import gettext as _
from ..security import login_session, logout_session
from ..services.accounts import users
from ..services.accounts.throttle import TooManyAttempts

bp = Blueprint("auth", __name__)


def _safe_next(target: str | None) -> str:
    """Return ``target`` if it is a local path, else the map page (no open redirects)."""
    if target and target.startswith("/") and not target.startswith("//") and not urlparse(target).netloc:
        return target
    return url_for("map.index")


@bp.route("/login", methods=["GET", "POST"])
def login():
    """Show the login form and log the user in."""
    if request.method == "GET":
        return render_template("auth/login.html", error=None)
    cfg = current_app.config
    try:
        user = users.log_in(db.session, request.form.get("username", ""), request.form.get("password", ""),
                               request.remote_addr or "unknown", max_failures=cfg["LOGIN_MAX_FAILURES"],
                               window_seconds=cfg["LOGIN_WINDOW_SECONDS"])
    except TooManyAttempts as exc:
        return (render_template("auth/login.html", error=_("登录失败次数过多，请一分钟后再试")), 429,
                {"Retry-After": str(exc.details["retry_after"])})
    except BadParameter:
        return render_template("auth/login.html", error=_("请输入用户名和密码")), 400
    if user is None:
        # The same message whether the account exists or not.
        return render_template("auth/login.html", error=_("用户名或密码错误")), 401
    login_session(user)
    return redirect(_safe_next(request.args.get("next")))


@bp.post("/logout")
def logout():
    """End the session on the server (the cookie is worthless afterwards, even if copied)."""
    logout_session()
    return redirect(url_for("auth.login"))
