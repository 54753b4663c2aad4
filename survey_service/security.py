"""Passwords (argon2id), signed session cookies and CSRF tokens."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from itsdangerous import BadSignature, URLSafeTimedSerializer

# argon2-cffi's defaults (RFC 9106 "low memory" profile): argon2id, t=3, m=64 MiB, p=4.
_hasher = PasswordHasher()
MIN_PASSWORD_LENGTH = 10

SESSION_COOKIE = "survey_session"
CSRF_COOKIE = "survey_csrf"


def hash_password(password: str) -> str:
    """An argon2id hash of ``password``."""
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """Whether ``password`` matches ``password_hash`` (never raises on a bad hash)."""
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


COMMON_PASSWORDS = frozenset(
    {
        "1234567890",
        "12345678910",
        "0123456789",
        "password123",
        "password1234",
        "qwertyuiop",
        "1q2w3e4r5t",
        "abc1234567",
        "matkhau123",
        "matkhau1234",
        "123456789a",
        "a123456789",
        "iloveyou123",
        "admin12345",
        "administrator",
    }
)


def password_problem(password: str, email: str = "") -> str | None:
    """Why ``password`` is not acceptable, or None.

    The rules (README, "Security"): at least 10 characters, at most 1,024; not one character
    repeated; not a well-known password; not the e-mail address or its name part.
    """
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"at least {MIN_PASSWORD_LENGTH} characters are required"
    if len(password) > 1024:
        return "at most 1,024 characters are allowed"
    lowered = password.lower()
    if len(set(lowered)) <= 2:
        return "it repeats one or two characters"
    if lowered in COMMON_PASSWORDS:
        return "it is a well-known password"
    name = email.lower().split("@")[0]
    if email and (lowered == email.lower() or (len(name) >= 4 and name in lowered)):
        return "it contains the e-mail address"
    return None


# A hash to verify against when the e-mail is unknown, so both cases take the same time.
DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))


@dataclass(frozen=True)
class SessionData:
    """What the session cookie carries: the user and the user's session epoch."""

    user_id: int
    epoch: int


class Signer:
    """Signs and checks session cookies and CSRF tokens with the secret key."""

    def __init__(self, secret_key: str, max_age: int) -> None:
        self._key = secret_key.encode()
        self._sessions = URLSafeTimedSerializer(secret_key, salt="survey.session")
        self._stamps = URLSafeTimedSerializer(secret_key, salt="survey.form-start")
        self.max_age = max_age

    def dump_session(self, data: SessionData) -> str:
        """The cookie value for ``data``."""
        return self._sessions.dumps({"u": data.user_id, "e": data.epoch})

    def load_session(self, value: str | None) -> SessionData | None:
        """The session in a cookie, or None if absent, forged or expired."""
        if not value:
            return None
        try:
            raw = self._sessions.loads(value, max_age=self.max_age)
            return SessionData(user_id=int(raw["u"]), epoch=int(raw["e"]))
        except (BadSignature, KeyError, TypeError, ValueError):
            return None

    def stamp(self) -> str:
        """A signed "now", put in a form when it is first shown (to time the answering)."""
        return self._stamps.dumps(int(time.time()))

    def stamped_time(self, value: str | None, max_age: int = 86_400) -> dt.datetime | None:
        """When a stamp was made, or None if it is absent, forged or older than ``max_age``."""
        if not value or len(value) > 200:
            return None
        try:
            seconds = int(self._stamps.loads(value, max_age=max_age))
        except (BadSignature, TypeError, ValueError):
            return None
        return dt.datetime.fromtimestamp(seconds, dt.UTC)

    def csrf_token(self, nonce: str) -> str:
        """The form token that matches the CSRF cookie's nonce."""
        return hmac.new(self._key, b"csrf:" + nonce.encode(), hashlib.sha256).hexdigest()

    def csrf_valid(self, nonce: str | None, token: str | None) -> bool:
        """Whether a submitted form token matches the browser's CSRF cookie."""
        if not nonce or not token:
            return False
        return hmac.compare_digest(self.csrf_token(nonce), token)


def new_nonce() -> str:
    """A fresh random nonce for the CSRF cookie."""
    return secrets.token_urlsafe(24)
