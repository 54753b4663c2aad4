"""API tokens for scripts: shown once, stored as a SHA-256 hash, scoped to a role, revocable."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from sqlmodel import Session, col, select

from survey_service import errors
from survey_service.models import ROLE_RANK, ApiToken, Role, User, utcnow

PREFIX = "pst_"
LAST_USED_PRECISION = dt.timedelta(minutes=1)  # fewer writes: last use is kept to the minute


def _digest(plain: str) -> str:
    # A token has 256 random bits, so a fast hash is enough (unlike a password).
    return hashlib.sha256(plain.encode()).hexdigest()


def create_token(*, session: Session, user: User, name: str, role: Role) -> tuple[ApiToken, str]:
    """A new token for ``user`` acting as ``role`` (at most the user's own); returns the plain
    token, which is never stored and cannot be shown again."""
    if ROLE_RANK[Role(role)] > ROLE_RANK[Role(user.role)]:
        raise errors.Forbidden(message_en=f"A {user.role} cannot make a {role} token.")
    name = name.strip()
    if not name or len(name) > 100:
        raise errors.InvalidInput(message_en="Give the token a name of 1 to 100 characters.")
    assert user.id is not None
    plain = PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(user_id=user.id, name=name, token_hash=_digest(plain), role=Role(role))
    session.add(token)
    session.flush()
    return token, plain


def authenticate(*, session: Session, plain: str) -> tuple[User, Role] | None:
    """The user and role of a live token, recording its use; None for anything else."""
    if not plain.startswith(PREFIX) or len(plain) > 100:
        return None
    token = session.exec(select(ApiToken).where(ApiToken.token_hash == _digest(plain))).first()
    if token is None or token.revoked_at is not None:
        return None
    user = session.get(User, token.user_id)
    if user is None or not user.is_active:
        return None
    now = utcnow()
    if token.last_used_at is None or now - token.last_used_at > LAST_USED_PRECISION:
        token.last_used_at = now
        session.add(token)
    role = min(Role(token.role), Role(user.role), key=lambda r: ROLE_RANK[r])
    return user, role


def tokens_of(*, session: Session, user: User) -> list[ApiToken]:
    """A user's tokens, newest first (an admin sees everyone's)."""
    query = select(ApiToken).order_by(col(ApiToken.id).desc())
    if user.role != Role.ADMIN:
        query = query.where(ApiToken.user_id == user.id)
    return list(session.exec(query))


def revoke(*, session: Session, user: User, token_id: int) -> ApiToken:
    """Revoke one of ``user``'s tokens (an admin may revoke anyone's)."""
    token = session.get(ApiToken, token_id)
    if token is None or (token.user_id != user.id and user.role != Role.ADMIN):
        raise errors.NotFound(message_en=f"No token {token_id}.")
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        session.add(token)
        session.flush()
    return token
