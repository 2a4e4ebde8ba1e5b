"""E-mail of notifications through a real SMTP server (aiosmtpd started by the test): immediate and digest."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from gis_tracker.models import Notification, User
from gis_tracker.services.accounts import mail, notifications
from tests.support.smtp import free_port, smtp_server, wait_for


def _user(session, username: str) -> User:
    return session.scalar(select(User).where(User.username == username))


@pytest.fixture()
def mailbox(app, session):
    """The SMTP server, with the planner on immediate e-mail and the admin on the daily digest (undone after)."""
    with smtp_server(app) as collector:
        notifications.update_settings(session, _user(session, "planner"),
                                      {"email": "planner@shifeng.gov.cn", "email_mode": "immediate"}, None)
        notifications.update_settings(session, _user(session, "admin"),
                                      {"email": "admin@shifeng.gov.cn", "email_mode": "digest"}, None)
        yield collector
        for name in ("planner", "admin"):
            notifications.update_settings(session, _user(session, name), {"email": None, "email_mode": "off"}, None)
        mail.deliver(session, "digest")  # nothing of these tests is left waiting for later ones


def _blocked(session, name: str) -> None:
    notifications.project_blocked(session, project_id=999_000 + len(name), project_name=name,
                                  report_number=name, reason="测试")
    session.commit()


def test_immediate_mail_is_sent_after_the_commit(app, session, mailbox):
    _blocked(session, "邮件测试项目甲")
    wait_for(lambda: any("邮件测试项目甲" in m["Subject"] for m in mailbox.messages), what="the immediate e-mail")
    message = next(m for m in mailbox.messages if "邮件测试项目甲" in m["Subject"])
    assert message["To"].addresses[0].addr_spec == "planner@shifeng.gov.cn"
    assert "不得实施" in message.get_content() and "/flags/projects/" in message.get_content()
    session.expire_all()
    row = session.scalar(select(Notification).join(User, User.id == Notification.user_id).where(
        User.username == "planner", Notification.title.contains("邮件测试项目甲")))
    assert row.email_state == "sent" and row.emailed_at is not None
    assert not any(m["To"].addresses[0].addr_spec == "admin@shifeng.gov.cn" for m in mailbox.messages)


def test_the_digest_collects_the_day_and_leaves_out_what_was_read(app, session, mailbox):
    _blocked(session, "摘要项目乙")
    _blocked(session, "摘要项目丙")
    admin = _user(session, "admin")
    read = session.scalar(select(Notification).where(Notification.user_id == admin.id,
                                                     Notification.title.contains("摘要项目丙")))
    notifications.mark_read(session, admin, read.id)
    result = app.test_cli_runner().invoke(args=["notify", "digest", "--no-scan"])
    assert result.exit_code == 0, result.output
    digests = [m for m in mailbox.messages if m["To"].addresses[0].addr_spec == "admin@shifeng.gov.cn"]
    assert len(digests) == 1 and "每日通知摘要" in digests[0]["Subject"]
    body = digests[0].get_content()
    assert "摘要项目乙" in body and "摘要项目丙" not in body
    session.expire_all()
    assert session.get(Notification, read.id).email_state == "skipped"
    again = app.test_cli_runner().invoke(args=["notify", "digest", "--no-scan"])
    assert again.exit_code == 0 and len([m for m in mailbox.messages
                                         if m["To"].addresses[0].addr_spec == "admin@shifeng.gov.cn"]) == 1


def test_a_refusing_relay_keeps_the_notice_and_the_next_run_sends_it(app, session, mailbox):
    mailbox.refuse = True
    _blocked(session, "重试项目丁")

    def planners_notice() -> Notification | None:
        session.expire_all()
        return session.scalar(select(Notification).join(User, User.id == Notification.user_id).where(
            User.username == "planner", Notification.title.contains("重试项目丁")))
    wait_for(lambda: planners_notice() is not None and planners_notice().email_attempts == 1,
             what="the failed attempt to be recorded")
    row = planners_notice()
    assert row.email_state == "immediate" and "451" in row.email_error
    refused = app.test_cli_runner().invoke(args=["notify", "send"])
    assert refused.exit_code != 0  # the timer unit shows the failure
    mailbox.refuse = False
    result = app.test_cli_runner().invoke(args=["notify", "send"])
    assert result.exit_code == 0, result.output
    assert any("重试项目丁" in m["Subject"] for m in mailbox.messages)
    session.expire_all()
    assert session.get(Notification, row.id).email_state == "sent"


def test_without_smtp_host_nothing_is_marked_for_mail(app, session):
    assert not app.config.get("SMTP_HOST")
    notifications.update_settings(session, _user(session, "planner"),
                                  {"email": "planner@shifeng.gov.cn", "email_mode": "immediate"}, None)
    try:
        _blocked(session, "无邮件项目戊")
        row = session.scalar(select(Notification).join(User, User.id == Notification.user_id).where(
            User.username == "planner", Notification.title.contains("无邮件项目戊")))
        assert row is not None and row.email_state is None
    finally:
        notifications.update_settings(session, _user(session, "planner"), {"email": None, "email_mode": "off"}, None)


def test_an_unreachable_relay_does_not_break_the_change(app, session):
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=free_port(), SMTP_TIMEOUT_S=2)
    notifications.update_settings(session, _user(session, "planner"),
                                  {"email": "planner@shifeng.gov.cn", "email_mode": "immediate"}, None)
    try:
        _blocked(session, "断网项目己")  # commits although the relay is down

        def attempted() -> bool:
            session.expire_all()
            row = session.scalar(select(Notification).where(Notification.title.contains("断网项目己"),
                                                            Notification.email_state.is_not(None)))
            return row is not None and row.email_attempts >= 1
        wait_for(attempted, what="the attempt in the background")
        row = session.scalar(select(Notification).where(Notification.title.contains("断网项目己"),
                                                        Notification.email_state.is_not(None)))
        assert row.email_state == "immediate" and "ConnectionRefused" in row.email_error  # kept for the next run
        assert mail.deliver(session, "immediate").failed >= 1
    finally:
        app.config.update(SMTP_HOST="", SMTP_PORT=25, SMTP_TIMEOUT_S=10)
        notifications.update_settings(session, _user(session, "planner"), {"email": None, "email_mode": "off"}, None)
        session.execute(Notification.__table__.update().where(Notification.email_state == "immediate")
                        .values(email_state="failed"))
        session.commit()
