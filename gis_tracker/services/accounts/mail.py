"""Deliver notices by e-mail through the SMTP server in the configuration (the intranet's mail relay).

Nothing is sent unless ``SMTP_HOST`` is set.  Notices waiting for e-mail carry ``email_state``
``immediate`` or ``digest``.  :func:`deliver` takes the waiting ones of one kind under ``FOR UPDATE SKIP
LOCKED`` (so two senders never send the same notice), writes one message per user listing them, and
marks them ``sent``; a failure is recorded on the notices and retried on the next run, up to
``MAX_ATTEMPTS`` times.  A digest leaves out notices already read in the app (``skipped``).

Immediate notices are sent by :func:`send_soon` in a thread right after the commit that stored them
(the request does not wait for the relay), and again by every ``flask --app app notify send|digest``
run, which picks up anything a crash or an unreachable relay left behind.
"""
from __future__ import annotations

import logging
import smtplib
import ssl
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import formataddr, make_msgid

from flask import Flask, current_app
from sqlalchemy import select
from sqlalchemy.orm import Session

from ...models import Notification, NotificationSetting, User

LOGGER = logging.getLogger(__name__)
MAX_ATTEMPTS = 5
BATCH = 500
SECURITY = ("none", "starttls", "ssl")
APP_NAME = "石峰区规划地理信息平台"


@dataclass
class Outcome:
    """What one delivery run did: messages sent, notices in them, notices skipped, failures."""

    messages: int = 0
    notices: int = 0
    skipped: int = 0
    failed: int = 0

    def as_dict(self) -> dict:
        """Return the counts as a dict (for the CLI and the logs)."""
        return {"messages": self.messages, "notices": self.notices, "skipped": self.skipped, "failed": self.failed}


def _absolute(link: str | None) -> str | None:
    base = (current_app.config.get("APP_BASE_URL") or "").rstrip("/")
    if not link:
        return None
    return base + link if base and link.startswith("/") else link


def compose(user: User, address: str, notices: list[Notification], digest: bool) -> EmailMessage:
    """Return the message telling ``user`` about ``notices`` (Chinese, plain text, UTF-8)."""
    cfg = current_app.config
    msg = EmailMessage()
    if digest:
        subject = f"【{APP_NAME}】每日通知摘要：{len(notices)} 条"
    elif len(notices) == 1:
        subject = f"【{APP_NAME}】{notices[0].title}"
    else:
        subject = f"【{APP_NAME}】{len(notices)} 条新通知"
    msg["Subject"] = subject[:240]
    msg["From"] = formataddr((APP_NAME, cfg.get("MAIL_FROM") or "shifeng-gis@localhost"))
    msg["To"] = formataddr((user.display_name or user.username, address))
    msg["Message-ID"] = make_msgid(domain=(cfg.get("MAIL_FROM") or "localhost").split("@")[-1])
    lines = [f"{user.display_name or user.username}，您好：", ""]
    for n in notices:
        when = n.created_at.astimezone().strftime("%Y-%m-%d %H:%M") if n.created_at else ""
        lines.append(f"· [{when}] {n.title}")
        if n.body:
            lines.extend("    " + line for line in n.body.splitlines()[:20])
        link = _absolute(n.link)
        if link:
            lines.append(f"    {link}")
    inbox = _absolute("/notifications")
    lines += ["", f"全部通知：{inbox}", "在“通知设置”中可选择接收哪些事件、是否发送邮件。",
              "", f"— {APP_NAME}（内部资料，请勿转发）"]
    msg.set_content("\n".join(lines))
    return msg


def _connect():
    cfg = current_app.config
    host, port = cfg["SMTP_HOST"], int(cfg.get("SMTP_PORT") or 25)
    timeout = float(cfg.get("SMTP_TIMEOUT_S") or 10)
    security = cfg.get("SMTP_SECURITY") or "none"
    if security == "ssl":
        client = smtplib.SMTP_SSL(host, port, timeout=timeout, context=ssl.create_default_context())
    else:
        client = smtplib.SMTP(host, port, timeout=timeout)
        if security == "starttls":
            client.starttls(context=ssl.create_default_context())
    if cfg.get("SMTP_USERNAME"):
        client.login(cfg["SMTP_USERNAME"], cfg.get("SMTP_PASSWORD") or "")
    return client


def _waiting(session: Session, state: str) -> dict[int, list[Notification]]:
    rows = session.scalars(select(Notification).where(Notification.email_state == state)
                           .order_by(Notification.user_id, Notification.id).limit(BATCH)
                           .with_for_update(skip_locked=True)).all()
    by_user: dict[int, list[Notification]] = {}
    for n in rows:
        by_user.setdefault(n.user_id, []).append(n)
    return by_user


def deliver(session: Session, state: str = "immediate") -> Outcome:
    """Send the notices waiting in ``state`` (``immediate`` or ``digest``), one message per user; commits."""
    outcome = Outcome()
    if not current_app.config.get("SMTP_HOST"):
        return outcome
    by_user = _waiting(session, state)
    if not by_user:
        session.commit()
        return outcome
    users = {u.id: u for u in session.scalars(select(User).where(User.id.in_(list(by_user))))}
    settings = {s.user_id: s for s in session.scalars(
        select(NotificationSetting).where(NotificationSetting.user_id.in_(list(by_user))))}
    now = datetime.now(UTC)
    client = None
    try:
        for user_id, notices in by_user.items():
            user, setting = users.get(user_id), settings.get(user_id)
            if state == "digest":
                for n in [n for n in notices if n.read_at is not None]:
                    n.email_state = "skipped"
                    outcome.skipped += 1
                notices = [n for n in notices if n.read_at is None]
            if not notices:
                continue
            if (user is None or not user.is_active or setting is None or not setting.email
                    or setting.email_mode == "off"):
                for n in notices:
                    n.email_state = "skipped"
                    outcome.skipped += 1
                continue
            try:
                if client is None:
                    client = _connect()
                client.send_message(compose(user, setting.email, notices, digest=state == "digest"))
            except (OSError, smtplib.SMTPException) as exc:
                LOGGER.warning("e-mail to %s failed: %s", user.username, exc.__class__.__name__)
                for n in notices:
                    n.email_attempts = (n.email_attempts or 0) + 1
                    n.email_error = f"{exc.__class__.__name__}: {str(exc)[:300]}"
                    if n.email_attempts >= MAX_ATTEMPTS:
                        n.email_state = "failed"
                outcome.failed += len(notices)
                if client is not None:
                    _quit(client)
                client = None
                continue
            for n in notices:
                n.email_state, n.emailed_at, n.email_error = "sent", now, None
            if state == "digest":
                setting.last_digest_at = now
            outcome.messages += 1
            outcome.notices += len(notices)
    finally:
        if client is not None:
            _quit(client)
        session.commit()
    if outcome.messages or outcome.failed:
        LOGGER.info("e-mail (%s): %s", state, outcome.as_dict())
    return outcome


def _quit(client) -> None:
    try:
        client.quit()
    except (OSError, smtplib.SMTPException):
        client.close()


def _deliver_in_thread(app: Flask) -> None:
    with app.app_context():
        factory = app.extensions["db_sessionmaker"]
        try:
            with factory() as session:
                deliver(session, "immediate")
        except Exception:  # noqa: BLE001 - the notices stay waiting; the next run sends them
            LOGGER.exception("sending immediate e-mail failed")


def send_soon(app: Flask) -> None:
    """Send waiting immediate notices in a thread of their own (nothing to do without SMTP_HOST)."""
    if not app.config.get("SMTP_HOST"):
        return
    threading.Thread(target=_deliver_in_thread, args=(app,), name="notify-mail").start()
