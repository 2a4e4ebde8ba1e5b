"""Notifications: one row per recipient and event, and each user's choice of events and e-mail."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, DateTime, ForeignKey, Index, Integer, String, Text, func, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from ..db import Base


class Notification(Base):
    """Something that happened, told to one user: in the app (read or unread) and optionally by e-mail.

    ``email_state``: None (no e-mail wanted when it was made), ``immediate`` or ``digest`` (waiting to be
    sent), ``sent``, ``skipped`` (read in the app before its digest went out) or ``failed`` (gave up).
    """

    __tablename__ = "notifications"
    __table_args__ = (
        Index("ix_notifications_user_unread", "user_id", "id", postgresql_where=text("read_at IS NULL")),
        Index("ix_notifications_user_created", "user_id", "created_at"),
        Index("ix_notifications_email_pending", "email_state", postgresql_where=text(
            "email_state IN ('immediate', 'digest')")),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), nullable=False)
    event: Mapped[str] = mapped_column(String(40), nullable=False)
    severity: Mapped[str] = mapped_column(String(20), nullable=False, default="info")  # info | warning | violation
    title: Mapped[str] = mapped_column(Text, nullable=False)
    body: Mapped[str | None] = mapped_column(Text)
    link: Mapped[str | None] = mapped_column(String(300))  # the object's page, an app path
    object_type: Mapped[str | None] = mapped_column(String(40))
    object_id: Mapped[str | None] = mapped_column(String(64))
    actor: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, server_default=func.now())
    read_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    email_state: Mapped[str | None] = mapped_column(String(20))
    email_attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=0, server_default="0")
    email_error: Mapped[str | None] = mapped_column(Text)
    emailed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class NotificationSetting(Base):
    """A user's choices: events turned on or off (others follow the event's default), e-mail address and mode."""

    __tablename__ = "notification_settings"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    events: Mapped[dict] = mapped_column(JSONB, nullable=False, default=dict)  # event -> bool
    email: Mapped[str | None] = mapped_column(String(254))
    email_mode: Mapped[str] = mapped_column(String(20), nullable=False, default="off")  # off | immediate | digest
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1, server_default="1")
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, server_default=func.now())
    last_digest_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class NotificationMark(Base):
    """A time-driven fact already announced (an overdue stage, a passed milestone), so it is told once."""

    __tablename__ = "notification_marks"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    event: Mapped[str] = mapped_column(String(40), nullable=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, server_default=func.now())
