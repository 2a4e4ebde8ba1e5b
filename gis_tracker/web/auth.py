"""Login and logout pages."""
from __future__ import annotations

from urllib.parse import urlparse

from flask import Blueprint, redirect, render_template, request, session, url_for

from ..db import db
from ..i18n import gettext as _
from ..security import login_session
from ..services import accounts

bp = Blueprint("auth", __name__)


def _safe_next(target: str | None) -> str:
    """Return ``target`` if it is a local path, else the map page (no open redirects)."""
    if target and target.startswith("/") and not target.startswith("//") and not urlparse(target).netloc:
        return target
    return url_for("map.index")


@bp.route("/login", methods=["GET", "POST"])
def login():
    """Show the login form and log the user in."""
    error = None
    if request.method == "POST":
        user = accounts.authenticate(db.session, request.form.get("username", ""),
                                     request.form.get("password", ""))
        if user is not None:
            login_session(user)
            return redirect(_safe_next(request.args.get("next")))
        error = _("用户名或密码错误")
    return render_template("auth/login.html", error=error), (401 if error else 200)


@bp.post("/logout")
def logout():
    """End the session."""
    lang = session.get("lang")
    session.clear()
    if lang:
        session["lang"] = lang
    return redirect(url_for("auth.login"))
