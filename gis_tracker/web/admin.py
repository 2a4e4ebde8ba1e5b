"""Administration pages: users, roles, API tokens and the audit trail (admins only)."""
from __future__ import annotations

from datetime import datetime

from flask import Blueprint, Response, current_app, flash, redirect, render_template, request, url_for

from .. import access, parsing
from ..access import ROLES
from ..db import db
from ..errors import AppError, BadParameter
from ..i18n import gettext as _
from ..security import current_user, current_username, logout_session
from ..services.accounts import audit_search, browser_sessions
from ..services.accounts import users as accounts
from ..services.features import catalog
from . import map_links
from .account import expiry_from_form, token_form_dates

bp = Blueprint("admin", __name__, url_prefix="/admin")
PAGE_SIZE = 100


@bp.get("")
def index():
    """Open the users page."""
    return redirect(url_for("admin.users"))


@bp.route("/users", methods=["GET", "POST"])
def users():
    """List users; create one."""
    error, status = None, 200
    if request.method == "POST":
        form = request.form
        try:
            user = accounts.create_user(db.session, form.get("username", ""), form.get("role", ""),
                                        form.get("password", ""), form.get("display_name") or None,
                                        actor=current_username())
        except AppError as exc:
            db.session.rollback()
            error, status = exc.message, exc.status
        else:
            flash(_("用户已创建") + f"：{user.username}")
            return redirect(url_for("admin.user", user_id=user.id))
    return render_template("admin/users.html", users=accounts.list_users(db.session), roles=ROLES,
                           error=error), status


def _user_page(user_id: int, error: str | None = None, status: int = 200, new_token: str | None = None):
    user = accounts.get_user(db.session, user_id)
    timeouts = browser_sessions.Timeouts.from_config(current_app.config)
    return render_template("admin/user.html", user=user, roles=ROLES, error=error, new_token=new_token,
                           tokens=accounts.list_tokens(db.session, user.id), token_dates=token_form_dates(),
                           session_count=browser_sessions.count_for(db.session, user.id, timeouts)), status


@bp.get("/users/<int:user_id>")
def user(user_id: int):
    """Show one user: role, state, password reset, tokens."""
    return _user_page(user_id)


def _apply(user_id: int, change, done: str):
    try:
        change()
    except AppError as exc:
        db.session.rollback()
        if exc.status == 404:
            raise
        return _user_page(user_id, exc.message, exc.status)
    flash(done)
    return redirect(url_for("admin.user", user_id=user_id))


@bp.post("/users/<int:user_id>/role")
def user_role(user_id: int):
    """Change a user's role."""
    return _apply(user_id, lambda: accounts.change_role(
        db.session, user_id, request.form.get("role", ""), current_username()), _("角色已修改"))


@bp.post("/users/<int:user_id>/active")
def user_active(user_id: int):
    """Deactivate or reactivate a user."""
    active = request.form.get("active") == "1"
    return _apply(user_id, lambda: accounts.set_active(db.session, user_id, active, current_username()),
                  _("已启用") if active else _("已停用"))


@bp.post("/users/<int:user_id>/password")
def user_password(user_id: int):
    """Reset a user's password."""
    return _apply(user_id, lambda: accounts.reset_password(
        db.session, user_id, request.form.get("password", ""), current_username()), _("密码已重置"))


@bp.post("/users/<int:user_id>/sessions/end")
def user_sessions_end(user_id: int):
    """Sign a user out everywhere: every browser session of theirs ends at once."""
    result = _apply(user_id, lambda: browser_sessions.sign_out_everywhere(db.session, user_id, current_username()),
                    _("已退出该用户的所有登录会话"))
    if user_id == current_user().id:  # an admin signing themselves out everywhere
        logout_session()
        return redirect(url_for("auth.login"))
    return result


@bp.post("/users/<int:user_id>/tokens")
def user_token(user_id: int):
    """Issue an API token for a user and show it once."""
    user = accounts.get_user(db.session, user_id)
    try:
        token = accounts.issue_token(db.session, user.username, request.form.get("name"), actor=current_username(),
                                     expires_on=expiry_from_form(request.form))
    except AppError as exc:
        db.session.rollback()
        return _user_page(user_id, exc.message, exc.status)
    return _user_page(user_id, new_token=token)


@bp.get("/tokens")
def tokens():
    """List every API token."""
    return render_template("admin/tokens.html", tokens=accounts.list_tokens(db.session))


@bp.post("/tokens/<int:token_id>/revoke")
def revoke_token(token_id: int):
    """Revoke any API token."""
    token = accounts.revoke_token(db.session, token_id, current_user())
    flash(_("令牌已吊销"))
    target = request.form.get("back")
    if target == "user":
        return redirect(url_for("admin.user", user_id=token.user_id))
    return redirect(url_for("admin.tokens"))


@bp.get("/roles")
def roles():
    """Show the roles and the declared access table."""
    return render_template("admin/roles.html", rows=access.table_rows(), roles=access.PUBLIC)


def _page_number() -> int:
    return parsing.integer(request.args.get("page"), "page", minimum=1, maximum=100000, default=1, code="bad_page")


@bp.get("/audit")
def audit():
    """Browse the audit trail by user, object and date."""
    try:
        filt = audit_search.AuditFilter.from_args(request.args)
    except BadParameter as exc:
        filt, error = audit_search.AuditFilter(), exc.message
    else:
        error = None
    page = _page_number()
    entries, total = audit_search.search(db.session, filt, PAGE_SIZE, (page - 1) * PAGE_SIZE)
    layers = catalog.all_collections(db.session) if entries else {}

    def map_link_of(object_type, object_id, action):  # entries about a feature (or an import) link to the map
        return map_links.object_map_link(object_type, object_id, layers, action)

    return render_template("admin/audit.html", entries=entries, total=total, page=page, filt=filt,
                           map_link_of=map_link_of,
                           page_size=PAGE_SIZE, choices=audit_search.choices(db.session), error=error,
                           as_text=audit_search.as_text, local_time=audit_search.local_time), (400 if error else 200)


@bp.get("/audit/export")
def audit_export():
    """Download the filtered audit trail as CSV or Excel."""
    filt = audit_search.AuditFilter.from_args(request.args)
    kind = request.args.get("format", "csv")
    stamp = datetime.now(audit_search.LOCAL_TZ).strftime("%Y%m%d-%H%M")
    if kind == "xlsx":
        body = audit_search.export_xlsx(db.session, filt)
        mimetype = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    elif kind == "csv":
        body = audit_search.export_csv(db.session, filt)
        mimetype = "text/csv; charset=utf-8"
    else:
        raise BadParameter("format 须为 csv 或 xlsx", code="bad_format")
    return Response(body, mimetype=mimetype, headers={
        "Content-Disposition": f'attachment; filename="audit-{stamp}.{kind}"'})
