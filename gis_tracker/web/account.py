"""The user's own account: change password, sign out everywhere, list, create and revoke own API tokens."""
from __future__ import annotations

from datetime import date, datetime, timedelta

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for

from ..db import db
from ..errors import AppError, BadParameter
from ..i18n import gettext as _
from ..security import current_user, login_session, logout_session
from ..services.accounts import browser_sessions, users

bp = Blueprint("account", __name__, url_prefix="/account")


DEFAULT_TOKEN_DAYS = 365


def token_form_dates() -> dict:
    """Return the expiry date input's default, min and max (China time), for the token forms."""
    today = datetime.now(users.TOKEN_ZONE).date()
    return {"default": (today + timedelta(days=DEFAULT_TOKEN_DAYS)).isoformat(),
            "min": (today + timedelta(days=1)).isoformat(),
            "max": (today + timedelta(days=users.MAX_TOKEN_DAYS)).isoformat()}


def expiry_from_form(form) -> date:
    """Return the token form's ``expires_on`` date (required; 400 when missing or malformed)."""
    raw = (form.get("expires_on") or "").strip()
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise BadParameter("请选择令牌的有效期（YYYY-MM-DD）", code="bad_expiry",
                           details={"field": "expires_on"}) from None


@bp.app_template_global()
def token_last_day(token) -> str | None:
    """Return the last day (China time) a token works, as YYYY-MM-DD, or None when it never expires."""
    if token.expires_at is None:
        return None
    return (token.expires_at.astimezone(users.TOKEN_ZONE) - timedelta(seconds=1)).date().isoformat()


@bp.app_template_global()
def token_expired(token) -> bool:
    """Tell whether a token's expiry has passed."""
    return token.expires_at is not None and token.expires_at <= datetime.now(users.TOKEN_ZONE)


def _page(new_token: str | None = None, error: str | None = None, status: int = 200):
    user = current_user()
    return render_template("account/index.html", user=user, new_token=new_token, error=error,
                           tokens=users.list_tokens(db.session, user.id), token_dates=token_form_dates(),
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
    """Create an API token for the caller, valid through the chosen date, and show it once."""
    user = current_user()
    try:
        token = users.issue_token(db.session, user.username, request.form.get("name"),
                                  expires_on=expiry_from_form(request.form))
    except AppError as exc:
        db.session.rollback()
        return _page(error=exc.message, status=exc.status)
    return _page(new_token=token)


@bp.post("/tokens/<int:token_id>/revoke")
def revoke_token(token_id: int):
    """Revoke one of the caller's API tokens."""
    users.revoke_token(db.session, token_id, current_user())
    flash(_("令牌已吊销"))
    return redirect(url_for("account.index"))
