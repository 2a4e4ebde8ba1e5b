"""通知 pages: the inbox (filter, mark read, go to the object) and the settings; the bell's count in every page."""
from __future__ import annotations

import logging

from flask import Blueprint, redirect, render_template, request, url_for
from sqlalchemy.exc import SQLAlchemyError

from .. import parsing
from ..api.planning_params import parse_bool
from ..db import db
from ..security import current_user
from ..services.accounts import notifications
from ..services.features import catalog
from . import map_links

LOGGER = logging.getLogger(__name__)
bp = Blueprint("notifications", __name__, url_prefix="/notifications")
PER_PAGE = 50


def _safe_next(target: str | None, default: str) -> str:
    """Return ``target`` when it is a path of this app (no scheme, no host), else ``default``."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return default


@bp.app_template_global("unread_notifications")
def unread_notifications() -> int | None:
    """Return the logged-in user's unread count for the bell (None when nobody is logged in)."""
    user = current_user()
    if user is None:
        return None
    try:
        return notifications.unread_count(db.session, user)
    except SQLAlchemyError:  # an error page while the database is down still renders, without the count
        LOGGER.warning("unread count unavailable")
        return None


@bp.get("")
def inbox():
    """Show the user's notifications, newest first, filtered by event and read state."""
    args = request.args
    unread = parse_bool(args.get("unread"), "unread")
    event = args.get("event") or None
    page = parsing.integer(args.get("page"), "page", minimum=1, maximum=99999, default=1)
    rows, total = notifications.inbox(db.session, current_user(), unread, event, PER_PAGE, (page - 1) * PER_PAGE)
    layers = catalog.all_collections(db.session) if rows else {}
    items = [{**notifications.as_dict(n), "map_link": map_links.object_map_link(n.object_type, n.object_id, layers)}
             for n in rows]  # a notice about a feature also links to it on the map
    return render_template("notifications/inbox.html", items=items, total=total,
                           page=page, pages=max(1, -(-total // PER_PAGE)), unread=unread, event=event,
                           events=[(code, notifications.event_label(code)) for code in notifications.EVENTS])


@bp.post("/<int:notification_id>/read")
def read(notification_id: int):
    """Mark a notification read, then go to its object (``go=1``) or back to the inbox."""
    found = notifications.mark_read(db.session, current_user(), notification_id)
    if request.form.get("go") == "1" and found.link:
        return redirect(_safe_next(found.link, url_for("notifications.inbox")))
    return redirect(_safe_next(request.form.get("next"), url_for("notifications.inbox")))


@bp.post("/read-all")
def read_all():
    """Mark every unread notification (of the chosen event) read."""
    notifications.mark_all_read(db.session, current_user(), request.form.get("event") or None)
    return redirect(_safe_next(request.form.get("next"), url_for("notifications.inbox")))


@bp.get("/settings")
def settings():
    """Show the user's choice of events and e-mail."""
    return render_template("notifications/settings.html", s=notifications.settings_of(db.session, current_user()),
                           saved=request.args.get("saved") == "1")


@bp.post("/settings")
def save_settings():
    """Save the settings form (the version it was shown at guards against a concurrent change)."""
    form = request.form
    body = {"events": {code: form.get(f"event_{code}") == "1" for code in notifications.EVENTS},
            "email": form.get("email", "").strip() or None, "email_mode": form.get("email_mode", "off")}
    version = parsing.integer(form.get("version"), "version", code="bad_form")
    notifications.update_settings(db.session, current_user(), body, notifications.settings_etag(version))
    return redirect(url_for("notifications.settings", saved=1))
