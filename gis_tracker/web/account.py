"""The user's own account: change password, sign out everywhere, list, create and revoke own API tokens."""
from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for

from ..db import db
from ..errors import AppError
from ..i18n import gettext as _
from ..security import current_user, login_session, logout_session
from ..services.accounts import browser_sessions, users

bp = Blueprint("account", __name__, url_prefix="/account")


def _page(new_token: str | None = None, error: str | None = None, status: int = 200):
    user = current_user()
    return render_template("account/index.html", user=user, new_token=new_token, error=error,
                           tokens=users.list_tokens(db.session, user.id),
                           session_count=browser_sessions.count_for(
                               db.session, user.id, browser_sessions.Timeouts.from_config(current_app.config))), status


@bp.get("")
def index():
    """Show the account page."""
    return _page()


@bp.post("/password")
def change_password():
    """Change the caller's own password (other sessions end, this one continues)."""
    form = request.form
    try:
        user = users.change_own_password(db.session, current_user(), form.get("current_password", ""),
                                            form.get("new_password", ""), form.get("confirm_password", ""))
    except AppError as exc:
        return _page(error=exc.message, status=exc.status)
    login_session(user)
    flash(_("密码已修改"))
    return redirect(url_for("account.index"))


@bp.post("/sessions/end")
def sign_out_everywhere():
    """End every session of the caller, this one included (e.g. after using a shared computer)."""
    user = current_user()
    browser_sessions.sign_out_everywhere(db.session, user.id, user.username)
    logout_session()
    return redirect(url_for("auth.login"))


@bp.post("/tokens")
def new_token():
    """Create an API token for the caller and show it once."""
    user = current_user()
    token = users.issue_token(db.session, user.username, request.form.get("name"))
    return _page(new_token=token)


@bp.post("/tokens/<int:token_id>/revoke")
def revoke_token(token_id: int):
    """Revoke one of the caller's API tokens."""
    users.revoke_token(db.session, token_id, current_user())
    flash(_("令牌已吊销"))
    return redirect(url_for("account.index"))
