"""Login throttling: too many failures for an account or from an address → 429.

Attempts live in the database (``login_attempts``) so the limit holds across
all gunicorn workers and restarts.  Each attempt is recorded *before* the
password is checked and committed at once, so a burst of parallel guesses
cannot slip past the count: at most ``max_failures`` passwords are tried per
account and per address within the window.
"""
from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.orm import Session

from ...errors import AppError
from ...models.login_attempt import LoginAttempt

LOGGER = logging.getLogger(__name__)
KEEP_FOR = timedelta(days=1)


class TooManyAttempts(AppError):
    """Too many failed logins recently: try again later (429)."""

    status = 429
    code = "too_many_attempts"


def begin_attempt(session: Session, username: str, address: str, *, max_failures: int,
                  window_seconds: int) -> int:
    """Record a login attempt (as failed until proven otherwise) and return its id.

    Raises :class:`TooManyAttempts` when the account or the address already
    has ``max_failures`` failures within the window; the refused attempt
    counts too, so hammering keeps the door shut.
    """
    name = username.strip().lower()[:64]
    now = datetime.now(UTC)
    attempt = LoginAttempt(username=name, address=address[:64], succeeded=False, at=now)
    session.add(attempt)
    session.flush()
    since = now - timedelta(seconds=window_seconds)
    recent = (LoginAttempt.succeeded.is_(False), LoginAttempt.at >= since, LoginAttempt.id != attempt.id)
    by_account, by_address = session.execute(select(
        func.count().filter(LoginAttempt.username == name),
        func.count().filter(LoginAttempt.address == attempt.address),
    ).where(*recent, or_(LoginAttempt.username == name, LoginAttempt.address == attempt.address))).one()
    earlier = max(by_account, by_address)
    session.execute(delete(LoginAttempt).where(LoginAttempt.at < now - KEEP_FOR))
    session.commit()
    if earlier >= max_failures:
        LOGGER.warning("login throttled for account %r from %s", name, address)
        raise TooManyAttempts(
            "登录失败次数过多，请稍后再试",
            details={"retry_after": window_seconds})
    return attempt.id


def mark_succeeded(session: Session, attempt_id: int) -> None:
    """Mark an attempt as successful (it no longer counts as a failure)."""
    session.execute(update(LoginAttempt).where(LoginAttempt.id == attempt_id).values(succeeded=True))
    session.commit()
