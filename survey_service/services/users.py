"""Users: accounts with a role, argon2 password hashes."""

from __future__ import annotations

from sqlmodel import Session, select

from survey_service import errors, security
from survey_service.models import Role, User


def normalise_email(email: str) -> str:
    """E-mail addresses compare without case or surrounding spaces."""
    return email.strip().lower()


def get_by_email(*, session: Session, email: str) -> User | None:
    """A user by e-mail address."""
    return session.exec(select(User).where(User.email == normalise_email(email))).first()


def create_user(*, session: Session, email: str, password: str, role: Role) -> User:
    """Add a user; refuses a duplicate address, a malformed one or a weak password."""
    email = normalise_email(email)
    if "@" not in email or email.startswith("@") or email.endswith("@"):
        raise errors.InvalidInput(message_en=f"'{email}' is not an e-mail address.")
    problem = security.password_problem(password, email)
    if problem:
        raise errors.InvalidInput(message_en=f"Password refused: {problem}.")
    if get_by_email(session=session, email=email) is not None:
        raise errors.Conflict(message_en=f"A user {email} exists already.")
    user = User(email=email, password_hash=security.hash_password(password), role=role)
    session.add(user)
    session.flush()
    return user


def authenticate(*, session: Session, email: str, password: str) -> User | None:
    """The active user with these credentials, or None (same work whether the user exists)."""
    user = get_by_email(session=session, email=email)
    if user is None or not user.is_active:
        security.verify_password(security.DUMMY_HASH, password)
        return None
    return user if security.verify_password(user.password_hash, password) else None
