"""Accounts: creating users, checking passwords, issuing and verifying API tokens."""
from __future__ import annotations

import hashlib
import logging
import secrets
from datetime import datetime, timezone

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..errors import BadParameter, Conflict, NotFound
from ..models import ApiToken, User
from ..models.user import ROLES
from . import audit

LOGGER = logging.getLogger(__name__)
_HASHER = PasswordHasher()  # Argon2id with the library's recommended parameters
# Verified against when the user does not exist, so both cases cost the same time.
_DUMMY_HASH = _HASHER.hash("not-a-real-password")
MIN_PASSWORD_LENGTH = 8


def _check_password_strength(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise BadParameter(f"密码至少 {MIN_PASSWORD_LENGTH} 位 / password must have at least "
                           f"{MIN_PASSWORD_LENGTH} characters", code="weak_password")


def create_user(session: Session, username: str, role: str, password: str,
                display_name: str | None = None, actor: str | None = None) -> User:
    """Create a user with an Argon2id password hash and commit."""
    if role not in ROLES:
        raise BadParameter(f"未知角色 {role!r}；可选 / unknown role; one of: {', '.join(ROLES)}",
                           code="unknown_role")
    username = username.strip()
    if not username or len(username) > 64:
        raise BadParameter("用户名不能为空且不超过64个字符 / invalid username", code="bad_username")
    _check_password_strength(password)
    if session.scalar(select(User).where(func.lower(User.username) == username.lower())):
        raise Conflict(f"用户 {username} 已存在 / user exists", code="user_exists")
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
        raise NotFound(f"用户 {username} 不存在 / no such user", code="unknown_user")
    _check_password_strength(password)
    user.password_hash = _HASHER.hash(password)
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
            _HASHER.verify(_DUMMY_HASH, password or "")
            return None
        _HASHER.verify(user.password_hash, password or "")
    except (VerificationError, InvalidHashError):
        return None
    if _HASHER.check_needs_rehash(user.password_hash):
        user.password_hash = _HASHER.hash(password)
        session.commit()
    return user


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_token(session: Session, username: str, name: str | None = None) -> str:
    """Create an API token for ``username``, store only its hash, and return it once."""
    user = find_user(session, username)
    if user is None:
        raise NotFound(f"用户 {username} 不存在 / no such user", code="unknown_user")
    token = "sf_" + secrets.token_urlsafe(32)
    session.add(ApiToken(user_id=user.id, name=name, token_hash=_token_hash(token), prefix=token[:10]))
    audit.record(session, username=username, action="issue_token", object_type="user",
                 object_id=user.id, after={"name": name, "prefix": token[:10]})
    session.commit()
    return token


def user_for_token(session: Session, token: str) -> User | None:
    """Return the active user owning an unrevoked ``token``, else None."""
    row = session.scalar(
        select(ApiToken).where(ApiToken.token_hash == _token_hash(token), ApiToken.revoked_at.is_(None)))
    if row is None or not row.user.is_active:
        return None
    row.last_used_at = datetime.now(timezone.utc)
    session.commit()
    return row.user
