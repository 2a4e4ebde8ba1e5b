"""Accounts: creating users, checking passwords, issuing and verifying API tokens."""
from __future__ import annotations

import hashlib
import logging
import secrets
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import bindparam, func, or_, select, update
from sqlalchemy.orm import Session

from ...access import ROLES
from ...errors import BadParameter, Conflict, NotFound
from ...models import ApiToken, User
from . import audit, browser_sessions, throttle

LOGGER = logging.getLogger(__name__)
_HASHER = PasswordHasher()  # Argon2id with the library's recommended parameters
# Verified against when the user does not exist, so both cases cost the same time.
_DUMMY_HASH: str | None = None  # made on first use: hashing at import would slow every start


def _dummy_hash() -> str:
    global _DUMMY_HASH
    if _DUMMY_HASH is None:
        _DUMMY_HASH = _HASHER.hash("not-a-real-password")
    return _DUMMY_HASH


MIN_PASSWORD_LENGTH = 8


def _check_password_strength(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise BadParameter(f"密码至少 {MIN_PASSWORD_LENGTH} 位", code="weak_password")


def create_user(session: Session, username: str, role: str, password: str,
                display_name: str | None = None, actor: str | None = None) -> User:
    """Create a user with an Argon2id password hash and commit."""
    if role not in ROLES:
        raise BadParameter(f"未知角色 {role!r}；可选：{'、'.join(ROLES)}",
                           code="unknown_role")
    username = username.strip()
    if not username or len(username) > 64:
        raise BadParameter("用户名不能为空且不超过64个字符", code="bad_username")
    _check_password_strength(password)
    if session.scalar(select(User).where(func.lower(User.username) == username.lower())):
        raise Conflict(f"用户 {username} 已存在", code="user_exists")
    user = User(username=username, role=role, display_name=display_name,
                password_hash=_HASHER.hash(password))
    session.add(user)
    session.flush()
    audit.record(session, username=actor or username, action="create", object_type="user",
                 object_id=user.id, after={"username": username, "role": role})
    session.commit()
    return user


def set_password(session: Session, username: str, password: str, actor: str | None = None) -> None:
    """Replace a user's password and commit."""
    user = find_user(session, username)
    if user is None:
        raise NotFound(f"用户 {username} 不存在", code="unknown_user")
    _check_password_strength(password)
    user.password_hash = _HASHER.hash(password)
    browser_sessions.end_all_for(session, user.id)  # a new password ends every session
    audit.record(session, username=actor or username, action="set_password", object_type="user",
                 object_id=user.id)
    session.commit()


def find_user(session: Session, username: str) -> User | None:
    """Return the user called ``username`` (case-insensitive) or None."""
    return session.scalar(select(User).where(func.lower(User.username) == username.strip().lower()))


def authenticate(session: Session, username: str, password: str) -> User | None:
    """Return the active user whose password matches, else None (same cost either way)."""
    user = find_user(session, username or "")
    try:
        if user is None or not user.is_active:
            _HASHER.verify(_dummy_hash(), password or "")
            return None
        _HASHER.verify(user.password_hash, password or "")
    except (VerificationError, InvalidHashError):
        return None
    if _HASHER.check_needs_rehash(user.password_hash):
        user.password_hash = _HASHER.hash(password)
        session.commit()
    return user


def log_in(session: Session, username: str, password: str, address: str, *,
           max_failures: int, window_seconds: int) -> User | None:
    """Check a login under the throttle: the user, None for wrong credentials, 429 when throttled."""
    if not (username or "").strip() or not password:
        raise BadParameter("请输入用户名和密码", code="missing_credentials")
    attempt = throttle.begin_attempt(session, username, address, max_failures=max_failures,
                                     window_seconds=window_seconds)
    user = authenticate(session, username, password)
    if user is not None:
        throttle.mark_succeeded(session, attempt)
    return user


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


TOKEN_ZONE = ZoneInfo("Asia/Shanghai")  # a token chosen "valid until 5 May" works through 5 May, China time
MAX_TOKEN_DAYS = 730


def token_expiry(expires_on: date | None, today: date | None = None) -> datetime | None:
    """Return the moment a token valid through ``expires_on`` stops working (None: no expiry).

    The date must be after today and at most :data:`MAX_TOKEN_DAYS` ahead (400 otherwise).
    """
    if expires_on is None:
        return None
    today = today or datetime.now(TOKEN_ZONE).date()
    if expires_on <= today:
        raise BadParameter("有效期须晚于今天", code="bad_expiry", details={"field": "expires_on"})
    if (expires_on - today).days > MAX_TOKEN_DAYS:
        raise BadParameter(f"有效期最长 {MAX_TOKEN_DAYS} 天", code="bad_expiry", details={"field": "expires_on"})
    return datetime.combine(expires_on + timedelta(days=1), time(0), tzinfo=TOKEN_ZONE)


def issue_token(session: Session, username: str, name: str | None = None, actor: str | None = None,
                expires_on: date | None = None) -> str:
    """Create an API token for ``username``, store only its hash, and return it once.

    ``expires_on`` is the last day the token works (China time); None means until revoked.
    """
    user = find_user(session, username)
    if user is None:
        raise NotFound(f"用户 {username} 不存在", code="unknown_user")
    expires_at = token_expiry(expires_on)
    name = (name or "").strip()[:100] or None
    token = "sf_" + secrets.token_urlsafe(32)
    session.add(ApiToken(user_id=user.id, name=name, token_hash=_token_hash(token), prefix=token[:10],
                         expires_at=expires_at))
    audit.record(session, username=actor or username, action="issue_token", object_type="user",
                 object_id=user.id, after={"name": name, "prefix": token[:10],
                                           "expires_on": expires_on.isoformat() if expires_on else None})
    session.commit()
    return token


# The user and its token's last use in one query, built once: it runs on every API request.
_TOKEN_OWNER = (select(User, ApiToken.id, ApiToken.last_used_at).join(ApiToken, ApiToken.user_id == User.id)
                .where(ApiToken.token_hash == bindparam("token_hash"), ApiToken.revoked_at.is_(None),
                       or_(ApiToken.expires_at.is_(None), ApiToken.expires_at > func.now())))


def user_for_token(session: Session, token: str) -> User | None:
    """Return the active user owning an unrevoked, unexpired ``token``, else None."""
    row = session.execute(_TOKEN_OWNER, {"token_hash": _token_hash(token)}).first()
    if row is None or not row[0].is_active:
        return None
    user, token_id, last_used_at = row
    now = datetime.now(UTC)
    # Record use at most once a minute: a write on every API request would
    # serialise concurrent requests on this token's row.
    if last_used_at is None or (now - last_used_at).total_seconds() > 60:
        session.execute(update(ApiToken).where(ApiToken.id == token_id).values(last_used_at=now))
        session.commit()
    return user


def user_for_basic(session: Session, username: str, token: str) -> User | None:
    """Return the user of HTTP Basic credentials whose password is an API token of that user.

    Clients that cannot send ``Authorization: Bearer`` (QGIS 3.22, GDAL 3.6,
    ArcGIS) send Basic; the username must be the token's owner (any case).
    The account password is never accepted here: it is checked only by the
    login form, under its throttle.
    """
    user = user_for_token(session, token) if token else None
    if user is None or user.username.lower() != (username or "").strip().lower():
        return None
    return user


def _user(session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFound("用户不存在", code="unknown_user")
    return user


def list_users(session: Session) -> list[User]:
    """Return every user, by username."""
    return list(session.scalars(select(User).order_by(func.lower(User.username))))


def get_user(session: Session, user_id: int) -> User:
    """Return the user with ``user_id`` (404 when missing)."""
    return _user(session, user_id)


def _active_admins(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(User).where(
        User.role == "admin", User.is_active.is_(True)))


def _keep_an_admin(session: Session, user: User) -> None:
    if user.role == "admin" and user.is_active and _active_admins(session) <= 1:
        raise Conflict("至少需要保留一名启用的管理员",
                       code="last_admin")


def change_role(session: Session, user_id: int, role: str, actor: str) -> User:
    """Give a user another role and commit (the last active admin keeps theirs)."""
    if role not in ROLES:
        raise BadParameter(f"未知角色 {role[:30]!r}", code="unknown_role")
    user = _user(session, user_id)
    if role != user.role:
        _keep_an_admin(session, user)
        before = user.role
        user.role = role
        audit.record(session, username=actor, action="change_role", object_type="user",
                     object_id=user.id, before={"role": before}, after={"role": role})
    session.commit()
    return user


def set_active(session: Session, user_id: int, active: bool, actor: str) -> User:
    """Activate or deactivate a user and commit; a deactivated user's sessions and tokens stop working."""
    user = _user(session, user_id)
    if user.is_active and not active:
        _keep_an_admin(session, user)
    if user.is_active != active:
        user.is_active = active
        if not active:
            browser_sessions.end_all_for(session, user.id)
        audit.record(session, username=actor, action="activate" if active else "deactivate",
                     object_type="user", object_id=user.id,
                     before={"is_active": not active}, after={"is_active": active})
    session.commit()
    return user


def reset_password(session: Session, user_id: int, password: str, actor: str) -> User:
    """Set a new password for a user (by an admin) and commit; their other sessions end."""
    user = _user(session, user_id)
    _check_password_strength(password)
    user.password_hash = _HASHER.hash(password)
    browser_sessions.end_all_for(session, user.id)
    audit.record(session, username=actor, action="reset_password", object_type="user", object_id=user.id)
    session.commit()
    return user


def change_own_password(session: Session, user: User, current: str, new: str, confirm: str) -> User:
    """Change the caller's password after checking the current one, end all their sessions, and commit."""
    try:
        _HASHER.verify(user.password_hash, current or "")
    except (VerificationError, InvalidHashError):
        raise BadParameter("当前密码不正确", code="wrong_password") from None
    if new != confirm:
        raise BadParameter("两次输入的新密码不一致", code="password_mismatch")
    if new == current:
        raise BadParameter("新密码不能与当前密码相同", code="password_unchanged")
    _check_password_strength(new)
    user.password_hash = _HASHER.hash(new)
    browser_sessions.end_all_for(session, user.id)  # the caller starts a fresh session for this browser
    audit.record(session, username=user.username, action="change_password", object_type="user",
                 object_id=user.id)
    session.commit()
    return user


def list_tokens(session: Session, user_id: int | None = None) -> list[ApiToken]:
    """Return API tokens (of one user, or all), newest first; never their secret."""
    query = select(ApiToken).order_by(ApiToken.created_at.desc(), ApiToken.id.desc())
    if user_id is not None:
        query = query.where(ApiToken.user_id == user_id)
    return list(session.scalars(query))


def revoke_token(session: Session, token_id: int, actor: User) -> ApiToken:
    """Revoke an API token (its owner or an admin) and commit."""
    token = session.get(ApiToken, token_id)
    if token is None or (actor.role != "admin" and token.user_id != actor.id):
        raise NotFound("令牌不存在", code="unknown_token")
    if token.revoked_at is None:
        token.revoked_at = datetime.now(UTC)
        audit.record(session, username=actor.username, action="revoke_token", object_type="api_token",
                     object_id=token.id, after={"user_id": token.user_id, "prefix": token.prefix})
    session.commit()
    return token
