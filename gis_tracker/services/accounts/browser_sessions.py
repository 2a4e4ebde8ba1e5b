"""Browser sessions on the server: begun at login, ended by logout, password changes, admins and timeouts.

The browser's cookie carries only a random session id (256 bits); the row in
``browser_sessions`` (keyed by the id's SHA-256) says whose session it is.
So ending a session means deleting its row, and a cookie replayed after that
opens nothing — whichever server worker it reaches, since they all read the
same table (OWASP Session Management: server-side state, id renewed at
login, invalidated on logout and on password change, idle and absolute
timeouts).

* Idle timeout (``SESSION_IDLE_MINUTES``, 30): a session not used for that
  long is refused and deleted.  ``last_seen_at`` is written at most once per
  :data:`TOUCH_SECONDS`, so the timeout is exact to a minute and a busy map
  (tiles, saves) does not write on every request.
* Absolute timeout (``SESSION_ABSOLUTE_HOURS``, 8: a working day): counted from
  the login, whatever the activity.
* Changing one's password, an admin resetting it, deactivating the account
  and "sign out everywhere" delete every session of the user in the same
  transaction as the change (:func:`end_all_for`).
"""
from __future__ import annotations

import hashlib
import logging
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.orm import Session

from ...errors import NotFound
from ...models import BrowserSession, User
from . import audit

LOGGER = logging.getLogger(__name__)
TOUCH_SECONDS = 60
SESSION_ID_BYTES = 32


@dataclass(frozen=True)
class Timeouts:
    """How long a session may stay idle, and live at all."""

    idle: timedelta
    absolute: timedelta

    @classmethod
    def from_config(cls, config) -> Timeouts:
        """Read SESSION_IDLE_MINUTES and SESSION_ABSOLUTE_HOURS from the app's configuration."""
        return cls(timedelta(minutes=float(config.get("SESSION_IDLE_MINUTES", 30))),
                   timedelta(hours=float(config.get("SESSION_ABSOLUTE_HOURS", 8))))


def new_id() -> str:
    """Return a fresh random session id (for the cookie)."""
    return secrets.token_urlsafe(SESSION_ID_BYTES)


def id_hash(session_id: str) -> str:
    """Return the key a session id is stored under."""
    return hashlib.sha256(session_id.encode("utf-8", "surrogatepass")).hexdigest()


def _expired(timeouts: Timeouts, now: datetime):
    return or_(BrowserSession.last_seen_at < now - timeouts.idle,
               BrowserSession.created_at < now - timeouts.absolute)


def start(session: Session, user: User, timeouts: Timeouts, address: str | None = None,
          user_agent: str | None = None) -> str:
    """Begin a session for ``user``; return its id (the caller puts it in the cookie) and commit.

    Expired sessions of every user are removed on the way (a handful of rows).
    """
    now = datetime.now(UTC)
    session.execute(delete(BrowserSession).where(_expired(timeouts, now)))
    session_id = new_id()
    session.add(BrowserSession(id_hash=id_hash(session_id), user_id=user.id, created_at=now, last_seen_at=now,
                               address=(address or "")[:64] or None, user_agent=(user_agent or "")[:200] or None))
    session.commit()
    return session_id


def resolve(session: Session, session_id: str | None, timeouts: Timeouts) -> User | None:
    """Return the active user of a live session, or None (an expired session is deleted)."""
    if not session_id or len(session_id) > 100:
        return None
    row = session.get(BrowserSession, id_hash(session_id))
    if row is None:
        return None
    now = datetime.now(UTC)
    if row.last_seen_at < now - timeouts.idle or row.created_at < now - timeouts.absolute:
        session.delete(row)
        session.commit()
        return None
    user = session.get(User, row.user_id)
    if user is None or not user.is_active:
        return None
    if (now - row.last_seen_at).total_seconds() > TOUCH_SECONDS:
        # A plain UPDATE (not the ORM row): a concurrent logout's DELETE then wins, and nothing reappears.
        session.execute(update(BrowserSession).where(BrowserSession.id_hash == row.id_hash)
                        .values(last_seen_at=now))
        session.commit()
    return user


def end(session: Session, session_id: str | None) -> None:
    """End one session (logout) and commit."""
    if session_id:
        session.execute(delete(BrowserSession).where(BrowserSession.id_hash == id_hash(session_id)))
        session.commit()


def end_all_for(session: Session, user_id: int) -> int:
    """Delete every session of a user (no commit: it belongs to the caller's change); return how many."""
    result = session.execute(delete(BrowserSession).where(BrowserSession.user_id == user_id))
    return result.rowcount or 0


def sign_out_everywhere(session: Session, user_id: int, actor: str) -> int:
    """End every session of a user (an admin's or the user's own "sign out everywhere"), audit it and commit."""
    user = session.get(User, user_id)
    if user is None:
        raise NotFound("用户不存在", code="unknown_user")
    ended = end_all_for(session, user_id)
    audit.record(session, username=actor, action="sign_out_everywhere", object_type="user", object_id=user_id,
                 after={"sessions_ended": ended})
    session.commit()
    LOGGER.info("%s ended %d sessions of %s", actor, ended, user.username)
    return ended


def count_for(session: Session, user_id: int, timeouts: Timeouts) -> int:
    """Return how many live sessions a user has (shown to admins)."""
    now = datetime.now(UTC)
    return session.scalar(select(func.count()).select_from(BrowserSession).where(
        BrowserSession.user_id == user_id, BrowserSession.last_seen_at >= now - timeouts.idle,
        BrowserSession.created_at >= now - timeouts.absolute)) or 0
